"""An inspector or LA caseworker sees only what was shared with them (issue 14, item 7):
a share is an event on the child (RecordShared: with whom, under which consent, from
when) made only under a live consent to share with the LA; reads and lists follow it, and
withdrawing the consent (or the share) ends it."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

import httpx
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import open_records
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore
from ledger.log import LedgerBackend
from tests.factories import SETTING, fixed_clock, register, with_parent
from tests.web.world import sign_in

LA = "test-la"


class Scene:
    def __init__(self, settings: Settings) -> None:
        ensure_keys(settings)
        records = open_records(settings, clock=fixed_clock)
        self.shared = with_parent(register(records))
        self.not_shared = with_parent(register(records)).child_id
        self.elsewhere = with_parent(register(records)).child_id
        store = UserStore(cast(LedgerBackend, records.recorder))
        self.tokens = {
            "senco": store.add("Test senco", role="senco", setting_id=SETTING)[1],
            "practitioner": store.add("Test kp", role="practitioner", setting_id=SETTING)[1],
            "inspector": store.add(
                "Test la", role="inspector", setting_id=SETTING, organisation=LA
            )[1],
        }
        records.close()
        self.client = TestClient(create_app(settings), follow_redirects=False)

    def call(self, role: str, method: str, path: str, body: Any = None) -> httpx.Response:
        response: httpx.Response = self.client.request(
            method,
            f"/v1{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.tokens[role]}"},
        )
        return response

    def version(self, child: UUID) -> int:
        return int(self.call("senco", "GET", f"/children/{child}").json()["version"])

    def write(self, child: UUID, path: str, body: dict[str, Any], role: str = "senco") -> int:
        sent = {"expected_version": self.version(child), "occurred_at": "2025-01-06", **body}
        response = self.call(role, "POST", f"/children/{child}/{path}", sent)
        return response.status_code

    def consent(self, child: UUID, consent_id: str, purpose: str = "share_with_la") -> None:
        body = {"consent_id": consent_id, "purpose": purpose, "decision": "given"}
        assert self.write(child, "consents", {**body, "person_id": "parent-1"}) == 201

    def listed(self) -> set[str]:
        found = self.call("inspector", "GET", "/children").json()["children"]
        return {c["child_id"] for c in found}


def test_an_inspector_reads_only_children_shared_with_their_body(settings: Settings) -> None:
    scene = Scene(settings)
    with scene.client:
        shared = scene.shared.child_id
        assert scene.listed() == set()
        assert scene.call("inspector", "GET", f"/children/{shared}").status_code == 404
        scene.consent(shared, "c-la")
        assert (
            scene.write(
                shared, "shares", {"share_id": "s1", "shared_with": LA, "consent_id": "c-la"}
            )
            == 201
        )
        scene.consent(scene.elsewhere, "c-la")
        share = {"share_id": "s1", "shared_with": "another-la", "consent_id": "c-la"}
        assert scene.write(scene.elsewhere, "shares", share) == 201

        assert scene.listed() == {str(shared)}
        assert scene.call("inspector", "GET", f"/children/{shared}/chronology").status_code == 200
        for child in (scene.not_shared, scene.elsewhere):
            unknown = scene.call("inspector", "GET", f"/children/{child}/chronology")
            assert unknown.status_code == 404
        sign_in(scene.client, scene.tokens["inspector"])
        page = scene.client.get("/children")
        assert str(shared) in page.text
        assert str(scene.not_shared) not in page.text
        assert scene.client.get(f"/children/{scene.not_shared}").status_code == 404


def test_a_share_needs_a_live_consent_to_share_with_the_la(settings: Settings) -> None:
    scene = Scene(settings)
    with scene.client:
        child = scene.shared.child_id
        before = scene.version(child)
        share = {"share_id": "s1", "shared_with": LA, "consent_id": "c-ref"}
        assert scene.write(child, "shares", share) == 409
        assert scene.version(child) == before
        scene.consent(child, "c-la")
        share["consent_id"] = "c-la"
        assert scene.write(child, "shares", share, role="practitioner") == 403
        assert scene.write(child, "shares", share) == 201


def test_withdrawing_the_consent_or_the_share_ends_it(settings: Settings) -> None:
    scene = Scene(settings)
    with scene.client:
        child = scene.shared.child_id
        scene.consent(child, "c-la")
        share = {"share_id": "s1", "shared_with": LA, "consent_id": "c-la"}
        assert scene.write(child, "shares", share) == 201
        assert scene.listed() == {str(child)}
        assert scene.write(child, "consents/c-la/withdrawal", {"person_id": "parent-1"}) == 201
        assert scene.listed() == set()
        assert scene.call("inspector", "GET", f"/children/{child}/plan").status_code == 404

        scene.consent(child, "c-la-2")
        share = {"share_id": "s2", "shared_with": LA, "consent_id": "c-la-2"}
        assert scene.write(child, "shares", share) == 201
        assert scene.listed() == {str(child)}
        assert scene.write(child, "shares/s2/withdrawal", {"reason": "Assessment ended."}) == 201
        assert scene.listed() == set()


def test_the_inspectors_dashboard_holds_only_shared_children(settings: Settings) -> None:
    scene = Scene(settings)
    with scene.client:
        child = scene.shared.child_id
        for kid in (child, scene.not_shared):
            assert scene.write(kid, "discussions", _discussion()) == 201
        scene.consent(child, "c-la")
        share = {"share_id": "s1", "shared_with": LA, "consent_id": "c-la"}
        assert scene.write(child, "shares", share) == 201
        senco = scene.call("senco", "GET", "/dashboard").json()
        board = scene.call("inspector", "GET", "/dashboard").json()
        ids = {r["child_id"] for r in senco["high_concern_without_plan"]}
        assert ids == {str(child), str(scene.not_shared)}
        assert {r["child_id"] for r in board["high_concern_without_plan"]} == {str(child)}
        assert board["by_status_and_need"] == []


def _discussion() -> dict[str, Any]:
    return {
        "participants": ["Key person", "SENCO"],
        "outcome": "high_concern_seek_advice",
        "hypothesis": "Speech delay.",
        "evidence_needed": "SALT view.",
        "actions": ["Refer"],
    }
