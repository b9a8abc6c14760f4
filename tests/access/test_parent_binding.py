"""A parent's words are their own (issue 14, item 9): each parent account is bound to a
linked person (`users add --person`), the API refuses a view or dispute under any other
person, and `users add --child` names an existing child of the user's own setting, only
for a parent account."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.bootstrap import open_records
from api.cli import app as cli
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore
from domain import commands as cmd
from ledger.log import LedgerBackend
from tests.factories import SETTING, fixed_clock, on, register, with_parent


def _post(client: TestClient, token: str, child: UUID, path: str, body: dict[str, Any]) -> int:
    version = client.get(f"/v1/children/{child}", headers={"Authorization": f"Bearer {token}"})
    sent = {"expected_version": version.json()["version"], "occurred_at": "2025-02-01", **body}
    response: httpx.Response = client.post(
        f"/v1/children/{child}/{path}", json=sent, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


def test_a_parent_writes_only_as_their_own_linked_person(settings: Settings) -> None:
    ensure_keys(settings)
    records = open_records(settings, clock=fixed_clock)
    child = with_parent(register(records))
    child.do(
        cmd.LinkPerson,
        date(2024, 9, 2),
        person_id="carer-2",
        name="Carer Fictional",
        relationship="grandmother",
        parental_responsibility=False,
    )
    child.do(
        cmd.RecordObservation,
        date(2025, 1, 6),
        area="physical",
        notes="Climbs the frame.",
        observer="SENCO",
    )
    observed = child.version
    store = UserStore(cast(LedgerBackend, records.recorder))
    bound = store.add(
        "Parent",
        role="parent",
        setting_id=SETTING,
        child_id=str(child.child_id),
        person_id="parent-1",
    )[1]
    unbound = store.add(
        "Old parent", role="parent", setting_id=SETTING, child_id=str(child.child_id)
    )[1]
    records.close()
    kid = child.child_id
    with TestClient(create_app(settings)) as client:
        view = {"view": "Happy at home."}
        dispute = {"target_version": observed, "comment": "Not so."}
        assert _post(client, bound, kid, "parent-views", {**view, "person_id": "carer-2"}) == 403
        assert _post(client, bound, kid, "disputes", {**dispute, "person_id": "carer-2"}) == 403
        assert _post(client, unbound, kid, "parent-views", {**view, "person_id": "parent-1"}) == 403
        versions = client.get(f"/v1/children/{kid}", headers={"Authorization": f"Bearer {bound}"})
        assert versions.json()["version"] == observed
        assert _post(client, bound, kid, "parent-views", {**view, "person_id": "parent-1"}) == 201
        assert _post(client, bound, kid, "disputes", {**dispute, "person_id": "parent-1"}) == 201


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[CliRunner, UUID, UUID]:
    monkeypatch.setenv("SENDTRAIL_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("SENDTRAIL_DATABASE_URL", raising=False)
    records = open_records(Settings(data_dir=tmp_path / "data"), clock=fixed_clock)
    own = with_parent(register(records)).child_id
    elsewhere = records.register(
        cmd.RegisterChild(
            given_name="Other",
            family_name="Setting",
            date_of_birth=date(2023, 1, 1),
            setting_id="another-setting",
        ),
        on(date(2024, 9, 2)),
    )
    records.close()
    return CliRunner(), own, elsewhere


def _add(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(cli, ["users", "add", "Test", "--setting", SETTING, *args])


def test_users_add_binds_a_parent_to_an_existing_child_and_person(
    cli_store: tuple[CliRunner, UUID, UUID],
) -> None:
    runner, own, elsewhere = cli_store
    ok = _add(runner, "--role", "parent", "--child", str(own), "--person", "parent-1")
    assert ok.exit_code == 0, ok.output
    refused = {
        "no person": ["--role", "parent", "--child", str(own)],
        "unknown child": ["--role", "parent", "--child", str(UUID(int=7)), "--person", "parent-1"],
        "not a child id": ["--role", "parent", "--child", "nonsense", "--person", "parent-1"],
        "other setting": ["--role", "parent", "--child", str(elsewhere), "--person", "parent-1"],
        "unlinked person": ["--role", "parent", "--child", str(own), "--person", "stranger"],
        "staff with a child": ["--role", "senco", "--child", str(own)],
    }
    for why, args in refused.items():
        result = _add(runner, *args)
        assert result.exit_code == 2, (why, result.output)
        assert "Refused" in result.output, why
    unknown = _add(runner, "--role", "parent", "--child", str(UUID(int=7)), "--person", "p")
    other = _add(runner, "--role", "parent", "--child", str(elsewhere), "--person", "p")
    assert unknown.output == other.output  # no oracle for children of other settings
