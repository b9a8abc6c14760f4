"""No writes about what the writer cannot read (issue 14, item 8): marking mistaken,
correcting or disputing an entry withheld from the writer gets exactly the answer of an
entry that does not exist (404), and stores nothing; a parent's own words cannot be
flagged away from them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, cast
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import open_records
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore
from domain import commands as cmd
from domain.envelope import EnvelopeDraft
from ledger.log import LedgerBackend
from tests.factories import PRACTITIONER, SENCO, SETTING, fixed_clock, register, with_parent

MISSING = 999


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]
    child: UUID
    restricted: int
    third_party: int

    def post(self, role: str, path: str, body: dict[str, Any]) -> httpx.Response:
        sent = {"expected_version": self.version(), "occurred_at": "2025-02-01", **body}
        response: httpx.Response = self.client.post(
            f"/v1/children/{self.child}/{path}",
            json=sent,
            headers={"Authorization": f"Bearer {self.tokens[role]}"},
        )
        return response

    def version(self) -> int:
        response = self.client.get(
            f"/v1/children/{self.child}",
            headers={"Authorization": f"Bearer {self.tokens['senco']}"},
        )
        return int(response.json()["version"])


@pytest.fixture
def world(settings: Settings) -> Iterator[World]:
    ensure_keys(settings)
    records = open_records(settings, clock=fixed_clock)
    child = with_parent(register(records))
    child.version = records.handle(
        child.child_id,
        cmd.RecordObservation(
            area="personal_social_emotional", notes="Restricted words.", observer="SENCO"
        ),
        EnvelopeDraft(date(2025, 1, 7), SENCO, sensitivity="restricted"),
        expected_version=child.version,
    )
    restricted = child.version
    child.version = records.handle(
        child.child_id,
        cmd.RecordObservation(
            area="physical", notes="About another family.", observer="Key person"
        ),
        EnvelopeDraft(date(2025, 1, 8), PRACTITIONER, sensitivity="third_party"),
        expected_version=child.version,
    )
    store = UserStore(cast(LedgerBackend, records.recorder))
    tokens = {
        "senco": store.add("Test senco", role="senco", setting_id=SETTING)[1],
        "practitioner": store.add("Test kp", role="practitioner", setting_id=SETTING)[1],
        "parent": store.add(
            "Test parent",
            role="parent",
            setting_id=SETTING,
            child_id=str(child.child_id),
            person_id="parent-1",
        )[1],
    }
    records.close()
    with TestClient(create_app(settings)) as client:
        yield World(client, tokens, child.child_id, restricted, child.version)


WRITES = [
    ("practitioner", "mistakes", "target_version", {"reason": "Wrong child."}),
    ("practitioner", "corrections", "supersedes", {"statement": "It was Tuesday."}),
    ("parent", "disputes", "target_version", {"person_id": "parent-1", "comment": "No."}),
]


@pytest.mark.parametrize(("role", "path", "field", "body"), WRITES)
def test_a_withheld_target_is_answered_as_a_missing_one(
    world: World, role: str, path: str, field: str, body: dict[str, Any]
) -> None:
    before = world.version()
    missing = world.post(role, path, {**body, field: MISSING})
    targets = [world.restricted] + ([world.third_party] if role == "parent" else [])
    for target in targets:
        hidden = world.post(role, path, {**body, field: target})
        assert hidden.status_code == missing.status_code == 404, hidden.text
        assert hidden.json() == missing.json()
    assert world.version() == before


def test_those_who_can_read_it_can_still_mark_it(world: World) -> None:
    response = world.post(
        "senco", "mistakes", {"target_version": world.restricted, "reason": "Wrong child."}
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("sensitivity", ["restricted", "third_party"])
def test_a_parent_cannot_flag_their_own_words_away(world: World, sensitivity: str) -> None:
    before = world.version()
    response = world.post(
        "parent",
        "parent-views",
        {"person_id": "parent-1", "view": "Settles well.", "sensitivity": sensitivity},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "sensitivity"
    assert world.version() == before
