"""Importing a spreadsheet from the browser: a dry run first (every row checked by the
same rules as the CLI's), then, once the person has read it, the real run of the same
file. Between the two the upload waits in a temporary folder, under its SHA-256, readable
only by this process's user; it is removed once imported (or after a day). The import
goes into the user's own setting, whatever the mapping file names."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

from api.deps import Services, permit
from api.importing.mapping import Mapping, load_mapping
from api.importing.run import Importer, Outcome, run_import
from api.users import User

BUILT_IN = ("pupil-list", "chronology", "provision-map")
SUFFIXES = (".csv", ".xlsx", ".jsonl")
KEPT_FOR = 24 * 3600


def _folder() -> Path:
    folder = Path(tempfile.gettempdir()) / "sendtrail-imports"
    folder.mkdir(mode=0o700, exist_ok=True)
    for old in folder.iterdir():
        if time.time() - old.stat().st_mtime > KEPT_FOR:
            old.unlink(missing_ok=True)
    return folder


def held(data: bytes, filename: str) -> str:
    """Keep an upload for its preview and confirmation; returns its name (digest + kind)."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError("the file must be CSV, XLSX or JSON Lines (.csv, .xlsx, .jsonl)")
    name = hashlib.sha256(data).hexdigest() + suffix
    path = _folder() / name
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
    return name


def _path(name: str) -> Path:
    stem, _, suffix = name.partition(".")
    if len(stem) != 64 or any(c not in "0123456789abcdef" for c in stem):
        raise ValueError("no such upload")
    if f".{suffix}" not in SUFFIXES:
        raise ValueError("no such upload")
    path = _folder() / name
    if not path.is_file():
        raise ValueError("the upload is no longer here: choose the file again")
    return path


def _mapping(mapping_id: str, user: User) -> Mapping:
    if mapping_id not in BUILT_IN:
        raise ValueError("choose one of the kinds of file listed")
    return load_mapping(mapping_id).model_copy(update={"setting_id": user.setting_id})


def run(svc: Services, user: User, name: str, mapping_id: str, *, dry_run: bool) -> Outcome:
    """The dry run (nothing stored) or the real one (all or nothing, child by child)."""
    permit(user, "import.records")
    path = _path(name)
    importer = Importer(svc.records, _mapping(mapping_id, user), path, user=user.user_id)
    outcome = run_import(importer, dry_run=dry_run)
    if not dry_run and outcome.written:
        path.unlink(missing_ok=True)
    return outcome
