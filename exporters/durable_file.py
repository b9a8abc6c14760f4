"""Files that are either whole or absent: written beside the target, fsynced, renamed.

A bundle, a backup manifest or a copied store written in place would be left truncated by
a crash, and would truncate the older file of the same name first. Here the bytes go to a
temporary file in the target's own folder (so the rename cannot cross filesystems), are
fsynced, renamed over the target in one step, and the folder is fsynced so the rename
itself survives a power cut. A crash leaves the old file, or the new one, never a mix;
stray temporary files of earlier crashes are removed on the next write.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def _temp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")


def remove_leftovers(target: Path) -> None:
    """Delete temporary files that a crash left beside `target`."""
    for stale in target.parent.glob(f".{target.name}.*.partial"):
        with contextlib.suppress(OSError):
            stale.unlink()


def fsync_dir(folder: Path) -> None:
    """Make renames and new names in `folder` durable (POSIX; elsewhere a no-op)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def durable_writer(target: Path, *, mode: int = 0o600) -> Iterator[BinaryIO]:
    """A file object whose content replaces `target` whole when the block ends without an
    error; on an error the target is untouched and the temporary file removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target)
    temp = _temp_name(target)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    fsync_dir(target.parent)


def write_durably(target: Path, content: bytes, *, mode: int = 0o600) -> None:
    """Replace `target` with `content`, whole or not at all."""
    with durable_writer(target, mode=mode) as out:
        out.write(content)


def copy_durably(
    source: Path, target: Path, *, mode: int = 0o600, progress: Callable[[int], None] | None = None
) -> None:
    """Copy `source` over `target`, whole or not at all."""
    with source.open("rb") as given, durable_writer(target, mode=mode) as out:
        while chunk := given.read(1 << 20):
            out.write(chunk)
            if progress:
                progress(len(chunk))
