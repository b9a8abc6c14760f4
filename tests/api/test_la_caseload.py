"""An LA caseworker's caseload spans the settings that share with their body (issue 23.3):
the dashboard lists requests, deadlines and readiness across settings, every child shown is
logged as read, and nothing of a setting reaches a user of another."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli_serve import ensure_keys
from api.settings import Settings
from domain import commands as cmd
from domain.application import ChildRecords
from domain.envelope import EnvelopeDraft, RecordedBy
from tests.factories import shared_with


@dataclass
class World:
    client: TestClient
    records: ChildRecords
    tokens: dict[str, str]
    oak: UUID  # shared with the LA
    elm: UUID  # another setting's child, shared with the LA
    private: UUID  # elm's child, not shared

    def get(self, path: str, who: str) -> dict[str, object]:
        response = self.client.get(path, headers={"Authorization": f"Bearer {self.tokens[who]}"})
        assert response.status_code == 200, response.text
        found: dict[str, object] = response.json()
        return found


def register(records: ChildRecords, name: str, setting: str) -> UUID:
    return records.register(
        cmd.RegisterChild(
            given_name=name, family_name="Test", date_of_birth=date(2022, 5, 1), setting_id=setting
        ),
        EnvelopeDraft(date(2024, 9, 2), RecordedBy("u-senco", "senco", setting)),
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("caseload") / "data")
    ensure_keys(settings)
    app = create_app(settings)
    with TestClient(app) as client:
        records: ChildRecords = app.state.services.records
        oak, elm = register(records, "Oak", "nursery-oak"), register(records, "Elm", "nursery-elm")
        private = register(records, "Private", "nursery-elm")
        for child in (oak, elm):
            shared_with(records, child, "example-shire")
        users = app.state.services.users
        tokens = {
            "la": users.add("LA", role="inspector", setting_id="la", organisation="example-shire")[
                1
            ],
            "other-la": users.add(
                "Other LA", role="inspector", setting_id="la", organisation="other-shire"
            )[1],
            "oak-senco": users.add("Oak", role="senco", setting_id="nursery-oak")[1],
        }
        yield World(client, records, tokens, oak, elm, private)


def test_the_caseload_spans_every_setting_that_shares(world: World) -> None:
    board = world.get("/v1/dashboard", "la")
    caseload = board["caseload"]
    assert isinstance(caseload, list)
    assert {row["child_id"] for row in caseload} == {str(world.oak), str(world.elm)}
    assert {row["setting_id"] for row in caseload} == {"nursery-oak", "nursery-elm"}
    for row in caseload:
        assert isinstance(row["readiness_applies"], bool)
        assert row["readiness_met"] <= row["readiness_total"]


def test_every_child_in_the_caseload_is_logged_as_read(world: World) -> None:
    world.get("/v1/dashboard", "la")
    for child in (world.oak, world.elm):
        assert any(a.view == "la-caseload" for a in world.records.accesses(child))
    assert not any(a.view == "la-caseload" for a in world.records.accesses(world.private))


def test_another_body_and_another_setting_see_nothing_of_it(world: World) -> None:
    assert world.get("/v1/dashboard", "other-la")["caseload"] == []
    listed = world.get("/v1/children", "oak-senco")["children"]
    assert isinstance(listed, list)
    assert [c["child_id"] for c in listed] == [str(world.oak)]
    board = world.get("/v1/dashboard", "oak-senco")
    assert "caseload" not in board
