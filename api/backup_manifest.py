"""A backup's manifest: what it holds, at which signed checkpoint, with SHA-256 hashes.

    manifest.json   {"format": "sendtrail-backup/1", "created_at", "store": "sqlite" |
                     "postgresql", "schema" (PostgreSQL), "installation", "log_origin",
                     "checkpoint": {"size", "file"}, "kek_versions_needed": [..],
                     "files": {"<relative path>": {"sha256", "bytes"}}}
    SHA256SUMS      the same hashes, and the manifest's, as `sha256sum -c SHA256SUMS` reads

The manifest is written last (whole or not at all), so a backup interrupted midway has
none and is refused by `sendtrail restore`. The KEK is never in a backup: the manifest says
which KEK versions a restore needs, so they can be kept (apart) as long as the backup.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exporters.durable_file import write_durably

FORMAT = "sendtrail-backup/1"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"


class BackupInvalid(Exception):
    """The folder is not a whole, unchanged sendtrail backup; `where` names the file."""

    def __init__(self, reason: str, *, where: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.reason = reason
        self.where = where


@dataclass
class Manifest:
    """What a backup holds."""

    created_at: str
    store: str
    installation: str | None
    log_origin: str
    checkpoint_size: int
    checkpoint_file: str
    kek_versions_needed: list[int]
    schema: str | None = None
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> bytes:
        document = {
            "format": FORMAT,
            "created_at": self.created_at,
            "store": self.store,
            "schema": self.schema,
            "installation": self.installation,
            "log_origin": self.log_origin,
            "checkpoint": {"size": self.checkpoint_size, "file": self.checkpoint_file},
            "kek_versions_needed": self.kek_versions_needed,
            "files": dict(sorted(self.files.items())),
        }
        return json.dumps(document, indent=1).encode() + b"\n"


def sha256_of(path: Path) -> str:
    with path.open("rb") as given:
        return hashlib.file_digest(given, "sha256").hexdigest()


def seal(folder: Path, manifest: Manifest, names: list[str]) -> None:
    """Hash `names` (paths relative to `folder`) into the manifest and write it and the
    SHA256SUMS file, durably, last."""
    for name in names:
        path = folder / name
        manifest.files[name] = {"sha256": sha256_of(path), "bytes": path.stat().st_size}
    content = manifest.to_json()
    write_durably(folder / MANIFEST, content, mode=0o600)
    sums = {**{n: f["sha256"] for n, f in manifest.files.items()}}
    sums[MANIFEST] = hashlib.sha256(content).hexdigest()
    lines = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))
    write_durably(folder / SUMS, lines.encode(), mode=0o600)


def read_and_check(folder: Path) -> Manifest:
    """The manifest of the backup in `folder`, after checking every file against its hash;
    BackupInvalid naming the first file that is missing, changed or unexpected."""
    path = folder / MANIFEST
    try:
        document = json.loads(path.read_bytes())
        if document["format"] != FORMAT:
            raise ValueError(document["format"])
        manifest = Manifest(
            created_at=str(document["created_at"]),
            store=str(document["store"]),
            schema=document.get("schema"),
            installation=document.get("installation"),
            log_origin=str(document["log_origin"]),
            checkpoint_size=int(document["checkpoint"]["size"]),
            checkpoint_file=str(document["checkpoint"]["file"]),
            kek_versions_needed=[int(v) for v in document["kek_versions_needed"]],
            files={str(k): dict(v) for k, v in document["files"].items()},
        )
    except FileNotFoundError:
        raise BackupInvalid(
            "no manifest: not a backup, or one interrupted", where=MANIFEST
        ) from None
    except (ValueError, KeyError, TypeError):
        raise BackupInvalid(f"not a {FORMAT} manifest", where=MANIFEST) from None
    for name, expected in manifest.files.items():
        _check_file(folder, name, expected)
    return manifest


def _check_file(folder: Path, name: str, expected: dict[str, Any]) -> None:
    path = (folder / name).resolve()
    if folder.resolve() not in path.parents:
        raise BackupInvalid("names a file outside the backup", where=name)
    if not path.is_file():
        raise BackupInvalid("missing", where=name)
    if path.stat().st_size != expected.get("bytes") or sha256_of(path) != expected.get("sha256"):
        raise BackupInvalid("SHA-256 differs from the manifest (changed or damaged)", where=name)
