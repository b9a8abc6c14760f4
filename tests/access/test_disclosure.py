"""One withholding rule for everything a parent receives (issue 14, item 4): the API's
views and raw events, the web pages and the subject access bundle withhold the same
entries (restricted: SENCO and admin only; third-party information), and list each of
them as withheld, never silently dropped."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import cast
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import Exporter, open_records
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore
from domain import commands as cmd
from domain.envelope import EnvelopeDraft
from exporters.archive import read_zip
from exporters.verify import verify_bundle
from ledger.log import LedgerBackend
from tests.factories import PRACTITIONER, SENCO, SETTING, fixed_clock, register, with_parent
from tests.web.world import sign_in

RESTRICTED_WORDS = "zzrestricted-otter-41"
THIRD_PARTY_WORDS = "zzthirdparty-heron-77"
PLAIN_WORDS = "Climbs the low frame."
API_VIEWS = (
    "chronology",
    "chronology?limit=50",
    "events",
    "plan",
    "readiness",
    "readiness?la=generic-cop",
    "provision-map",
    "ehc-timeline",
)
PAGES = ("", "/chronology", "/provision-map")


@dataclass
class World:
    settings: Settings
    client: TestClient
    tokens: dict[str, str]
    child: UUID
    withheld_from_parent: list[int]
    restricted: list[int]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("disclosure") / "data")
    ensure_keys(settings)
    records = open_records(settings, clock=fixed_clock)
    child = with_parent(register(records))
    child.do(
        cmd.RecordObservation,
        date(2025, 1, 6),
        PRACTITIONER,
        area="physical",
        notes=PLAIN_WORDS,
        observer="Key person",
    )
    child.version = records.handle(
        child.child_id,
        cmd.RecordObservation(
            area="personal_social_emotional", notes=RESTRICTED_WORDS, observer="SENCO"
        ),
        EnvelopeDraft(date(2025, 1, 7), SENCO, sensitivity="restricted"),
        expected_version=child.version,
    )
    restricted = child.version
    child.version = records.handle(
        child.child_id,
        cmd.RecordObservation(
            area="personal_social_emotional",
            notes=f"Upset after {THIRD_PARTY_WORDS}'s parent shouted.",
            observer="Key person",
        ),
        EnvelopeDraft(date(2025, 1, 8), PRACTITIONER, sensitivity="third_party"),
        expected_version=child.version,
    )
    third = child.version
    child.do(cmd.Correct, date(2025, 1, 9), SENCO, supersedes=third, statement=THIRD_PARTY_WORDS)
    store = UserStore(cast(LedgerBackend, records.recorder))
    tokens = {
        "senco": store.add("Test senco", role="senco", setting_id=SETTING)[1],
        "practitioner": store.add("Test key person", role="practitioner", setting_id=SETTING)[1],
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
        yield World(
            settings, client, tokens, child.child_id, [restricted, third, third + 1], [restricted]
        )


def _api(world: World, role: str, view: str) -> dict[str, object]:
    response = world.client.get(
        f"/v1/children/{world.child}/{view}",
        headers={"Authorization": f"Bearer {world.tokens[role]}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _listed(body: dict[str, object]) -> list[int]:
    return [int(w["version"]) for w in cast(list[dict[str, int]], body["withheld"])]


@pytest.mark.parametrize("view", API_VIEWS)
def test_the_parent_api_withholds_both_and_lists_them(world: World, view: str) -> None:
    body = _api(world, "parent", view)
    text = json.dumps(body)
    assert RESTRICTED_WORDS not in text
    assert THIRD_PARTY_WORDS not in text
    assert _listed(body) == world.withheld_from_parent
    if view.startswith("chronology") or view == "events":
        assert PLAIN_WORDS in text


def test_the_parents_raw_events_have_no_gap(world: World) -> None:
    events = cast(list[dict[str, object]], _api(world, "parent", "events")["events"])
    assert [int(str(e["version"])) for e in events] == list(range(1, len(events) + 1))
    placeholders = [e for e in events if "withheld" in e]
    assert [int(str(e["version"])) for e in placeholders] == world.withheld_from_parent
    assert all("event" not in e for e in placeholders)


@pytest.mark.parametrize("path", PAGES)
def test_the_parent_pages_withhold_both(world: World, path: str) -> None:
    client = TestClient(world.client.app, follow_redirects=False)
    sign_in(client, world.tokens["parent"])
    page = client.get(f"/children/{world.child}{path}")
    assert page.status_code == 200
    assert RESTRICTED_WORDS not in page.text
    assert THIRD_PARTY_WORDS not in page.text
    if path == "/chronology":
        listed = [int(v) for v in re.findall(r"<li>Entry (\d+) \(", page.text)]
        assert listed == world.withheld_from_parent


def test_the_subject_access_bundle_withholds_the_same_entries(world: World) -> None:
    records = open_records(world.settings)
    try:
        bundle = Exporter(records, world.settings, pdf=False).export(
            world.child, as_of=None, known_at=None, reason=None, subject_access=True
        )
    finally:
        records.close()
    files = read_zip(bundle.content)
    for name, content in files.items():
        assert RESTRICTED_WORDS.encode() not in content, name
        assert THIRD_PARTY_WORDS.encode() not in content, name
    redactions = json.loads(files["data/redactions.json"])
    assert [r["version"] for r in redactions["withheld"]] == world.withheld_from_parent
    assert verify_bundle(bundle.content).entries_withheld == len(world.withheld_from_parent)


def test_staff_read_what_their_role_may(world: World) -> None:
    senco = json.dumps(_api(world, "senco", "chronology"))
    assert RESTRICTED_WORDS in senco
    assert THIRD_PARTY_WORDS in senco
    practitioner = _api(world, "practitioner", "chronology")
    text = json.dumps(practitioner["entries"])
    assert RESTRICTED_WORDS not in text
    assert THIRD_PARTY_WORDS in text
    assert _listed(practitioner) == world.restricted
