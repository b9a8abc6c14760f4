"""Deterministic zip writing and safe zip reading (never extracting to disk).

Writing: sorted names, a fixed timestamp and fixed permissions, so the same files give
the same bytes. Reading: refuses absolute or parent-relative names, duplicates, too many
entries, entries or totals over the size limits, and compression ratios typical of zip
bombs. The entry count (from the end-of-central-directory record) and every entry's declared
size and ratio (from the central directory) are checked before anything is inflated; then
each entry is inflated against a running budget (what is left of the total), so the real
decompressed size is bounded whatever the headers claim.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class ArchiveError(Exception):
    """The archive is unreadable or unsafe; `where` names the entry."""

    def __init__(self, reason: str, *, where: str = "zip") -> None:
        super().__init__(f"{where}: {reason}")
        self.reason = reason
        self.where = where


@dataclass(frozen=True)
class Limits:
    max_entries: int = 10_000
    # A bundle on the verifier's own disk; an upload gets SENDTRAIL_VERIFY_INFLATE_BYTES
    # (100 MB by default) for both, see api/verify_anchors.py.
    max_entry_bytes: int = 200 * 1024 * 1024
    max_total_bytes: int = 500 * 1024 * 1024
    max_ratio: int = 200


# Deflate's fastest level: on a bundle (base64 ciphertext, JSON, HTML) it compresses a
# tenth less than level 6 (2.8 MB instead of 2.5 for a 2,000-entry record) in 63% of the
# time; compressing was the largest part of an export.
COMPRESS_LEVEL = 1


def write_zip(files: Mapping[str, bytes]) -> bytes:
    """A zip of `files` whose bytes depend only on the names and contents."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.create_system = 3
            archive.writestr(
                info, files[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
            )
    return out.getvalue()


def _safe_name(name: str) -> bool:
    parts = name.split("/")
    return (
        bool(name)
        and not name.startswith("/")
        and "\\" not in name
        and ":" not in name
        and all(p not in ("", ".", "..") for p in parts)
    )


_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"


def declared_entries(data: bytes) -> int:
    """The entry count the end-of-central-directory record declares, read before the
    central directory itself is parsed (a 400,000-entry directory costs nothing here)."""
    at = data.rfind(_EOCD, max(0, len(data) - 22 - 65535))
    if at < 0 or len(data) < at + 22:
        raise ArchiveError("not a readable zip file (truncated or corrupt)")
    entries = struct.unpack_from("<H", data, at + 10)[0]
    if entries == 0xFFFF and at >= 20 and data[at - 20 : at - 16] == _ZIP64_LOCATOR:
        where = struct.unpack_from("<Q", data, at - 20 + 8)[0]
        if data[where : where + 4] != _ZIP64_EOCD or len(data) < where + 40:
            raise ArchiveError("not a readable zip file (truncated or corrupt)")
        entries = struct.unpack_from("<Q", data, where + 32)[0]
    return int(entries)


def _check_declared(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Refuse on the central directory's own claims, before inflating anything."""
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        if info.file_size > limits.max_entry_bytes:
            raise ArchiveError("entry declares more than the size limit", where=info.filename)
        if info.file_size > max(info.compress_size, 1) * limits.max_ratio + 4096:
            raise ArchiveError("declared as compressed too well (zip bomb?)", where=info.filename)
        total += info.file_size
        if total > limits.max_total_bytes:
            raise ArchiveError(f"entries declare more than {limits.max_total_bytes} bytes in all")


def read_zip(data: bytes, limits: Limits = Limits()) -> dict[str, bytes]:
    """Every file of the archive, in memory, or ArchiveError."""
    if declared_entries(data) > limits.max_entries:
        raise ArchiveError(f"more than {limits.max_entries} entries")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ArchiveError("not a readable zip file (truncated or corrupt)") from None
    if len(infos) > limits.max_entries:
        raise ArchiveError(f"more than {limits.max_entries} entries")
    _check_declared(infos, limits)
    files: dict[str, bytes] = {}
    total = 0
    for info in infos:
        name = info.filename
        if info.is_dir():
            continue
        if not _safe_name(name):
            raise ArchiveError("unsafe path (absolute, parent or odd characters)", where=name)
        if name in files:
            raise ArchiveError("duplicate entry", where=name)
        budget = min(
            limits.max_entry_bytes,
            limits.max_total_bytes - total,
            max(info.compress_size, 1) * limits.max_ratio + 4096,
        )
        try:
            with archive.open(info) as handle:
                content = handle.read(budget + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
            raise ArchiveError("entry is corrupt or truncated", where=name) from None
        if len(content) > budget:
            raise ArchiveError("entry too large or compressed too well (zip bomb?)", where=name)
        total += len(content)
        files[name] = content
    return files
