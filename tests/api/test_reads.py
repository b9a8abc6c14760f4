"""Reads, exports, verification and checkpoints through the real app: who may do what,
outsiders get 404 like an unknown id, every read is logged, bodies never echo input."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import cast
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import open_records, set_record_clock
from api.cli_serve import ensure_keys
from api.demo import build_demo_cohort
from api.deps import Services
from api.settings import Settings
from api.users import UserStore
from domain import commands as cmd
from ledger.log import LedgerBackend
from tests.factories import shared_with

ROLES = ("admin", "senco", "practitioner", "parent", "inspector")
VIEWS = ("plan", "chronology", "events", "provision-map", "readiness", "ehc-timeline")


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]
    own: UUID
    other: UUID

    def as_(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("api") / "data")
    ensure_keys(settings)
    records = open_records(settings)
    ids = build_demo_cohort(
        records,
        children=6,
        seed=3,
        today=date(2026, 11, 24),
        record_clock=lambda c: set_record_clock(records, c),
    )
    own, other = ids[4], ids[5]  # different settings (the demo alternates two)
    setting = records.get_child(own).setting_id
    assert records.get_child(other).setting_id != setting
    shared_with(records, own, "test-la", date(2026, 11, 24))  # what the inspector reads
    store = UserStore(cast(LedgerBackend, records.recorder))
    tokens = {
        role: store.add(
            f"Test {role}",
            role=role,
            setting_id=setting,
            child_id=str(own) if role == "parent" else None,
            person_id=next(iter(records.get_child(own).people)) if role == "parent" else None,
            organisation="test-la" if role == "inspector" else None,
        )[1]
        for role in ROLES
    }
    tokens["outsider"] = store.add(
        "Other senco", role="senco", setting_id=records.get_child(other).setting_id
    )[1]
    tokens["other-parent"] = store.add(
        "Other parent", role="parent", setting_id=setting, child_id=str(ids[0])
    )[1]
    revoked, tokens["revoked"] = store.add("Gone", role="senco", setting_id=setting)
    store.revoke(revoked.user_id)
    records.close()
    with TestClient(create_app(settings)) as client:
        yield World(client, tokens, own, other)


class TestReadMatrix:
    @pytest.mark.parametrize("view", VIEWS)
    @pytest.mark.parametrize("role", ROLES)
    def test_everyone_entitled_reads_every_view(self, world: World, role: str, view: str) -> None:
        response = world.client.get(f"/v1/children/{world.own}/{view}", headers=world.as_(role))
        assert response.status_code == 200, response.text
        assert response.json()["child_id"] == str(world.own)

    @pytest.mark.parametrize("view", VIEWS)
    @pytest.mark.parametrize("who", ["outsider", "other-parent"])
    def test_outsiders_get_404_exactly_like_an_unknown_child(
        self, world: World, who: str, view: str
    ) -> None:
        hidden = world.client.get(f"/v1/children/{world.own}/{view}", headers=world.as_(who))
        unknown = world.client.get(f"/v1/children/{uuid4()}/{view}", headers=world.as_(who))
        assert hidden.status_code == unknown.status_code == 404
        assert hidden.json() == unknown.json()
        assert hidden.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize("token", [None, "st_not-a-token", "revoked"])
    def test_no_valid_token_is_401(self, world: World, token: str | None) -> None:
        headers = (
            {} if token is None else {"Authorization": f"Bearer {world.tokens.get(token, token)}"}
        )
        response = world.client.get(f"/v1/children/{world.own}/plan", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    def test_the_child_list_is_scoped(self, world: World) -> None:
        senco = world.client.get("/v1/children", headers=world.as_("senco")).json()
        ids = {c["child_id"] for c in senco["children"]}
        assert str(world.own) in ids
        assert str(world.other) not in ids
        parent = world.client.get("/v1/children", headers=world.as_("parent")).json()
        assert [c["child_id"] for c in parent["children"]] == [str(world.own)]
        filtered = world.client.get("/v1/children?sen_status=K", headers=world.as_("senco")).json()
        assert all(c["sen_status"] == "K" for c in filtered["children"])


class TestTimeAxes:
    def test_as_of_and_known_at_shape_the_view(self, world: World) -> None:
        now = world.client.get(f"/v1/children/{world.own}/events", headers=world.as_("senco"))
        first = now.json()["events"][0]
        early = world.client.get(
            f"/v1/children/{world.own}/events",
            params={"known_at": first["recorded_at"]},
            headers=world.as_("senco"),
        )
        assert 0 < early.json()["count"] < now.json()["count"]

    def test_a_bad_date_is_422_naming_the_field_without_echoing_it(self, world: World) -> None:
        response = world.client.get(
            f"/v1/children/{world.own}/plan",
            params={"as_of": "ZZMARKER-not-a-date"},
            headers=world.as_("senco"),
        )
        assert response.status_code == 422
        assert response.json()["field"] == "query.as_of"
        assert "ZZMARKER" not in response.text

    def test_readiness_before_any_concern_says_why_it_is_absent(self, world: World) -> None:
        path = f"/v1/children/{world.own}/readiness"
        now = world.client.get(path, headers=world.as_("senco")).json()
        assert (now["applies"], now["absent_because"], now["total"]) == (True, None, 11)
        then = world.client.get(
            path, params={"as_of": "2000-01-01"}, headers=world.as_("senco")
        ).json()
        assert (then["applies"], then["hints"], then["total"]) == (False, [], 0)
        assert "No concern, SEN support or EHC" in then["absent_because"]


class TestAccessLog:
    def test_every_read_is_logged_and_shown_to_the_senco(self, world: World) -> None:
        world.client.get(f"/v1/children/{world.own}/readiness", headers=world.as_("inspector"))
        chronology = world.client.get(
            f"/v1/children/{world.own}/chronology",
            params={"include_access": "true"},
            headers=world.as_("senco"),
        ).json()
        views = [(a["role"], a["view"]) for a in chronology["viewed_by"]]
        assert ("inspector", "readiness") in views
        parent = world.client.get(
            f"/v1/children/{world.own}/chronology",
            params={"include_access": "true"},
            headers=world.as_("parent"),
        ).json()
        assert "viewed_by" not in parent


class TestExportAndVerify:
    @pytest.mark.parametrize(
        ("role", "status"),
        [
            ("senco", 200),
            ("admin", 200),
            ("practitioner", 403),
            ("parent", 403),
            ("inspector", 403),
            ("outsider", 404),
        ],
    )
    def test_who_may_export(self, world: World, role: str, status: int) -> None:
        response = world.client.post(
            f"/v1/children/{world.own}/exports", json={"pdf": False}, headers=world.as_(role)
        )
        assert response.status_code == status, response.text
        if status == 200:
            assert response.headers["content-type"] == "application/zip"
            verdict = world.client.post(
                "/v1/verify",
                content=response.content,
                headers={**world.as_("inspector"), "Content-Type": "application/zip"},
            )
            assert verdict.json()["verified"] is True
            assert verdict.json()["child_id"] == str(world.own)

    def test_a_tampered_upload_is_not_verified_and_says_why(self, world: World) -> None:
        bundle = world.client.post(
            f"/v1/children/{world.own}/exports", json={"pdf": False}, headers=world.as_("senco")
        ).content
        broken = bundle[: len(bundle) // 3]
        verdict = world.client.post(
            "/v1/verify",
            content=broken,
            headers={**world.as_("inspector"), "Content-Type": "application/zip"},
        ).json()
        assert verdict["verified"] is False
        assert "zip" in verdict["reason"]

    def test_when_every_check_slot_is_taken_an_upload_is_503_with_retry_after(
        self, world: World
    ) -> None:
        bundle = world.client.post(
            f"/v1/children/{world.own}/exports", json={"pdf": False}, headers=world.as_("senco")
        ).content
        headers = {**world.as_("inspector"), "Content-Type": "application/zip"}
        world.client.post("/v1/verify", content=bundle, headers=headers)  # makes the slots
        app = world.client.app
        svc = cast("Services", app.state.services)  # type: ignore[attr-defined]
        slots = app.state.verify_slots  # type: ignore[attr-defined]
        taken = 0
        while slots.acquire(blocking=False):  # as if that many checks were running
            taken += 1
        try:
            assert taken == svc.settings.verify_concurrency
            busy = world.client.post("/v1/verify", content=bundle, headers=headers)
            assert busy.status_code == 503
            assert int(busy.headers["Retry-After"]) > 0
            assert busy.headers["content-type"] == "application/problem+json"
            read = world.client.get(f"/v1/children/{world.own}/plan", headers=world.as_("senco"))
            assert read.status_code == 200  # reads go on
        finally:
            for _ in range(taken):
                slots.release()
        again = world.client.post("/v1/verify", content=bundle, headers=headers)
        assert again.json()["verified"] is True

    def test_an_oversized_upload_is_413(self, world: World) -> None:
        response = world.client.post(
            "/v1/verify",
            content=b"\0" * (51 * 1024 * 1024),
            headers={**world.as_("inspector"), "Content-Type": "application/zip"},
        )
        assert response.status_code == 413


class TestCheckpoints:
    def test_a_read_never_signs_the_schedule_does(self, world: World) -> None:
        from api.checkpoint_schedule import tick

        svc = cast("Services", world.client.app.state.services)  # type: ignore[attr-defined]
        tick(svc)
        stored = svc.ledger.checkpoints()
        world.client.get(f"/v1/children/{world.own}/plan", headers=world.as_("senco"))
        assert svc.ledger.size() > int(stored[-1].split("\n")[1])  # the log grew
        for role in ROLES:
            answer = world.client.get("/v1/checkpoints/latest", headers=world.as_(role))
            assert answer.text == stored[-1]  # the latest stored one, as it was
        assert svc.ledger.checkpoints() == stored  # nothing signed by the reads
        tick(svc)
        assert len(svc.ledger.checkpoints()) == len(stored) + 1
        latest = world.client.get("/v1/checkpoints/latest", headers=world.as_("inspector"))
        assert int(latest.text.split("\n")[1]) > int(stored[-1].split("\n")[1])
        tick(svc)  # a tick with nothing new signs nothing
        assert len(svc.ledger.checkpoints()) == len(stored) + 1

    def test_latest_and_a_consistency_proof_that_verifies(self, world: World) -> None:
        from api.checkpoint_schedule import tick
        from ledger import checkpoint as cp
        from ledger.merkle import verify_consistency

        svc = cast("Services", world.client.app.state.services)  # type: ignore[attr-defined]
        tick(svc)
        first = cp.parse(
            world.client.get("/v1/checkpoints/latest", headers=world.as_("inspector")).text
        )[0]
        world.client.get(f"/v1/children/{world.own}/plan", headers=world.as_("senco"))
        tick(svc)
        second = cp.parse(
            world.client.get("/v1/checkpoints/latest", headers=world.as_("inspector")).text
        )[0]
        assert second.size > first.size
        proof = world.client.get(
            "/v1/checkpoints/consistency",
            params={"from": first.size, "to": second.size},
            headers=world.as_("inspector"),
        ).json()["proof"]
        verify_consistency(
            first.size, second.size, first.root, second.root, [bytes.fromhex(h) for h in proof]
        )
        bad = world.client.get(
            "/v1/checkpoints/consistency",
            params={"from": 5, "to": 10**9},
            headers=world.as_("inspector"),
        )
        assert bad.status_code == 422


class TestDashboard:
    @pytest.mark.parametrize(
        ("role", "status"),
        [
            ("senco", 200),
            ("admin", 200),
            ("inspector", 200),
            ("practitioner", 403),
            ("parent", 403),
        ],
    )
    def test_the_cohort_of_your_own_setting(self, world: World, role: str, status: int) -> None:
        response = world.client.get("/v1/dashboard", headers=world.as_(role))
        assert response.status_code == status
        if status == 200:
            body = response.json()
            counted = sum(row["children"] for row in body["by_status_and_need"])
            listed = world.client.get("/v1/children", headers=world.as_(role)).json()
            # An inspector gets no setting-wide totals: only rows of children shared.
            assert counted == (0 if role == "inspector" else listed["count"])
            assert "given_name" not in response.text

    def test_at_a_date_before_anything_happened_the_cohort_is_empty(self, world: World) -> None:
        now = world.client.get("/v1/dashboard", headers=world.as_("senco")).json()
        assert sum(row["children"] for row in now["by_status_and_need"]) > 0
        assert "provisions_past_planned_end" in now
        then = world.client.get(
            "/v1/dashboard", params={"today": "1990-01-01"}, headers=world.as_("senco")
        ).json()
        assert then["today"] == "1990-01-01"
        assert {key: value for key, value in then.items() if isinstance(value, list)} == {
            key: [] for key, value in now.items() if isinstance(value, list)
        }


def test_a_restricted_record_is_admin_only_and_not_exported(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from domain.envelope import EnvelopeDraft, RecordedBy

    settings = Settings(data_dir=tmp_path_factory.mktemp("restricted") / "data")
    ensure_keys(settings)
    records = open_records(settings)
    child = build_demo_cohort(records, children=1, seed=5, today=date(2026, 11, 24))[0]
    setting = records.get_child(child).setting_id
    records.handle(
        child,
        cmd.RestrictProcessing(reason="Accuracy contested by the parent"),
        EnvelopeDraft(date(2026, 11, 20), RecordedBy("u-admin", "admin", setting)),
    )
    store = UserStore(cast(LedgerBackend, records.recorder))
    admin = store.add("Admin", role="admin", setting_id=setting)[1]
    senco = store.add("Senco", role="senco", setting_id=setting)[1]
    records.close()
    with TestClient(create_app(settings)) as client:
        as_admin = {"Authorization": f"Bearer {admin}"}
        assert client.get(f"/v1/children/{child}/plan", headers=as_admin).status_code == 200
        hidden = client.get(
            f"/v1/children/{child}/plan", headers={"Authorization": f"Bearer {senco}"}
        )
        assert hidden.status_code == 404
        refused = client.post(
            f"/v1/children/{child}/exports", json={"pdf": False}, headers=as_admin
        )
        assert refused.status_code == 409
        assert "restricted" in refused.json()["detail"]


class TestChronologyPages:
    def test_the_pages_together_are_the_whole_chronology_in_order(self, world: World) -> None:
        whole = world.client.get(
            f"/v1/children/{world.own}/chronology", headers=world.as_("senco")
        ).json()
        assert whole["count"] > 7
        pages: list[dict[str, object]] = []
        offset: int | None = 0
        while offset is not None:
            page = world.client.get(
                f"/v1/children/{world.own}/chronology",
                params={"limit": 7, "offset": offset},
                headers=world.as_("senco"),
            ).json()
            assert len(page["entries"]) <= 7
            assert page["count"] == whole["count"]
            assert page["late_entries"] == whole["late_entries"]
            pages.extend(page["entries"])
            offset = page["next_offset"]
        assert pages == whole["entries"]

    def test_each_page_links_to_the_next_and_the_last_to_none(self, world: World) -> None:
        whole = world.client.get(
            f"/v1/children/{world.own}/chronology", headers=world.as_("senco")
        ).json()
        assert "next" not in whole
        assert "next_offset" not in whole
        common = Counter(e["kind"] for e in whole["entries"]).most_common(2)
        assert sum(n for _, n in common) > 3
        params = {"limit": "3", "kind": [kind for kind, _ in common]}
        first = world.client.get(
            f"/v1/children/{world.own}/chronology", params=params, headers=world.as_("senco")
        )
        pages = [first.json()]
        links = [first.headers.get("link")]
        while pages[-1].get("next"):
            following = world.client.get(pages[-1]["next"], headers=world.as_("senco"))
            pages.append(following.json())
            links.append(following.headers.get("link"))
        assert len(pages) > 1
        assert [p["offset"] for p in pages] == [3 * n for n in range(len(pages))]
        assert all(p["matched"] == sum(n for _, n in common) for p in pages)  # filter kept
        assert links[:-1] == [f'<{p["next"]}>; rel="next"' for p in pages[:-1]]
        assert links[-1] is None
        assert "next" not in pages[-1]
        assert pages[-1]["next_offset"] is None

    def test_a_page_at_a_past_date_holds_only_what_was_then(self, world: World) -> None:
        then = world.client.get(
            f"/v1/children/{world.own}/chronology",
            params={"as_of": "2025-01-01", "limit": 500},
            headers=world.as_("senco"),
        ).json()
        assert all(e["occurred_at"] <= "2025-01-01" for e in then["entries"])
        assert then["next_offset"] is None

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"limit": 0}, "query.limit"),
            ({"limit": 501}, "query.limit"),
            ({"offset": -1}, "query.offset"),
        ],
    )
    def test_a_bad_page_names_the_parameter(
        self, world: World, params: dict[str, int], field: str
    ) -> None:
        response = world.client.get(
            f"/v1/children/{world.own}/chronology", params=params, headers=world.as_("senco")
        )
        assert response.status_code == 422
        assert response.json()["field"] == field
