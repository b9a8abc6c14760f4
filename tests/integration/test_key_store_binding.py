"""The key store can never be silently replaced: it is bound to its event store, and a
missing, emptied, foreign or stale key store is refused (exit 4, naming the file) before
anything is created or written, on SQLite and PostgreSQL. A new installation, `keys init`
and an installation from before the binding still start."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from api.bootstrap import open_key_store, open_ledger, open_records
from api.settings import Settings
from domain.application import ChildRecords
from ledger.key_errors import KeyStoreRefused
from ledger.keys import EXPORTER_KEY, LOG_KEY, create_key_pair
from ledger.pairing import TABLE, event_store_installation
from tests.factories import register
from tests.processes import one_line, sendtrail

pytestmark = [pytest.mark.key_file, pytest.mark.slow]  # the key store file; runs `sendtrail`


def _store_with_children(settings: Settings, count: int = 2) -> list[str]:
    for name in (LOG_KEY, EXPORTER_KEY):
        create_key_pair(settings.keys_dir, name)
    records = open_records(settings)
    try:
        return [str(register(records).child_id) for _ in range(count)]
    finally:
        records.close()


def _readable(settings: Settings, children: list[str]) -> bool:
    from uuid import UUID

    records = open_records(settings)
    try:
        return all(records.history(UUID(c)) for c in children)
    finally:
        records.close()


def _refused(settings: Settings, said: str) -> None:
    with pytest.raises(KeyStoreRefused, match=said) as refused:
        open_records(settings)
    assert refused.value.file == str(settings.key_store_path)
    result = sendtrail(settings, "keys", "status")
    assert result.returncode == 4, one_line(result)
    assert str(settings.key_store_path) in one_line(result)
    audited = sendtrail(settings, "audit")
    assert audited.returncode == 4, one_line(audited)


class TestANewInstallation:
    def test_first_start_binds_both_stores_to_one_new_id(self, settings: Settings) -> None:
        assert sendtrail(settings, "keys", "init").returncode == 0
        records = open_records(settings)
        try:
            installation = event_store_installation(open_ledger(records, settings).backend)
            assert installation is not None
            assert open_key_store(records).installation() == installation
            register(records)
        finally:
            records.close()
        assert sendtrail(settings, "audit").returncode == 0


class TestAReplacedKeyStoreIsRefused:
    def test_deleted(self, settings: Settings) -> None:
        children = _store_with_children(settings)
        kept = settings.key_store_path.read_bytes()
        settings.key_store_path.unlink()
        _refused(settings, "is missing or empty")
        assert not settings.key_store_path.exists()  # none was made over the events
        settings.key_store_path.write_bytes(kept)
        assert _readable(settings, children)  # the original back: everything reads

    def test_emptied(self, settings: Settings) -> None:
        _store_with_children(settings)
        settings.key_store_path.write_bytes(b"")
        _refused(settings, "is missing or empty")
        assert settings.key_store_path.stat().st_size == 0

    def test_another_installations_key_store(self, settings: Settings, tmp_path: Path) -> None:
        _store_with_children(settings)
        elsewhere = Settings(data_dir=tmp_path / "elsewhere")
        _store_with_children(elsewhere, count=1)
        shutil.copy(elsewhere.key_store_path, settings.key_store_path)
        _refused(settings, "belongs to another event store")

    def test_a_fresh_empty_key_store_from_another_start(
        self, settings: Settings, tmp_path: Path
    ) -> None:
        _store_with_children(settings)
        empty = Settings(data_dir=tmp_path / "empty")
        open_records(empty).close()  # an installation that never wrote: its key store is empty
        shutil.copy(empty.key_store_path, settings.key_store_path)
        _refused(settings, "belongs to another event store")

    def test_an_older_copy_of_the_same_key_store(self, settings: Settings) -> None:
        _store_with_children(settings, count=1)
        copy = settings.key_store_path.read_bytes()
        newer = _one_more_child(settings)
        settings.key_store_path.write_bytes(copy)
        _refused(settings, f"lacks the key of the newest encrypted record \\({newer[:8]}\\)")


def _one_more_child(settings: Settings) -> str:
    records = open_records(settings)
    try:
        return str(register(records).child_id)
    finally:
        records.close()


class TestAudit:
    def test_an_older_record_without_its_key_fails_the_audit_naming_it(
        self, settings: Settings
    ) -> None:
        first, _ = _store_with_children(settings)
        with sqlite3.connect(settings.key_store_path) as db:
            db.execute("DELETE FROM data_keys WHERE originator_id = ?", [first])
        audited = sendtrail(settings, "audit")
        assert audited.returncode == 1, one_line(audited)
        assert f"AUDIT FAILED record {first[:8]}" in one_line(audited)
        alone = sendtrail(settings, "audit", "--no-key-store")
        assert alone.returncode == 0, one_line(alone)

    def test_without_any_key_store_the_events_alone_can_be_audited(
        self, settings: Settings
    ) -> None:
        _store_with_children(settings)
        settings.key_store_path.unlink()
        assert sendtrail(settings, "audit").returncode == 4
        alone = sendtrail(settings, "audit", "--no-key-store")
        assert alone.returncode == 0, one_line(alone)
        assert not settings.key_store_path.exists()


class TestBeforeTheBinding:
    def test_an_installation_made_before_binding_is_bound_on_its_next_start(
        self, settings: Settings
    ) -> None:
        children = _store_with_children(settings)
        records: ChildRecords = open_records(settings)
        backend = open_ledger(records, settings).backend
        with backend.ledger_cursor(commit=True) as cursor:
            cursor.execute(backend.tables.q(f"DROP TABLE {{p}}{TABLE}"))
        records.close()
        with sqlite3.connect(settings.key_store_path) as db:
            db.execute("DROP TABLE installation")
        assert _readable(settings, children)
        records = open_records(settings)
        try:
            bound = event_store_installation(open_ledger(records, settings).backend)
            assert bound is not None
            assert open_key_store(records).installation() == bound
        finally:
            records.close()
