"""LA profiles, readiness and pre-filled requests through the real app: who may do what,
the profile folder read afresh, the request inside an export that /v1/verify accepts."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import open_records
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore
from ledger.log import LedgerBackend
from projections.la_profile import BUILTIN_DIR
from tests.factories import SETTING, fixed_clock, shared_with
from tests.la_history import Known, register_known_child
from tests.support.la import EXPECTED, MINIMAL

ROLES = ("admin", "senco", "practitioner", "parent", "inspector")


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]
    child: UUID
    known: Known
    own_profiles: Path

    def as_(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("la-api") / "data")
    ensure_keys(settings)
    records = open_records(settings, clock=fixed_clock)
    child, known = register_known_child(records)
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
    tokens["outsider"] = store.add("Other", role="senco", setting_id="elsewhere")[1]
    records.close()
    with TestClient(create_app(settings)) as client:
        yield World(client, tokens, child, known, settings.la_profile_dirs[-1])


def readiness(world: World, la: str, role: str = "senco") -> dict[str, Any]:
    response = world.client.get(
        f"/v1/children/{world.child}/readiness",
        params={"la": la, "as_of": "2026-11-24"},
        headers=world.as_(role),
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.parametrize("profile_id", sorted(EXPECTED))
def test_readiness_per_profile_over_http(world: World, profile_id: str) -> None:
    result = readiness(world, profile_id)
    statuses = {x["id"]: x["status"] for x in result["expectations"]}

    assert statuses == EXPECTED[profile_id]
    assert result["child_id"] == str(world.child)
    assert result["blocks_export"] is False


def test_without_la_readiness_is_the_generic_hints(world: World) -> None:
    response = world.client.get(f"/v1/children/{world.child}/readiness", headers=world.as_("senco"))
    assert "hints" in response.json()
    assert "expectations" not in response.json()


def test_everyone_who_may_see_the_child_may_read_its_la_readiness(world: World) -> None:
    for role in ROLES:
        assert readiness(world, "generic-cop", role)["total"] == 9
    hidden = world.client.get(
        f"/v1/children/{world.child}/readiness",
        params={"la": "generic-cop"},
        headers=world.as_("outsider"),
    )
    unknown = world.client.get(
        f"/v1/children/{uuid4()}/readiness",
        params={"la": "generic-cop"},
        headers=world.as_("outsider"),
    )
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == unknown.json()


def test_an_unknown_profile_is_422_naming_la_without_echoing_it(world: World) -> None:
    response = world.client.get(
        f"/v1/children/{world.child}/readiness",
        params={"la": "zzmarker-council"},
        headers=world.as_("senco"),
    )
    assert response.status_code == 422
    assert response.json()["field"] == "la"
    assert "zzmarker" not in response.text


def test_a_profile_dropped_into_the_settings_folder_is_used_without_a_restart(
    world: World,
) -> None:
    world.own_profiles.mkdir(parents=True, exist_ok=True)
    (world.own_profiles / "our-council.toml").write_text(MINIMAL.format(id="our-council"))
    broken = world.own_profiles / "broken-council.toml"
    broken.write_text(MINIMAL.format(id="broken-council").replace("child.name", "child.shoe"))
    try:
        listed = world.client.get("/v1/la-profiles", headers=world.as_("inspector")).json()
        result = readiness(world, "our-council")
        refused = world.client.get(
            f"/v1/children/{world.child}/readiness",
            params={"la": "broken-council"},
            headers=world.as_("senco"),
        )
    finally:
        for path in world.own_profiles.glob("*.toml"):
            path.unlink()

    ids = {p["id"]: p["settings_own"] for p in listed["profiles"]}
    assert ids["our-council"] is True
    assert ids["generic-cop"] is False
    assert listed["broken"] == [
        {
            "file": "broken-council.toml",
            "field": "sections[0].fields[0].fill",
            "rule": listed["broken"][0]["rule"],
        }
    ]
    assert listed["broken"][0]["rule"].startswith("fill must be one of")
    assert result["expectations"][0]["id"] == "views"
    assert refused.status_code == 409
    assert "broken-council.toml" in refused.json()["detail"]


def test_a_generic_profile_dropped_in_changes_the_overview_and_the_bundle_alike(
    world: World,
) -> None:
    """The overview's hints are the `generic` profile (issue 16.5): the setting's own copy
    of it, asking for four reviews, turns the hint missing in the overview, in `?la=generic`
    and in an export's data/readiness.json, without a restart."""
    hints_url = f"/v1/children/{world.child}/readiness"
    day = {"as_of": "2026-11-24"}
    before = world.client.get(hints_url, params=day, headers=world.as_("senco")).json()
    world.own_profiles.mkdir(parents=True, exist_ok=True)
    text = (BUILTIN_DIR / "generic.toml").read_text()
    (world.own_profiles / "generic.toml").write_text(text.replace("min = 2\n", "min = 4\n", 1))
    try:
        after = world.client.get(hints_url, params=day, headers=world.as_("senco")).json()
        full = readiness(world, "generic")
        exported = world.client.post(
            f"/v1/children/{world.child}/exports",
            json={"pdf": False, "as_of": "2026-11-24"},
            headers=world.as_("senco"),
        )
    finally:
        (world.own_profiles / "generic.toml").unlink()
    bundled = json.loads(zipfile.ZipFile(io.BytesIO(exported.content)).read("data/readiness.json"))

    def cycles(hints: dict[str, Any]) -> str:
        return str(next(h["status"] for h in hints["hints"] if h["id"] == "reviewed_cycles"))

    assert (cycles(before), cycles(after), cycles(bundled)) == ("met", "missing", "missing")
    assert after["met"] == full["met"] == bundled["met"] == before["met"] - 1
    assert after["profile"] == full["profile"] == bundled["profile"]
    assert after["profile"]["sha256"] != before["profile"]["sha256"]


def request(world: World, role: str, **body: object) -> httpx.Response:
    response: httpx.Response = world.client.post(
        f"/v1/children/{world.child}/requests",
        params={"la": "example-shire-apdr"},
        json={"as_of": "2026-11-24", **body},
        headers=world.as_(role),
    )
    return response


def test_a_senco_gets_the_filled_request_as_json_html_or_pdf(world: World) -> None:
    as_json = request(world, "senco", format="json")
    as_html = request(world, "senco", format="html")
    as_pdf = request(world, "senco", format="pdf", pages=6)

    filled = as_json.json()
    assert as_json.headers["content-type"] == "application/json"
    assert filled["sections"][0]["title"] == "Part A: The child and family"
    assert filled["readiness"]["profile"]["id"] == "example-shire-apdr"
    assert "Part E: Consent and signatures" in as_html.text
    assert as_pdf.headers["content-type"] == "application/pdf"
    assert as_pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize("role", ["practitioner", "parent", "inspector"])
def test_only_sencos_and_admins_make_requests(world: World, role: str) -> None:
    refused = request(world, role, format="json")
    assert refused.status_code == 403
    assert request(world, "admin", format="json").status_code == 200


def test_an_export_naming_a_profile_carries_the_request_and_verifies(world: World) -> None:
    exported = world.client.post(
        f"/v1/children/{world.child}/exports",
        json={"pdf": False, "la": "example-borough-notional", "as_of": "2026-11-24"},
        headers=world.as_("senco"),
    )
    assert exported.status_code == 200, exported.text
    names = zipfile.ZipFile(io.BytesIO(exported.content)).namelist()
    summary = json.loads(zipfile.ZipFile(io.BytesIO(exported.content)).read("data/bundle.json"))

    verified = world.client.post(
        "/v1/verify",
        content=exported.content,
        headers={**world.as_("inspector"), "Content-Type": "application/zip"},
    )

    assert "data/la-request.json" in names
    assert summary["la_request"]["profile"] == "example-borough-notional"
    assert verified.json()["verified"] is True
    assert verified.json()["la_request"] == "example-borough-notional"


def test_la_reads_are_in_the_childs_access_log(world: World) -> None:
    readiness(world, "generic-cop", "inspector")
    chronology = world.client.get(
        f"/v1/children/{world.child}/chronology",
        params={"include_access": "true"},
        headers=world.as_("senco"),
    ).json()
    views = [(a["role"], a["view"]) for a in chronology["viewed_by"]]
    assert ("inspector", "la-readiness") in views
