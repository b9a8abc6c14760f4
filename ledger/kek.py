"""The key-encryption key (KEK) file: 32-byte AES keys by version, mode 0600.

It is kept apart from the event store and from the key store (put SENDTRAIL_KEK_FILE on
another volume or a secrets mount for real separation): a copy of the key store alone
opens nothing. During a KEK rotation the file briefly holds the old and the new version,
so a crash at any point leaves every wrapped data key openable.

Format (JSON): {"format": "sendtrail-kek/1", "keys": {"1": "<base64>", ...}}
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import stat
from pathlib import Path

from ledger.key_errors import KekError

FORMAT = "sendtrail-kek/1"
KEK_SIZE = 32


def new_kek() -> bytes:
    return secrets.token_bytes(KEK_SIZE)


def read_keks(path: Path) -> dict[int, bytes]:
    """Every KEK version in the file; KekError if missing, unsafe or malformed."""
    try:
        mode = path.stat().st_mode
        raw = path.read_bytes()
    except FileNotFoundError:
        raise KekError(f"KEK file {path.name} is missing") from None
    except OSError as error:
        raise KekError(f"cannot read KEK file {path.name}: {type(error).__name__}") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KekError(f"KEK file {path.name} is readable by others: chmod 600 it")
    try:
        document = json.loads(raw)
        if document["format"] != FORMAT:
            raise ValueError(document["format"])
        keks = {int(v): base64.b64decode(k, validate=True) for v, k in document["keys"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise KekError(f"KEK file {path.name} is not a {FORMAT} file") from None
    if not keks or any(len(k) != KEK_SIZE or v < 1 for v, k in keks.items()):
        raise KekError(f"KEK file {path.name} holds no valid 32-byte keys")
    return keks


def write_keks(path: Path, keks: dict[int, bytes]) -> None:
    """Replace the file atomically and durably (temp file, fsync, rename, fsync dir)."""
    document = {
        "format": FORMAT,
        "keys": {str(v): base64.b64encode(k).decode() for v, k in sorted(keks.items())},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by a crash mid-write
        with contextlib.suppress(OSError):
            stale.unlink()
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(json.dumps(document, indent=1).encode() + b"\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
