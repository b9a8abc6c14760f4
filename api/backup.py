"""`sendtrail backup DIR`: an online, consistent copy of the event store and the key store.

A copy that restores must hold a key (or a tombstone) for every encrypted event it holds,
and must not hold an erasure's tombstone without its erasure event. Keys are made before
the events that need them and destroyed after the erasure event, so the order is:

1. take the key store's writer lock (no key is made, destroyed or rewrapped meanwhile;
   writers of existing records are not held up, only the first event of a new record);
2. open a read snapshot of the event store (SQLite: a read transaction; PostgreSQL: a
   REPEATABLE READ transaction whose snapshot is exported) — the backup's point in time;
3. copy the key store (SQLite's backup API) and release its lock: the copy is the key
   state at that point exactly;
4. copy the event store within the snapshot (SQLite's backup API, or `pg_dump --snapshot`),
   while writers go on;
5. sign a checkpoint of the snapshot with the log key: it goes into the backup and into
   the live store, so the restored store's audit checks it and the live log vouches for it;
6. the log and exporter keys, the setting's LA profiles, then the manifest, last.

The KEK file is never copied, wherever it lives: keep it, and every version the manifest
lists, apart from the backups.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg.sql import Identifier

from api.backup_manifest import Manifest, seal
from api.crash_points import Step, no_crash
from api.keyless import open_keyless, postgres_conninfo
from api.settings import Settings
from exporters.durable_file import copy_durably, fsync_dir, write_durably
from ledger import checkpoint as cp
from ledger.keyless import KeylessPostgres, KeylessSQLite
from ledger.keys import LOG_ORIGIN_FILE
from ledger.keystore_file import KeyStoreFile
from ledger.keystore_pg import key_schema
from ledger.log import Ledger, heads_root
from ledger.pairing import event_store_installation
from ledger.sql import Cursor

EVENTS = "sendtrail.db"
EVENTS_PG = "events.pgdump"
KEY_STORE = "keystore.db"
CHECKPOINT = "checkpoint.txt"
Progress = Callable[[str, int, int], None]  # (what, done, total)


class BackupRefused(Exception):
    """The backup cannot be taken (a non-empty target, no log key, no pg_dump)."""


@dataclass(frozen=True)
class Backup:
    """What a backup holds."""

    folder: Path
    manifest: Manifest


class _KeyStoreLock:
    """The key store's writer lock, held from `acquire` to `release` (no-op without a
    key store yet). Readers may still read meanwhile (its journal is a rollback journal):
    `reader` is one, for the copy."""

    def __init__(self, path: Path | None) -> None:
        self.exists = path is not None and path.exists() and path.stat().st_size > 0
        self._writer: sqlite3.Connection | None = None
        self.reader: sqlite3.Connection | None = None
        if path is not None and self.exists:
            self._writer = sqlite3.connect(path, isolation_level=None, timeout=60)
            self.reader = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)

    def acquire(self) -> None:
        if self._writer is not None:
            self._writer.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        for db in (self._writer, self.reader):
            if db is not None:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                db.close()
        self._writer = self.reader = None


def _copy_sqlite(source: sqlite3.Connection, target: Path, what: str, progress: Progress) -> None:
    """SQLite's online backup of `source` (within its open transaction, if any) into
    `target`, then made a single self-contained file (rollback journal, not WAL)."""

    def advance(_status: int, left: int, total: int) -> None:
        progress(what, total - left, total)

    target.touch(mode=0o600)  # personal data: owner-only from the first byte
    with closing(sqlite3.connect(target, isolation_level=None)) as copy:
        source.backup(copy, pages=2048, progress=advance)
        copy.execute("PRAGMA journal_mode = DELETE")
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def checkpoint_now(
    backend: KeylessSQLite | KeylessPostgres, origin: str, key: Ed25519PrivateKey
) -> str:
    """A signed checkpoint of what `backend`'s open snapshot holds."""
    ledger = Ledger(backend, origin=origin)
    size = ledger.size()
    heads = ledger.heads()
    head = cp.Checkpoint(
        origin=origin,
        size=size,
        root=ledger.root(),
        heads_count=len(heads),
        heads_root=heads_root(heads),
    )
    return cp.sign(head, key, origin)


def record_checkpoint(backend: KeylessSQLite | KeylessPostgres, note: str) -> None:
    """Store `note` among the log's checkpoints (kept if one of that size is there)."""
    size = int(note.split("\n")[1])
    with backend.ledger_cursor(commit=True) as cursor:
        cursor.execute(
            backend.tables.q(
                "INSERT INTO {p}ledger_checkpoints (size, note) VALUES (?, ?) "
                "ON CONFLICT (size) DO NOTHING"
            ),
            [size, note],
        )


def take_backup(
    settings: Settings,
    folder: Path,
    *,
    log_key: Ed25519PrivateKey,
    progress: Progress = lambda _w, _d, _t: None,
    step: Step = no_crash,
) -> Backup:
    """Back the installation up into `folder` (missing or empty); see the module doc."""
    if folder.exists() and any(folder.iterdir()):
        raise BackupRefused(f"{folder} is not empty: back up into a new folder")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    pg = settings.database_url is not None
    backend = open_keyless(settings)
    # A key store in PostgreSQL is dumped with the events, in the same snapshot: no lock.
    in_database = settings.key_store_in_database
    lock = _KeyStoreLock(None if in_database else settings.key_store_path)
    keys_done = lock.exists
    kek_versions: list[int] = []
    try:
        lock.acquire()  # 1
        with backend.ledger_cursor() as cursor:
            snapshot = _pg_snapshot(cursor) if pg else None  # 2: the point in time...
            installation = event_store_installation(backend)  # ...fixed by the first read
            if in_database:
                kek_versions = _kek_versions_in_database(cursor, settings)
            if lock.reader is not None:
                _copy_sqlite(lock.reader, folder / KEY_STORE, "key store", progress)  # 3
            lock.release()
            step("key-store-copied")
            if isinstance(backend, KeylessPostgres):  # 4
                _pg_dump(settings, snapshot or "", folder / EVENTS_PG, progress)
            else:
                _copy_sqlite(backend.connection, folder / EVENTS, "event store", progress)
            step("event-store-copied")
            note = checkpoint_now(backend, settings.log_origin, log_key)  # 5
    finally:
        lock.release()
        backend.close()
    _record_in_live_store(settings, note)
    write_durably(folder / CHECKPOINT, note.encode())
    names = [EVENTS_PG if pg else EVENTS, CHECKPOINT]
    if keys_done:
        names.append(KEY_STORE)
    names += _copy_settings_files(settings, folder)
    manifest = Manifest(
        created_at=datetime.now(tz=UTC).isoformat(),
        store="postgresql" if pg else "sqlite",
        schema=postgres_conninfo(settings)[1] if pg else None,
        installation=installation,
        log_origin=settings.log_origin,
        checkpoint_size=int(note.split("\n")[1]),
        checkpoint_file=CHECKPOINT,
        kek_versions_needed=_kek_versions(folder / KEY_STORE) if keys_done else kek_versions,
    )
    step("files-copied")
    seal(folder, manifest, names)
    fsync_dir(folder)
    return Backup(folder, manifest)


def _pg_snapshot(cursor: Cursor) -> str:
    cursor.execute("SELECT pg_export_snapshot() AS id")
    return str(cursor.fetchone()["id"])


def _pg_dump(settings: Settings, snapshot: str, target: Path, progress: Progress) -> None:
    tool = shutil.which("pg_dump")
    if tool is None:
        raise BackupRefused("pg_dump is not installed (postgresql-client): it copies the events")
    conninfo, schema = postgres_conninfo(settings)
    target.touch(mode=0o600)
    progress("event store (pg_dump)", 0, 1)
    done = subprocess.run(  # noqa: S603 - our own arguments, no shell
        [
            tool,
            "--format=custom",
            f"--snapshot={snapshot}",
            f"--schema={schema}",
            *([f"--schema={key_schema(schema)}"] if settings.key_store_in_database else []),
            "--no-owner",
            f"--file={target}",
            conninfo,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupRefused(f"pg_dump failed: {done.stderr.strip().splitlines()[-1:]}")
    progress("event store (pg_dump)", 1, 1)


def _record_in_live_store(settings: Settings, note: str) -> None:
    live = open_keyless(settings, read_only=False)
    try:
        record_checkpoint(live, note)
    finally:
        live.close()


def _copy_settings_files(settings: Settings, folder: Path) -> list[str]:
    """The log and exporter keys (never the KEK, wherever it is) and the setting's LA
    profiles; returns their names relative to `folder`."""
    names = []
    kek = settings.kek_path.resolve()
    origin = settings.keys_dir / LOG_ORIGIN_FILE  # the log's name: its checkpoints say it
    for path in sorted([*settings.keys_dir.glob("*.pem"), *([origin] if origin.exists() else [])]):
        if path.resolve() != kek:
            copy_durably(path, folder / "keys" / path.name)
            names.append(f"keys/{path.name}")
    profiles = settings.la_profile_dirs[-1]
    for path in sorted(profiles.glob("*.toml")) if profiles.is_dir() else []:
        copy_durably(path, folder / "la-profiles" / path.name)
        names.append(f"la-profiles/{path.name}")
    return names


def _kek_versions_in_database(cursor: Cursor, settings: Settings) -> list[int]:
    """The KEK versions the key store in PostgreSQL needs, read in the backup's snapshot."""
    schema = key_schema(postgres_conninfo(settings)[1])
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL AS found", [f'"{schema}".keystore_state'])
    if not cursor.fetchone()["found"]:
        return []  # no key made yet
    keys = Identifier(schema).as_string()
    cursor.execute(
        f"SELECT DISTINCT kek_version AS v FROM {keys}.data_keys "  # noqa: S608 - an identifier
        f"UNION SELECT active_kek FROM {keys}.keystore_state WHERE id = 1"
    )
    return sorted(int(row["v"]) for row in cursor.fetchall())


def _kek_versions(copy: Path) -> list[int]:
    view = KeyStoreFile(copy)
    try:
        return view.kek_versions_needed()
    finally:
        view.close()
