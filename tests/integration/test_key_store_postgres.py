"""The key store in PostgreSQL: what lets several app servers share one installation.

Each "server" here is a separate application with its own data folder (its own copy of the
signing keys and the KEK file, as a deployment would give each machine), on one database.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from psycopg.sql import SQL, Identifier
from typer.testing import CliRunner

from api.bootstrap import open_records
from api.cli import app as cli
from api.cli_serve import ensure_keys
from api.settings import Settings
from domain import commands as cmd
from domain.application import ChildRecords
from ledger.key_errors import DataKeyErased, KeyStoreRefused
from ledger.keystore import REFRESH_SECONDS
from ledger.keystore_pg import PostgresKeys
from tests.conftest import POSTGRES_URL
from tests.factories import PRACTITIONER, ChildBuilder, register
from tests.processes import ROOT

pytestmark = pytest.mark.postgres
MARKER = "Quietly-Shared-Marker"
DESTROY = """
import sys
from uuid import UUID
from api.bootstrap import open_key_store, open_records
from api.settings import Settings
records = open_records(Settings.model_validate_json(sys.argv[1]))
open_key_store(records).destroy(records.stored_ids(UUID(sys.argv[2])))
records.close()
"""


def observed(child: ChildBuilder, notes: str) -> ChildBuilder:
    child.do(
        cmd.RecordObservation,
        date(2025, 1, 6),
        PRACTITIONER,
        area="communication_language",
        notes=notes,
        observer="Key person",
    )
    return child


def server(first: Settings, folder: Path) -> Settings:
    """Another app server's settings: its own folder, a copy of the first's key files."""
    if not (folder / "keys").exists():
        shutil.copytree(first.keys_dir, folder / "keys")
    return Settings(data_dir=folder, database_url=first.database_url)


@pytest.fixture
def first(postgres_schema: str, tmp_path: Path) -> Settings:
    settings = Settings(
        data_dir=tmp_path / "a", database_url=f"{POSTGRES_URL}?schema={postgres_schema}"
    )
    ensure_keys(settings)
    return settings


@pytest.fixture
def two(first: Settings, tmp_path: Path) -> Iterator[tuple[ChildRecords, ChildRecords]]:
    a = open_records(first)
    b = open_records(server(first, tmp_path / "b"))
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def key_tables(settings: Settings) -> PostgresKeys:
    where = settings.key_store_location
    assert isinstance(where, PostgresKeys)
    return where


class TestSharedByEveryServer:
    def test_a_record_written_on_one_server_reads_on_another(
        self, first: Settings, two: tuple[ChildRecords, ChildRecords], tmp_path: Path
    ) -> None:
        a, b = two
        child = observed(register(a), MARKER)
        history = b.history(child.child_id)
        assert any(MARKER in str(entry) for entry in history)
        assert not (first.data_dir / "keystore.db").exists()  # no key file on any server
        assert not (tmp_path / "b" / "keystore.db").exists()

    def test_new_records_on_both_servers_at_once_get_one_key_each(
        self, two: tuple[ChildRecords, ChildRecords]
    ) -> None:
        made: list[UUID] = []
        errors: list[BaseException] = []

        def write(records: ChildRecords) -> None:
            try:
                for _ in range(8):
                    made.append(observed(register(records), MARKER).child_id)
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=write, args=(r,)) for r in two]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        assert len(made) == 16
        for records in two:
            for child in made:
                assert any(MARKER in str(e) for e in records.history(child))

    def test_an_erasure_on_one_server_closes_the_record_on_the_other(
        self, first: Settings, two: tuple[ChildRecords, ChildRecords]
    ) -> None:
        a_settings = first
        a, b = two
        child = observed(register(a), MARKER)
        assert b.history(child.child_id)  # b now holds the child's key in its cache
        destroyed = subprocess.run(  # another server (process) destroys the keys
            [sys.executable, "-c", DESTROY, a_settings.model_dump_json(), str(child.child_id)],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert destroyed.returncode == 0, destroyed.stderr
        time.sleep(REFRESH_SECONDS * 4)  # b looks at the generation at most this often
        with pytest.raises(DataKeyErased):
            b.history(child.child_id)

    def test_keys_status_names_the_schema_not_a_file(self, first: Settings) -> None:
        open_records(first).close()
        env = {
            "SENDTRAIL_DATA": str(first.data_dir),
            "SENDTRAIL_DATABASE_URL": str(first.database_url),
        }
        shown = CliRunner().invoke(cli, ["keys", "status"], env=env)
        assert shown.exit_code == 0, shown.output
        assert f"PostgreSQL schema {key_tables(first).schema}" in " ".join(shown.output.split())


class TestNeverSilentlyReplaced:
    def test_dropped_key_tables_are_refused_and_none_are_made(self, first: Settings) -> None:
        records = open_records(first)
        observed(register(records), MARKER)
        records.close()
        where = key_tables(first)
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA {} CASCADE").format(Identifier(where.schema)))
        with pytest.raises(KeyStoreRefused) as refused:
            open_records(first)
        assert "missing or empty" in str(refused.value)
        assert where.schema in refused.value.file
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            found = conn.execute(
                "SELECT to_regnamespace(%s) IS NOT NULL", [where.schema]
            ).fetchone()
        assert found == (False,)  # nothing was made over the events

    def test_another_installations_key_tables_are_refused(
        self, first: Settings, postgres_schema: str
    ) -> None:
        records = open_records(first)
        observed(register(records), MARKER)
        records.close()
        where = key_tables(first)
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(
                SQL("UPDATE {}.installation SET installation_id = %s").format(
                    Identifier(where.schema)
                ),
                ["f" * 32],
            )
        with pytest.raises(KeyStoreRefused, match="another event store"):
            open_records(first)


def test_the_events_alone_audit_without_the_keys(first: Settings) -> None:
    records = open_records(first)
    observed(register(records), MARKER)
    records.close()
    env = {"SENDTRAIL_DATA": str(first.data_dir), "SENDTRAIL_DATABASE_URL": str(first.database_url)}
    runner = CliRunner()
    assert runner.invoke(cli, ["checkpoint"], env=env).exit_code == 0
    audited = runner.invoke(cli, ["audit"], env=env)
    assert audited.exit_code == 0, audited.output
    assert "every encrypted record covered" in " ".join(audited.output.split())
