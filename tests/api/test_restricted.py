"""Entries flagged "restricted: SENCO and admin only" are read only by SENCOs and admins:
through every view of the API and the pages, the others never see them nor what is
said about them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import cast
from uuid import UUID

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
from tests.factories import SENCO, SETTING, fixed_clock, on, shared_with
from tests.web.world import sign_in

MARKER = "ZZRESTRICTED family circumstances"
ROLES = ("admin", "senco", "practitioner", "parent", "inspector")
SEES = {"admin", "senco"}


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]
    child: UUID


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("restricted") / "data")
    ensure_keys(settings)
    records = open_records(settings, clock=fixed_clock)
    child = records.register(
        cmd.RegisterChild(
            given_name="Testy",
            family_name="Fictional",
            date_of_birth=date(2022, 9, 1),
            setting_id=SETTING,
        ),
        on(date(2024, 9, 2)),
    )
    restricted = records.handle(
        child,
        cmd.RecordObservation(area="personal_social_emotional", notes=MARKER, observer="SENCO"),
        EnvelopeDraft(date(2025, 1, 6), SENCO, sensitivity="restricted"),
        expected_version=1,
    )
    records.handle(
        child,
        cmd.Correct(supersedes=restricted, statement=f"{MARKER}, corrected"),
        on(date(2025, 1, 7)),
        expected_version=restricted,
    )
    records.handle(
        child,
        cmd.RecordObservation(
            area="physical", notes="Climbs the low frame.", observer="Key person"
        ),
        on(date(2025, 1, 8)),
        expected_version=restricted + 1,
    )
    shared_with(records, child, "test-la")
    store = UserStore(cast(LedgerBackend, records.recorder))
    tokens = {
        role: store.add(
            f"Test {role}",
            role=role,
            setting_id=SETTING,
            child_id=str(child) if role == "parent" else None,
            person_id=next(iter(records.get_child(child).people)) if role == "parent" else None,
            organisation="test-la" if role == "inspector" else None,
        )[1]
        for role in ROLES
    }
    records.close()
    with TestClient(create_app(settings)) as client:
        yield World(client, tokens, child)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("view", ["chronology", "events", "plan", "readiness"])
def test_only_sencos_and_admins_read_restricted_entries_through_the_api(
    world: World, role: str, view: str
) -> None:
    response = world.client.get(
        f"/v1/children/{world.child}/{view}",
        headers={"Authorization": f"Bearer {world.tokens[role]}"},
    )
    assert response.status_code == 200
    if view in ("chronology", "events"):
        assert "Climbs the low frame." in response.text
        assert (MARKER in response.text) is (role in SEES), role
    else:
        assert MARKER not in response.text


@pytest.mark.parametrize("role", ROLES)
def test_only_sencos_and_admins_read_restricted_entries_on_the_pages(
    world: World, role: str
) -> None:
    client = TestClient(world.client.app, follow_redirects=False)
    sign_in(client, world.tokens[role])
    page = client.get(f"/children/{world.child}/chronology")
    assert page.status_code == 200
    assert "Climbs the low frame." in page.text
    assert (MARKER in page.text) is (role in SEES), role
