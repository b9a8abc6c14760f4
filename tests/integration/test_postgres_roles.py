"""A multi-server installation's PostgreSQL roles: the owner makes the tables (`db init`)
and grants an application role (`db grant`); the service runs as that role, and neither it
nor anyone else can change or delete a stored event or audit row."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.sql import SQL, Identifier
from typer.testing import CliRunner

from api.app import create_app
from api.bootstrap import open_ledger, open_records
from api.cli import app as cli
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore
from ledger.audit import audit
from ledger.keys import LOG_KEY, key_paths, load_private, load_public
from ledger.log import LedgerBackend
from tests.conftest import POSTGRES_URL


@dataclass
class Installation:
    schema: str
    role: str
    owner: Settings
    app: Settings

    def env(self) -> dict[str, str]:
        return {
            "SENDTRAIL_DATA": str(self.owner.data_dir),
            "SENDTRAIL_DATABASE_URL": str(self.owner.database_url),
        }

    def as_app(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(app_url(self.role), autocommit=True)


def app_url(role: str) -> str:
    return POSTGRES_URL.replace("postgres@", f"{role}@", 1)


@pytest.fixture
def installation(postgres_schema: str, tmp_path: Path) -> Iterator[Installation]:
    role = f"st_app_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
    data = tmp_path / "data"
    owner = Settings(data_dir=data, database_url=f"{POSTGRES_URL}?schema={postgres_schema}")
    app = Settings(data_dir=data, database_url=f"{app_url(role)}?schema={postgres_schema}")
    ensure_keys(owner)
    try:
        yield Installation(postgres_schema, role, owner, app)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


def granted(installation: Installation) -> None:
    runner = CliRunner()
    made = runner.invoke(cli, ["db", "init"], env=installation.env())
    assert made.exit_code == 0, made.output
    given = runner.invoke(cli, ["db", "grant", installation.role], env=installation.env())
    assert given.exit_code == 0, given.output


def write_as_app(installation: Installation) -> str:
    """A SENCO's writes and reads through the HTTP API, the service running as the role."""
    records = open_records(installation.app)
    _, token = UserStore(cast(LedgerBackend, records.recorder)).add(
        "Roles SENCO", role="senco", setting_id="roles-setting"
    )
    records.close()
    with TestClient(create_app(installation.app)) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        made = client.post(
            "/v1/children",
            json={
                "given_name": "Role",
                "family_name": "Fictional",
                "date_of_birth": "2022-06-01",
                "occurred_at": "2024-09-02",
            },
        )
        assert made.status_code == 201, made.text
        child = str(made.json()["child_id"])
        noted = client.post(
            f"/v1/children/{child}/observations",
            json={
                "expected_version": 1,
                "occurred_at": "2024-10-01",
                "area": "communication_language",
                "notes": "Few words at group time.",
                "observer": "Key person",
            },
        )
        assert noted.status_code == 201, noted.text
        assert client.get(f"/v1/children/{child}/plan").status_code == 200
        uploaded = client.post(
            f"/v1/children/{child}/documents",
            files={"file": ("note.txt", b"Plain words.\n", "text/plain")},
        )
        assert uploaded.status_code == 201, uploaded.text
        digest = uploaded.json()["sha256"]
        assert client.get(f"/v1/children/{child}/documents/{digest}").content == b"Plain words.\n"
        assert client.get("/v1/dashboard").status_code == 200
    return child


@pytest.mark.postgres
class TestApplicationRole:
    def test_the_service_runs_as_the_role_and_its_record_audits_clean(
        self, installation: Installation
    ) -> None:
        granted(installation)
        write_as_app(installation)
        records = open_records(installation.app)
        try:
            ledger = open_ledger(records, installation.app)
            keys = key_paths(installation.app.keys_dir, LOG_KEY)
            ledger.create_checkpoint(load_private(keys.private), installation.app.log_origin)
            report = audit(
                ledger, log_key=load_public(keys.public), key_name=installation.app.log_origin
            )
        finally:
            records.close()
        assert report.leaves >= 2
        assert report.checkpoints >= 1

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE {s}.sendtrail_events SET state = state",
            "DELETE FROM {s}.sendtrail_events",
            "TRUNCATE {s}.sendtrail_events",
            "UPDATE {s}.ledger_leaves SET prev = prev",
            "DELETE FROM {s}.ledger_leaves",
            "DELETE FROM {s}.ledger_nodes",
            "DELETE FROM {s}.ledger_checkpoints",
            "DROP TRIGGER sendtrail_append_only_row ON {s}.sendtrail_events",
            "ALTER TABLE {s}.sendtrail_events DISABLE TRIGGER ALL",
            "CREATE TABLE {s}.smuggled (a int)",
        ],
    )
    def test_the_role_cannot_change_delete_or_unprotect_the_record(
        self, installation: Installation, statement: str
    ) -> None:
        granted(installation)
        write_as_app(installation)
        with installation.as_app() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(SQL(statement).format(s=Identifier(installation.schema)))

    def test_not_even_the_owner_edits_history_in_place(self, installation: Installation) -> None:
        granted(installation)
        write_as_app(installation)
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            for table in ("sendtrail_events", "ledger_leaves"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                    conn.execute(
                        SQL("DELETE FROM {}.{}").format(
                            Identifier(installation.schema), Identifier(table)
                        )
                    )
            count = conn.execute(
                SQL("SELECT COUNT(*) FROM {}.sendtrail_events").format(
                    Identifier(installation.schema)
                )
            ).fetchone()
        assert count is not None
        assert int(str(count[0])) >= 2

    def test_granting_an_unknown_role_is_refused_by_name(self, installation: Installation) -> None:
        runner = CliRunner()
        assert runner.invoke(cli, ["db", "init"], env=installation.env()).exit_code == 0
        refused = runner.invoke(cli, ["db", "grant", "no_such_role_x1"], env=installation.env())
        assert refused.exit_code == 2
        assert "no role of that name" in refused.output

    def test_the_sql_can_be_printed_for_a_dba(self, installation: Installation) -> None:
        runner = CliRunner()
        assert runner.invoke(cli, ["db", "init"], env=installation.env()).exit_code == 0
        shown = runner.invoke(
            cli, ["db", "grant", installation.role, "--print"], env=installation.env()
        )
        assert shown.exit_code == 0, shown.output
        assert f'GRANT SELECT, INSERT ON "{installation.schema}"."ledger_leaves"' in shown.output
        with installation.as_app() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                SQL("SELECT 1 FROM {}.sendtrail_events").format(Identifier(installation.schema))
            )


def test_db_commands_are_for_postgresql_only(tmp_path: Path) -> None:
    refused = CliRunner().invoke(
        cli, ["db", "init"], env={"SENDTRAIL_DATA": str(tmp_path / "data")}
    )
    assert refused.exit_code == 2
    assert "PostgreSQL" in refused.output
