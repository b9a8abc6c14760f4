"""Group work through the API (issue 19.6): one session for a provision's group and a
class's attendance, each child's event in its own record, all or nothing per submission."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli_serve import ensure_keys
from api.settings import Settings

SETTING = "nursery-oak"
PROVISION = {
    "provision_id": "prov-talk",
    "description": "Small-group language sessions",
    "area": "communication_language",
    "start_date": "2025-01-06",
    "group_size": 3,
    "session_minutes": 20,
    "sessions_per_week": 3,
    "weeks": 10,
    "staff_grade": "practitioner",
    "cost": "180.00",
    "funding_source": "core",
}


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]

    def auth(self, who: str = "senco") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def child(self, name: str, *, provision: bool = True) -> str:
        made = self.client.post(
            "/v1/children",
            headers=self.auth(),
            json={"given_name": name, "family_name": "Test", "occurred_at": "2024-09-02"},
        )
        assert made.status_code == 201, made.text
        child_id = str(made.json()["child_id"])
        if provision:
            started = self.client.post(
                f"/v1/children/{child_id}/provisions",
                headers=self.auth(),
                json={"expected_version": 1, "occurred_at": "2025-01-06", **PROVISION},
            )
            assert started.status_code == 201, started.text
        return child_id

    def events(self, child_id: str, who: str = "senco") -> list[dict[str, Any]]:
        response = self.client.get(f"/v1/children/{child_id}/events", headers=self.auth(who))
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["events"]
        return found


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("groups") / "data")
    ensure_keys(settings)
    app = create_app(settings)
    with TestClient(app) as client:
        users = app.state.services.users
        tokens = {
            role: users.add(f"Test {role}", role=role, setting_id=SETTING)[1]
            for role in ("senco", "practitioner", "inspector")
        }
        tokens["other-senco"] = users.add("Other", role="senco", setting_id="nursery-elm")[1]
        yield Api(client, tokens)


def session(child_id: str, **entry: Any) -> dict[str, Any]:
    return {"child_id": child_id, **entry}


def test_one_group_session_stores_one_event_in_each_childs_record(api: Api) -> None:
    a, b, c = (api.child(n) for n in ("Ann", "Ben", "Cal"))
    response = api.client.post(
        "/v1/group-sessions",
        headers=api.auth("practitioner"),
        json={
            "provision_id": "prov-talk",
            "session_date": "2025-01-08",
            "entries": [
                session(a, delivered=True, minutes=20),
                session(b, delivered=True, minutes=20, notes="Joined in"),
                session(c, delivered=False, reason="Absent"),
            ],
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["stored"] is True
    assert [r["status"] for r in body["results"]] == ["stored"] * 3
    assert [r["version"] for r in body["results"]] == [3, 3, 3]
    kinds = [api.events(x)[-1]["kind"] for x in (a, b, c)]
    assert kinds == ["SessionDelivered", "SessionDelivered", "SessionMissed"]
    assert api.events(b)[-1]["event"]["notes"] == "Joined in"


def test_one_refused_child_stores_nothing_for_the_group_and_names_the_rule(api: Api) -> None:
    a = api.child("Dee")
    no_provision = api.child("Eve", provision=False)
    before = [len(api.events(x)) for x in (a, no_provision)]
    response = api.client.post(
        "/v1/group-sessions",
        headers=api.auth("practitioner"),
        json={
            "provision_id": "prov-talk",
            "session_date": "2025-01-08",
            "entries": [
                session(a, delivered=True, minutes=20),
                session(no_provision, delivered=True, minutes=20),
            ],
        },
    )
    assert response.status_code == 422, response.text
    results = response.json()["results"]
    assert results[0]["status"] == "not_stored"
    assert results[1]["status"] == "refused"
    assert results[1]["field"] == "provision_id"
    assert [len(api.events(x)) for x in (a, no_provision)] == before


def test_a_child_of_another_setting_is_refused_as_unknown_and_nothing_is_stored(
    api: Api,
) -> None:
    mine = api.child("Fay")
    theirs = api.client.post(
        "/v1/children",
        headers=api.auth("other-senco"),
        json={"given_name": "Gus", "family_name": "Test", "occurred_at": "2024-09-02"},
    ).json()["child_id"]
    before = len(api.events(mine))
    response = api.client.post(
        "/v1/group-sessions",
        headers=api.auth(),
        json={
            "provision_id": "prov-talk",
            "session_date": "2025-01-08",
            "entries": [
                session(mine, delivered=True, minutes=20),
                session(theirs, delivered=True, minutes=20),
            ],
        },
    )
    assert response.status_code == 422
    assert response.json()["results"][1] == {
        "child_id": theirs,
        "status": "refused",
        "version": None,
        "field": "child_id",
        "rule": "no such child",
    }
    assert len(api.events(mine)) == before


def test_a_missed_session_needs_its_reason_per_child(api: Api) -> None:
    a = api.child("Hal")
    response = api.client.post(
        "/v1/group-sessions",
        headers=api.auth(),
        json={
            "provision_id": "prov-talk",
            "session_date": "2025-01-08",
            "entries": [session(a, delivered=False)],
        },
    )
    assert response.status_code == 422
    assert response.json()["results"][0]["field"] == "reason"


def test_the_same_child_twice_is_refused(api: Api) -> None:
    a = api.child("Ivy")
    before = len(api.events(a))
    response = api.client.post(
        "/v1/group-sessions",
        headers=api.auth(),
        json={
            "provision_id": "prov-talk",
            "session_date": "2025-01-08",
            "entries": [session(a, delivered=True, minutes=20)] * 2,
        },
    )
    assert response.status_code == 422
    assert [r["status"] for r in response.json()["results"]] == ["not_stored", "refused"]
    assert len(api.events(a)) == before


def test_an_inspector_cannot_write_group_sessions(api: Api) -> None:
    a = api.child("Jo")
    response = api.client.post(
        "/v1/group-sessions",
        headers=api.auth("inspector"),
        json={
            "provision_id": "prov-talk",
            "session_date": "2025-01-08",
            "entries": [session(a, delivered=True, minutes=20)],
        },
    )
    assert response.status_code == 403


def test_a_class_attendance_stores_one_entry_per_child_or_none(api: Api) -> None:
    a, b = api.child("Kit", provision=False), api.child("Lou", provision=False)
    first: dict[str, Any] = {"child_id": a, "sessions_possible": 60, "sessions_attended": 58}
    second: dict[str, Any] = {"child_id": b, "sessions_possible": 60, "sessions_attended": 41}
    period = {"occurred_at": "2025-02-14", "period_start": "2025-01-06", "period_end": "2025-02-14"}
    good = {**period, "entries": [first, second]}
    bad = {**period, "entries": [first, {**second, "sessions_attended": 61}]}
    refused = api.client.post("/v1/class-attendance", headers=api.auth(), json=bad)
    assert refused.status_code == 422, refused.text
    assert [len(api.events(x)) for x in (a, b)] == [1, 1]
    stored = api.client.post("/v1/class-attendance", headers=api.auth(), json=good)
    assert stored.status_code == 201, stored.text
    assert [api.events(x)[-1]["event"]["sessions_attended"] for x in (a, b)] == [58, 41]


class TestProvisionByTerm:
    """The setting-wide provision map, with known answers: PROVISION is 3 sessions a week
    for 10 weeks from Monday 6 January 2025, £180 for the block (£18 a week), core funds."""

    def test_known_answers_for_two_weeks_of_a_group(self, tmp_path_factory: Any) -> None:
        settings = Settings(data_dir=tmp_path_factory.mktemp("by-term") / "data")
        ensure_keys(settings)
        app = create_app(settings)
        with TestClient(app) as client:
            users = app.state.services.users
            api = Api(client, {"senco": users.add("S", role="senco", setting_id=SETTING)[1]})
            a, b = api.child("Ann"), api.child("Ben")
            for day, b_done in (("2025-01-07", True), ("2025-01-14", False)):
                posted = client.post(
                    "/v1/group-sessions",
                    headers=api.auth(),
                    json={
                        "provision_id": "prov-talk",
                        "session_date": day,
                        "entries": [
                            session(a, delivered=True, minutes=20),
                            session(b, delivered=True, minutes=20)
                            if b_done
                            else session(b, delivered=False, reason="Absent"),
                        ],
                    },
                )
                assert posted.status_code == 201, posted.text
            found = client.get(
                "/v1/provision-map", params={"as_of": "2025-01-19"}, headers=api.auth()
            )
            assert found.status_code == 200, found.text
            (term,) = found.json()["terms"]
            assert term["term"] == "spring 2024/25"
            assert term["children"] == 2
            assert term["planned_sessions"] == 12  # 2 weeks begun x 3 a week x 2 children
            assert term["delivered_sessions"] == 3
            assert term["missed_sessions"] == 1
            assert term["fidelity_percent"] == 25.0
            assert term["cost"] == "72.00"  # 2 weeks x £18 x 2 children
            assert term["by_funding_source"] == {"core": "72.00"}
            (kind,) = term["provisions"]
            assert kind["description"] == PROVISION["description"]
            earlier = client.get(
                "/v1/provision-map", params={"as_of": "2025-01-05"}, headers=api.auth()
            ).json()
            assert earlier["terms"] == []
            csv_text = client.get(
                "/v1/provision-map.csv", params={"as_of": "2025-01-19"}, headers=api.auth()
            ).text
            lines = csv_text.splitlines()
            assert lines[0].startswith("term,provision,area,children")
            assert lines[-1].startswith("spring 2024/25,all,,2,12,3,1,25.0,72.00")

    def test_only_leads_read_the_setting_map(self, api: Api) -> None:
        response = api.client.get("/v1/provision-map", headers=api.auth("practitioner"))
        assert response.status_code == 403
