"""Store fixtures: the same tests run on SQLite and on PostgreSQL.

PostgreSQL tests need SENDTRAIL_TEST_POSTGRES (CI sets it); without it, or when the server
does not answer, they are skipped with the reason shown by `-ra`.
"""

from __future__ import annotations

import os

# Rich sizes its tables from the terminal (or COLUMNS) when a console is made: fix it before
# any module makes one, so CLI output reads the same in a terminal, in CI and in xdist's
# workers (which have no terminal, so 80 columns, and words wrapped mid-assertion).
os.environ["COLUMNS"] = os.environ.get("SENDTRAIL_TEST_COLUMNS", "200")
os.environ.setdefault("LINES", "50")

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from api.bootstrap import open_records
from api.settings import Settings
from domain.application import ChildRecords
from tests.factories import fixed_clock

POSTGRES_URL = os.environ.get("SENDTRAIL_TEST_POSTGRES", "")

OpenStore = Callable[[], ChildRecords]


def _postgres_skip_reason() -> str | None:
    if not POSTGRES_URL:
        return "SENDTRAIL_TEST_POSTGRES is not set (CI sets it; see README)"
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.OperationalError:
        return f"PostgreSQL at {POSTGRES_URL} is not answering"


@pytest.fixture(scope="session")
def postgres_available() -> str:
    reason = _postgres_skip_reason()
    if reason:
        pytest.skip(reason)
    return POSTGRES_URL


@pytest.fixture
def postgres_schema(postgres_available: str) -> Iterator[str]:
    """A fresh schema per test, dropped afterwards, so tests never see each other's rows."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_available, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with psycopg.connect(postgres_available, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}_keys" CASCADE')  # the key store's


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a fresh, empty store of each kind."""
    if request.param == "sqlite":
        return Settings(data_dir=tmp_path / "data", database_url=None)
    schema = request.getfixturevalue("postgres_schema")
    # Tests of the key store *file* (deleted, emptied, copied, its modes) keep a file beside
    # PostgreSQL too; every other test uses the key tables in PostgreSQL, the default there.
    key_file = (
        tmp_path / "data" / "keystore.db" if request.node.get_closest_marker("key_file") else None
    )
    return Settings(
        data_dir=tmp_path / "data",
        database_url=f"{POSTGRES_URL}?schema={schema}",
        key_store=key_file,
    )


@pytest.fixture
def open_store(settings: Settings) -> Iterator[OpenStore]:
    """Opens (and later closes) application instances on the same store."""
    opened: list[ChildRecords] = []

    def _open() -> ChildRecords:
        records = open_records(settings, clock=fixed_clock)
        opened.append(records)
        return records

    yield _open
    for records in opened:
        records.close()


@pytest.fixture
def records(open_store: OpenStore) -> ChildRecords:
    return open_store()


@pytest.fixture
def memory_records() -> Iterator[ChildRecords]:
    """eventsourcing's own in-memory persistence, for fast pure-domain tests."""
    app = ChildRecords({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=fixed_clock)
    yield app
    app.close()
