"""Backup, restore and the key-free audit on a store of 100,000 events.

    python -m bench.backup [--events 100000] [--per-child 500]

Baselines from the same run, on the same store:
- backup: a plain file copy of the event store (after checkpointing its WAL) and the key
  store — what an operator would do with `cp` while nothing writes; on PostgreSQL, a bare
  `pg_dump` of the schema;
- restore: that plain copy back; on PostgreSQL, a bare `pg_restore`. `restore` also checks
  every hash, audits the restored store and decrypts every record's newest event, so it is
  printed beside its own parts;
- audit: reading every event and leaf row and hashing each stored event once (the least
  an audit must do), and the audit through the application's recorder (the old path);
  each the median of three runs.
Printed as seconds and ratios, never pass/fail.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from api.backup import take_backup
from api.bootstrap import open_ledger, open_records
from api.keyless import open_keyless, postgres_conninfo
from api.restore import restore
from api.settings import Settings
from bench.stores import fresh_settings, kinds, write_child
from ledger.audit import audit
from ledger.keys import EXPORTER_KEY, LOG_KEY, create_key_pair, key_paths, load_private, load_public
from ledger.log import Ledger


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def median_of_3(check: Callable[[Settings], int], settings: Settings) -> float:
    return statistics.median(timed(partial(check, settings)) for _ in range(3))


def fill(settings: Settings, events: int, per_child: int) -> None:
    for name in (LOG_KEY, EXPORTER_KEY):
        create_key_pair(settings.keys_dir, name)
    records = open_records(settings)
    try:
        for _ in range(events // per_child):
            write_child(records, per_child, chunk=100)
    finally:
        records.close()


def plain_copy(settings: Settings, folder: Path) -> None:
    """The baseline: `cp` of a quiescent SQLite store and its key store."""
    folder.mkdir()
    with sqlite3.connect(settings.sqlite_path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(settings.sqlite_path, folder / "sendtrail.db")
    shutil.copyfile(settings.key_store_path, folder / "keystore.db")


def bare_pg_dump(settings: Settings, target: Path) -> None:
    conninfo, schema = postgres_conninfo(settings)
    tool = shutil.which("pg_dump") or "pg_dump"
    subprocess.run(
        [tool, "--format=custom", f"--schema={schema}", f"--file={target}", conninfo],
        check=True,
        capture_output=True,
    )


def bare_pg_restore(settings: Settings, dump: Path) -> float:
    """Seconds for a bare `pg_restore` of `dump` into a database of its own."""
    target = Settings(data_dir=settings.data_dir, database_url=_restore_target(settings, "pg"))
    conninfo, _ = postgres_conninfo(target)
    tool = shutil.which("pg_restore") or "pg_restore"
    try:
        return timed(
            lambda: subprocess.run(
                [tool, "--no-owner", "--single-transaction", f"--dbname={conninfo}", str(dump)],
                check=True,
                capture_output=True,
            )
        )
    finally:
        _drop_restore_target(target)


def raw_read(settings: Settings) -> int:
    """Every event and leaf row read, each stored event hashed once: an audit's floor."""
    backend = open_keyless(settings)
    rows = 0
    try:
        with backend.ledger_cursor() as cursor:
            for table in (backend.tables.events_table, "{p}ledger_leaves"):
                cursor.execute(backend.tables.q(f"SELECT * FROM {table}"))  # noqa: S608
                for row in cursor.fetchall():
                    if "state" in row.keys():  # noqa: SIM118 - sqlite3.Row has no __contains__
                        hashlib.sha256(bytes(row["state"])).digest()
                    rows += 1
    finally:
        backend.close()
    return rows


def keyless_audit(settings: Settings) -> int:
    backend = open_keyless(settings)
    try:
        with backend.ledger_cursor():
            report = audit(
                Ledger(backend, origin=settings.log_origin),
                log_key=load_public(key_paths(settings.keys_dir, LOG_KEY).public),
                key_name=settings.log_origin,
            )
    finally:
        backend.close()
    return report.leaves


def recorder_audit(settings: Settings) -> int:
    records = open_records(settings)
    try:
        report = audit(
            open_ledger(records, settings),
            log_key=load_public(key_paths(settings.keys_dir, LOG_KEY).public),
            key_name=settings.log_origin,
        )
    finally:
        records.close()
    return report.leaves


def run(kind: str, events: int, per_child: int) -> None:
    with fresh_settings(kind) as settings, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        build = timed(lambda: fill(settings, events, per_child))
        print(
            f"\n{kind}: {events:,} events in {events // per_child} records (built in {build:.1f} s)"
        )
        log_key = load_private(key_paths(settings.keys_dir, LOG_KEY).private)
        if kind == "sqlite":
            base = timed(lambda: plain_copy(settings, work / "plain"))
            label = "plain copy of both files (quiescent)"
        else:
            base = timed(lambda: bare_pg_dump(settings, work / "bare.pgdump"))
            label = "bare pg_dump of the schema"
        folder = work / "backup"
        backup_s = timed(lambda: take_backup(settings, folder, log_key=log_key))
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        print(f"  backup        {backup_s:7.2f} s  ({size / 1e6:.0f} MB)")
        print(f"  baseline      {base:7.2f} s  {label}")
        print(f"  ratio         {backup_s / base:7.2f}x")

        restored = Settings(
            data_dir=work / "restored",
            kek_file=settings.kek_path,
            database_url=_restore_target(settings, kind),
        )
        restore_s = timed(lambda: restore(restored, folder, progress=lambda *_: None))
        audit_s = timed(lambda: keyless_audit(restored))
        if kind == "sqlite":
            copy_back = timed(lambda: shutil.copyfile(work / "plain" / "sendtrail.db", work / "c"))
            label = "plain copy back"
        else:
            copy_back = bare_pg_restore(settings, work / "bare.pgdump")
            label = "bare pg_restore into an empty database"
        print(f"  restore       {restore_s:7.2f} s  (hashes, copy, audit, every record read)")
        print(f"  audit alone   {audit_s:7.2f} s  (of the restored store)")
        print(f"  baseline      {copy_back:7.2f} s  {label}")
        print(f"  ratio         {restore_s / copy_back:7.2f}x")

        floor, keyless, through_app = (
            median_of_3(check, settings) for check in (raw_read, keyless_audit, recorder_audit)
        )
        print(f"  audit (key-free, read-only, one snapshot)  {events / keyless:9,.0f} events/s")
        print(f"  audit through the application's recorder   {events / through_app:9,.0f} events/s")
        print(f"  baseline: read every row, hash each event   {events / floor:9,.0f} events/s")
        print(f"  time ratio key-free / floor {keyless / floor:.2f}x")
        print(f"  time ratio key-free / through the app {keyless / through_app:.2f}x")
        _drop_restore_target(restored)


def _restore_target(settings: Settings, kind: str) -> str | None:
    if kind == "sqlite" or settings.database_url is None:
        return None
    import uuid

    import psycopg

    conninfo, schema = postgres_conninfo(settings)
    database = f"bench_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    server = conninfo.rsplit("/", 1)[0]
    return f"{server}/{database}?schema={schema}"


def _drop_restore_target(settings: Settings) -> None:
    if settings.database_url is None:
        return
    import psycopg

    conninfo, _ = postgres_conninfo(settings)
    server, database = conninfo.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--per-child", type=int, default=500)
    args = parser.parse_args()
    for kind in kinds():
        run(kind, args.events, args.per_child)


if __name__ == "__main__":
    main()
