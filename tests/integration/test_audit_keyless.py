"""`audit` is the key-free, read-only check the README promises: it runs without the KEK
(a restored copy whose KEK is kept elsewhere), creates and changes nothing (no key store,
no KEK file, not a byte of the stores), and its exit codes mean one thing each: 0 intact,
1 a check failed (naming the leaf), 4 the key store refused, 5 the store could not be
read (naming the file and the reason)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from api.bootstrap import open_records
from api.settings import Settings
from tests.factories import register
from tests.processes import one_line, sendtrail

pytestmark = [pytest.mark.key_file, pytest.mark.slow]  # the key store file; runs `sendtrail`


def _installation(settings: Settings) -> None:
    assert sendtrail(settings, "keys", "init").returncode == 0
    records = open_records(settings)
    try:
        for _ in range(3):
            register(records)
    finally:
        records.close()
    assert sendtrail(settings, "checkpoint").returncode == 0


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith(("-wal", "-shm"))
    }


def test_it_needs_no_kek_and_changes_nothing(settings: Settings) -> None:
    _installation(settings)
    settings.kek_path.unlink()  # kept elsewhere, as the README advises
    before = _digests(settings.data_dir)
    audited = sendtrail(settings, "audit")
    assert audited.returncode == 0, one_line(audited)
    assert "AUDIT OK: 3 leaves, 3 children, 1 checkpoints verified" in one_line(audited)
    assert _digests(settings.data_dir) == before  # no byte changed, no file made
    assert not settings.kek_path.exists()


def test_without_a_key_store_it_creates_none(settings: Settings) -> None:
    _installation(settings)
    settings.key_store_path.unlink()
    settings.kek_path.unlink()
    refused = sendtrail(settings, "audit")
    assert refused.returncode == 4, one_line(refused)
    assert f"key store {settings.key_store_path} is missing or empty" in one_line(refused)
    alone = sendtrail(settings, "audit", "--no-key-store")
    assert alone.returncode == 0, one_line(alone)
    assert not settings.key_store_path.exists()
    assert not settings.kek_path.exists()


def test_an_empty_data_folder_is_unreadable_not_created(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "nothing-here")
    (settings.keys_dir).mkdir(parents=True)
    assert sendtrail(settings, "keys", "init").returncode == 0
    before = sorted(p.name for p in settings.data_dir.rglob("*"))
    audited = sendtrail(settings, "audit")
    assert audited.returncode == 5, one_line(audited)
    assert f"{settings.sqlite_path} (no such file)" in one_line(audited)
    assert sorted(p.name for p in settings.data_dir.rglob("*")) == before


def test_a_damaged_event_store_or_key_store_is_named(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    _installation(settings)
    kept = settings.key_store_path.read_bytes()
    settings.key_store_path.write_bytes(b"\x00garbage, not SQLite\x00" * 300)
    damaged_keys = sendtrail(settings, "audit")
    assert damaged_keys.returncode == 4, one_line(damaged_keys)
    assert f"key store damaged: {settings.key_store_path}" in one_line(damaged_keys)
    settings.key_store_path.write_bytes(kept)
    settings.sqlite_path.write_bytes(b"\x00garbage, not SQLite\x00" * 300)
    for side in settings.data_dir.glob("sendtrail.db-*"):
        side.unlink()
    damaged = sendtrail(settings, "audit")
    assert damaged.returncode == 5, one_line(damaged)
    assert f"Cannot use the store: damaged ({settings.sqlite_path})" in one_line(damaged)


def test_a_changed_leaf_is_still_exit_1_naming_it(tmp_path: Path) -> None:
    import sqlite3

    settings = Settings(data_dir=tmp_path / "data")
    _installation(settings)
    with sqlite3.connect(settings.sqlite_path) as db:
        db.execute("UPDATE ledger_leaves SET topic = 'x:Y' WHERE leaf_index = 1")
    audited = sendtrail(settings, "audit")
    assert audited.returncode == 1, one_line(audited)
    assert "AUDIT FAILED leaf 1" in one_line(audited)
