"""`sendtrail restore DIR`: a backup put back into an empty installation, then proved.

1. the manifest and every file's SHA-256 are checked (a changed byte names its file);
2. the target must be empty — no event store, no key store — so a restore never
   overwrites anything; on PostgreSQL the backup's schema must not exist yet;
3. the event store (copied, or `pg_restore`d), the key store, the log and exporter keys and
   the LA profiles are put in place, each whole or not at all;
4. the backup's signed checkpoint is added to the restored log, and the restored store is
   audited without any key: every leaf, chain and root, that checkpoint, the key store's
   binding and that every encrypted record has its key or a tombstone;
5. if the KEK file is there, the newest event of every record that was not erased is
   decrypted: each record is readable. Without it, the restore says which KEK versions to
   bring back.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast
from uuid import UUID

from api.backup import CHECKPOINT, EVENTS, EVENTS_PG, KEY_STORE, Progress, record_checkpoint
from api.backup_manifest import Manifest, read_and_check
from api.bootstrap import open_records
from api.keyless import open_keyless, postgres_conninfo
from api.pending_erasures import erased_children, stored_ids
from api.settings import Settings
from exporters.durable_file import copy_durably
from ledger.audit import AuditReport, audit
from ledger.kek import read_keks
from ledger.key_errors import KekError, KeyStoreRefused
from ledger.keys import LOG_KEY, key_paths, load_public
from ledger.keystore_pg import open_key_view
from ledger.log import Ledger, LedgerBackend
from ledger.mapper import CommittingMapper
from ledger.pairing import refusal, uncovered_originators


class RestoreRefused(Exception):
    """The target is not empty, or the backup is for another kind of store."""


class RestoreFailed(Exception):
    """The restored store fails its audit; `where` names the leaf, record or file."""

    def __init__(self, reason: str, *, where: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.reason = reason
        self.where = where


@dataclass
class Restored:
    """What a restore put back and proved."""

    manifest: Manifest
    audit: AuditReport
    readable: int = 0
    erased: int = 0
    kek_missing: list[int] = field(default_factory=list)


def restore(settings: Settings, folder: Path, *, progress: Progress) -> Restored:
    """Restore the backup in `folder` into the configured, empty installation."""
    manifest = read_and_check(folder)
    _check_target(settings, manifest)
    if manifest.store == "sqlite":
        copy_durably(
            folder / EVENTS, settings.sqlite_path, progress=_bytes(progress, folder / EVENTS)
        )
    else:
        _pg_restore(settings, folder / EVENTS_PG, progress)
    if (folder / KEY_STORE).exists():
        copy_durably(folder / KEY_STORE, settings.key_store_path)
    for name in manifest.files:
        if name.startswith(("keys/", "la-profiles/")):
            base = settings.keys_dir if name.startswith("keys/") else settings.la_profile_dirs[-1]
            target = base / name.split("/", 1)[1]
            if not target.exists():
                copy_durably(folder / name, target)
    note = (folder / CHECKPOINT).read_text()
    report = _audit_restored(settings, note)
    restored = Restored(manifest, report)
    _read_every_record(settings, restored)
    return restored


def _bytes(progress: Progress, path: Path) -> Callable[[int], None]:
    total = path.stat().st_size
    done = [0]

    def advance(n: int) -> None:
        done[0] += n
        progress("event store", done[0], total)

    return advance


def _check_target(settings: Settings, manifest: Manifest) -> None:
    kind = "postgresql" if settings.database_url else "sqlite"
    if manifest.store != kind:
        raise RestoreRefused(
            f"the backup is of a {manifest.store} store; this installation uses {kind}"
        )
    keys = open_key_view(settings.key_store_location)
    if keys is not None:
        keys.close()
        raise RestoreRefused(
            f"{settings.key_store_name} exists: restore into an empty installation"
        )
    if kind == "sqlite":
        if settings.sqlite_path.exists():
            raise RestoreRefused(
                f"{settings.sqlite_path} exists: restore into an empty installation"
            )
        return
    _, schema = postgres_conninfo(settings)
    if schema != manifest.schema:
        raise RestoreRefused(
            f"the backup holds schema {manifest.schema}; configure ?schema={manifest.schema} "
            "in a database where it does not exist yet"
        )


def _pg_restore(settings: Settings, dump: Path, progress: Progress) -> None:
    tool = shutil.which("pg_restore")
    if tool is None:
        raise RestoreRefused("pg_restore is not installed (postgresql-client)")
    conninfo, _ = postgres_conninfo(settings)
    progress("event store (pg_restore)", 0, 1)
    done = subprocess.run(  # noqa: S603 - our own arguments, no shell
        [
            tool,
            "--exit-on-error",
            "--no-owner",
            "--single-transaction",
            f"--dbname={conninfo}",
            str(dump),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or ["?"]
        raise RestoreRefused(f"pg_restore refused: {last[0]} (does the schema exist already?)")
    progress("event store (pg_restore)", 1, 1)


def _audit_restored(settings: Settings, note: str) -> AuditReport:
    writable = open_keyless(settings, read_only=False)
    try:
        record_checkpoint(writable, note)
    finally:
        writable.close()
    backend = open_keyless(settings)
    try:
        with backend.ledger_cursor():
            report = audit(
                Ledger(backend, origin=settings.log_origin),
                log_key=load_public(key_paths(settings.keys_dir, LOG_KEY).public),
                key_name=settings.log_origin,
                extra_checkpoints=[note],
            )
            _check_keys(backend, settings)
    finally:
        backend.close()
    return report


def _check_keys(backend: LedgerBackend, settings: Settings) -> None:
    path = settings.key_store_name
    view = open_key_view(settings.key_store_location)
    try:
        why = refusal(backend, view, Path(path))
        if why:
            raise KeyStoreRefused(why, file=path)
        missing = uncovered_originators(backend, view) if view else []
        if missing:
            raise RestoreFailed(
                f"{len(missing)} encrypted record(s) have no key in the restored key store",
                where=f"record {missing[0][:8]}",
            )
    finally:
        if view is not None:
            view.close()


def _read_every_record(settings: Settings, restored: Restored) -> None:
    """Decrypt the newest event of every record not erased (needs the KEK file)."""
    try:
        have = read_keks(settings.kek_path)
    except KekError:
        restored.kek_missing = restored.manifest.kek_versions_needed
        return
    restored.kek_missing = [v for v in restored.manifest.kek_versions_needed if v not in have]
    if restored.kek_missing:
        return
    records = open_records(settings)
    try:
        mapper = cast(CommittingMapper, records.mapper)
        backend = cast(LedgerBackend, records.recorder)
        erased = erased_children(backend)
        gone = {o for c in erased for o in stored_ids(c)}
        restored.erased = len(erased)
        with backend.ledger_cursor() as cursor:
            cursor.execute(backend.tables.q("SELECT child_id FROM {p}ledger_heads"))
            originators = [UUID(str(r["child_id"])) for r in cursor.fetchall()]
        for originator in originators:
            if originator in gone:
                continue
            newest = records.recorder.select_events(originator, desc=True, limit=1)
            mapper.payload(newest[0])  # raises a typed PrivacyError if it does not open
            restored.readable += 1
    finally:
        records.close()
