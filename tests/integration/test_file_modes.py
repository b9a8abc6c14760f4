"""Only the service can read its data: the folder is 0700 and the SQLite store's files 0600
(they hold parents' names in the user table and every child's event types in clear)."""

from __future__ import annotations

import stat
from pathlib import Path

from api.bootstrap import open_records
from api.settings import Settings
from tests.factories import register


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def store_files(settings: Settings) -> list[Path]:
    database = settings.sqlite_path
    found = [database, *(database.with_name(database.name + e) for e in ("-wal", "-shm"))]
    return [path for path in found if path.exists()]


def test_a_new_store_is_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    records = open_records(settings)
    try:
        register(records)
        files = store_files(settings)
        assert len(files) == 3, "the store is in WAL mode: the WAL and its index exist"
        assert mode(settings.data_dir) == 0o700
        for path in [*files, settings.key_store_path, settings.kek_path]:
            assert mode(path) == 0o600, path.name
    finally:
        records.close()


def test_an_older_stores_loose_files_are_tightened(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    open_records(settings).close()
    settings.data_dir.chmod(0o755)
    for path in store_files(settings):
        path.chmod(0o644)

    records = open_records(settings)
    try:
        register(records)
        assert mode(settings.data_dir) == 0o700
        for path in store_files(settings):
            assert mode(path) == 0o600, path.name
    finally:
        records.close()
