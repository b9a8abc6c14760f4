"""The pages through the real app (TestClient): signing in and out, who may see and do
what (the API's rules, checked again by every POST), CSRF, friendly HTML errors that never
echo input, and forms that keep what was typed and store nothing on an error."""

from __future__ import annotations

import hashlib
import re
from typing import cast
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import Services
from tests.web.conftest import Client
from tests.web.world import VERSION, World, csrf_of, sign_in


def services(app: FastAPI) -> Services:
    return cast(Services, app.state.services)


def version(app: FastAPI, child: UUID) -> int:
    return int(services(app).records.get_child(child).version)


class TestSignIn:
    def test_a_wrong_token_is_refused_without_echoing_it(self, app: FastAPI) -> None:
        client = TestClient(app, follow_redirects=False)
        nonce = re.search(r'name="nonce" value="([^"]+)"', client.get("/sign-in").text)
        assert nonce is not None
        response = client.post(
            "/sign-in", data={"token": "st_ZZMARKER-wrong", "nonce": nonce.group(1)}
        )
        assert response.status_code == 401
        assert "not recognised" in response.text
        assert "ZZMARKER" not in response.text
        assert "sendtrail_session" not in response.headers.get("set-cookie", "")

    def test_a_sign_in_post_without_the_forms_cookie_is_refused(
        self, app: FastAPI, world: World
    ) -> None:
        client = TestClient(app, follow_redirects=False)
        response = client.post("/sign-in", data={"token": world.tokens["senco"], "nonce": "x"})
        assert response.status_code == 403
        assert "sendtrail_session" not in response.headers.get("set-cookie", "")

    def test_each_role_starts_where_its_work_is(self, app: FastAPI, world: World) -> None:
        starts = {
            "senco": "/dashboard",
            "admin": "/dashboard",
            "inspector": "/verify",
            "practitioner": "/children",
            "parent": f"/children/{world.own}",
        }
        for role, start in starts.items():
            client = TestClient(app, follow_redirects=False)
            sign_in(client, world.tokens[role])
            assert client.get("/").headers["location"] == start

    def test_signed_out_requests_go_to_sign_in_and_come_back(
        self, app: FastAPI, world: World
    ) -> None:
        client = TestClient(app, follow_redirects=False)
        page = f"/children/{world.own}/chronology"
        response = client.get(page)
        assert response.status_code == 303
        assert response.headers["location"] == f"/sign-in?next=/children/{world.own}/chronology"
        posted = client.post(f"/children/{world.own}/record/observation", data={"notes": "x"})
        assert posted.status_code == 303
        assert posted.headers["location"] == "/sign-in"
        nonce = re.search(r'name="nonce" value="([^"]+)"', client.get(f"/sign-in?next={page}").text)
        assert nonce is not None
        back = client.post(
            "/sign-in", data={"token": world.tokens["senco"], "nonce": nonce.group(1), "next": page}
        )
        assert back.headers["location"] == page

    def test_next_never_leaves_the_site(self, app: FastAPI, world: World) -> None:
        client = TestClient(app, follow_redirects=False)
        nonce = re.search(r'name="nonce" value="([^"]+)"', client.get("/sign-in").text)
        assert nonce is not None
        response = client.post(
            "/sign-in",
            data={
                "token": world.tokens["senco"],
                "nonce": nonce.group(1),
                "next": "//evil.example/",
            },
        )
        assert response.headers["location"] == "/dashboard"

    def test_the_cookie_is_httponly_strict_and_only_its_hash_is_stored(
        self, app: FastAPI, world: World
    ) -> None:
        client = TestClient(app, follow_redirects=False)
        sign_in(client, world.tokens["senco"])
        session_id = client.cookies["sendtrail_session"]
        backend = services(app).sessions.backend
        with backend.ledger_cursor() as cursor:
            cursor.execute("SELECT * FROM web_sessions")
            rows = [dict(r) for r in cursor.fetchall()]
        digests = {r["session_sha256"] for r in rows}
        assert hashlib.sha256(session_id.encode()).hexdigest() in digests
        assert not any(session_id in str(r) for r in rows)

    def test_cookie_flags(self, app: FastAPI, world: World) -> None:
        for base, secure in (("http://testserver", False), ("https://testserver", True)):
            client = TestClient(app, base_url=base, follow_redirects=False)
            form = client.get("/sign-in")
            nonce = re.search(r'name="nonce" value="([^"]+)"', form.text)
            assert nonce is not None
            response = client.post(
                "/sign-in", data={"token": world.tokens["senco"], "nonce": nonce.group(1)}
            )
            cookie = next(
                c
                for c in response.headers.get_list("set-cookie")
                if c.startswith("sendtrail_session=")
            )
            assert "HttpOnly" in cookie
            assert "SameSite=strict" in cookie
            assert ("Secure" in cookie) is secure

    def test_sign_out_ends_the_session_at_once(self, as_: Client, world: World) -> None:
        client = as_("senco")
        old = client.cookies["sendtrail_session"]
        page = client.get("/children")
        out = client.post("/sign-out", data={"csrf": csrf_of(page.text)})
        assert out.headers["location"] == "/sign-in?signed_out=1"
        client.cookies.set("sendtrail_session", old)  # a copied cookie opens nothing now
        assert client.get("/children").status_code == 303

    def test_a_revoked_user_is_signed_out_at_once(self, app: FastAPI) -> None:
        store = services(app).users
        user, token = store.add("Leaving", role="senco", setting_id="test-revoke")
        client = TestClient(app, follow_redirects=False)
        sign_in(client, token)
        assert client.get("/children").status_code == 200
        store.revoke(user.user_id)
        assert client.get("/children").status_code == 303

    def test_a_session_expires_after_twelve_hours(self, app: FastAPI) -> None:
        from datetime import UTC, datetime, timedelta

        svc = services(app)
        user, _ = svc.users.add("Shift", role="senco", setting_id="test-expiry")
        start = datetime.now(tz=UTC)
        session_id = svc.sessions.open(user, now=start)
        assert svc.sessions.user(session_id, now=start + timedelta(hours=11)) is not None
        assert svc.sessions.user(session_id, now=start + timedelta(hours=12, seconds=1)) is None


class TestWhoMaySeeWhat:
    def test_a_parent_sees_only_their_child_and_others_look_unknown(
        self, as_: Client, world: World
    ) -> None:
        parent = as_("parent")
        assert parent.get(f"/children/{world.own}").status_code == 200
        assert parent.get("/children").headers["location"] == f"/children/{world.own}"
        hidden = parent.get(f"/children/{world.sibling}")
        unknown = parent.get(f"/children/{uuid4()}")
        assert hidden.status_code == unknown.status_code == 404
        assert hidden.text == unknown.text
        assert hidden.headers["content-type"].startswith("text/html")
        for tab in ("chronology", "provision-map", "record/parent-view"):
            assert parent.get(f"/children/{world.sibling}/{tab}").text == unknown.text

    def test_another_setting_gets_the_unknown_page(self, as_: Client, world: World) -> None:
        outsider = as_("outsider")
        hidden = outsider.get(f"/children/{world.own}/chronology")
        unknown = outsider.get(f"/children/{uuid4()}/chronology")
        assert hidden.status_code == 404
        assert hidden.text == unknown.text

    def test_a_malformed_id_is_a_plain_not_found_page(self, as_: Client) -> None:
        response = as_("senco").get("/children/ZZMARKER-not-an-id")
        assert response.status_code == 404
        assert "Page not found" in response.text
        assert "ZZMARKER" not in response.text

    @pytest.mark.parametrize(
        ("role", "status"),
        [("senco", 200), ("admin", 200), ("inspector", 200), ("practitioner", 403)],
    )
    def test_the_dashboard_has_the_apis_roles(self, as_: Client, role: str, status: int) -> None:
        response = as_(role).get("/dashboard")
        assert response.status_code == status
        assert response.headers["content-type"].startswith("text/html")
        if status == 403:
            assert "You cannot do this" in response.text

    def test_a_parent_has_no_dashboard(self, as_: Client) -> None:
        assert as_("parent").get("/dashboard").status_code == 403

    def test_only_sencos_and_admins_are_offered_or_allowed_export(
        self, app: FastAPI, as_: Client, world: World
    ) -> None:
        for role in ("practitioner", "parent", "inspector"):
            client = as_(role)
            page = client.get(f"/children/{world.own}")
            assert "Export evidence bundle" not in page.text
            before = version(app, world.own)
            refused = client.post(
                f"/children/{world.own}/export", data={"csrf": csrf_of(page.text)}
            )
            assert refused.status_code == 403, role
            assert version(app, world.own) == before
        assert "Export evidence bundle" in as_("senco").get(f"/children/{world.own}").text

    @pytest.mark.parametrize("role", ["inspector", "parent"])
    def test_staff_forms_are_refused_to_others(
        self, app: FastAPI, as_: Client, world: World, role: str
    ) -> None:
        client = as_(role)
        assert client.get(f"/children/{world.own}/record/observation").status_code == 403
        before = version(app, world.own)
        posted = client.post(
            f"/children/{world.own}/record/observation",
            data={
                "csrf": csrf_of(client.get("/verify").text),
                "expected_version": str(before),
                "occurred_at": "2026-11-20",
                "area": "physical",
                "notes": "Should not be stored",
                "observer": "Key person",
            },
        )
        assert posted.status_code == 403
        assert version(app, world.own) == before

    def test_staff_are_not_offered_what_only_parents_use(self, as_: Client, world: World) -> None:
        page = as_("practitioner").get(f"/children/{world.own}/chronology")
        assert "Disagree with this entry" not in page.text
        assert (
            "Disagree with this entry"
            in as_("parent").get(f"/children/{world.own}/chronology").text
        )

    def test_every_read_of_a_child_page_is_logged(
        self, app: FastAPI, as_: Client, world: World
    ) -> None:
        records = services(app).records
        before = len(records.accesses(world.own))
        as_("parent").get(f"/children/{world.own}/chronology?as_of=2026-06-01")
        after = records.accesses(world.own)
        assert len(after) == before + 1
        assert (after[-1].role, after[-1].view, after[-1].as_of) == (
            "parent",
            "chronology",
            "2026-06-01",
        )

    def test_an_erased_record_says_so_to_everyone_who_held_its_id(
        self, app: FastAPI, as_: Client, world: World
    ) -> None:
        from api.erasure import erase_child
        from domain.envelope import EnvelopeDraft, RecordedBy
        from ledger.log import LedgerBackend

        records = services(app).records
        erase_child(
            records,
            cast(LedgerBackend, records.recorder),
            world.other,
            draft=lambda setting: EnvelopeDraft(
                records.clock(), RecordedBy("u-admin", "admin", setting)
            ),
            reason="parent's request",
        )
        response = as_("outsider").get(f"/children/{world.other}")
        assert response.status_code == 410
        assert "This record was erased" in response.text
        assert response.headers["content-type"].startswith("text/html")


class TestCsrf:
    def test_a_post_without_the_token_is_refused_and_stores_nothing(
        self, app: FastAPI, as_: Client, world: World
    ) -> None:
        client = as_("practitioner")
        before = version(app, world.own)
        data = {
            "expected_version": str(before),
            "occurred_at": "2026-11-20",
            "area": "physical",
            "notes": "No token",
            "observer": "Key person",
        }
        missing = client.post(f"/children/{world.own}/record/observation", data=data)
        assert missing.status_code == 403
        assert "This form has expired" in missing.text
        other = as_("senco").get("/children")  # another session's token is no good either
        wrong = client.post(
            f"/children/{world.own}/record/observation", data={**data, "csrf": csrf_of(other.text)}
        )
        assert wrong.status_code == 403
        assert version(app, world.own) == before


class TestErrorsArePages:
    def test_the_api_still_answers_problem_json(self, app: FastAPI, world: World) -> None:
        client = TestClient(app)
        response = client.get(
            f"/v1/children/{uuid4()}/plan",
            headers={"Authorization": f"Bearer {world.tokens['senco']}"},
        )
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    def test_an_unexpected_error_shows_a_plain_page_without_its_text(self, world: World) -> None:
        app = create_app(world.settings)

        @app.get("/boom", include_in_schema=False)
        def boom() -> None:
            raise RuntimeError("ZZMARKER secret detail")

        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/boom")
        assert response.status_code == 500
        assert response.headers["content-type"].startswith("text/html")
        assert "Sorry, something went wrong" in response.text
        assert "ZZMARKER" not in response.text

    def test_no_page_is_in_the_openapi_document(self, app: FastAPI) -> None:
        paths = TestClient(app).get("/openapi.json").json()["paths"]
        assert paths
        assert all(path.startswith("/v1/") for path in paths)


class TestForms:
    def observation(self, client: TestClient, child: UUID) -> tuple[str, int]:
        page = client.get(f"/children/{child}/record/observation")
        found = VERSION.search(page.text)
        assert found is not None
        return csrf_of(page.text), int(found.group(1))

    def test_an_error_keeps_what_was_typed_and_stores_nothing(
        self, app: FastAPI, as_: Client, world: World
    ) -> None:
        client = as_("practitioner")
        csrf, at = self.observation(client, world.own)
        response = client.post(
            f"/children/{world.own}/record/observation",
            data={
                "csrf": csrf,
                "expected_version": str(at),
                "occurred_at": "2026-02-30",
                "area": "communication_language",
                "notes": "",
                "observer": "Key person ZZTYPED",
            },
        )
        assert response.status_code == 422
        assert version(app, world.own) == at
        html = response.text
        assert "There is a problem" in html
        assert 'href="#f-notes"' in html
        assert 'href="#f-occurred_at"' in html
        assert "Enter what you saw" in html
        assert "Enter a real date for date it happened" in html
        assert 'value="Key person ZZTYPED"' in html
        assert '<option value="communication_language" selected>' in html
        assert 'aria-describedby="f-notes-hint f-notes-error"' in html

    def test_a_domain_refusal_is_shown_beside_its_field(
        self, app: FastAPI, as_: Client, world: World
    ) -> None:
        client = as_("practitioner")
        page = client.get(f"/children/{world.own}/record/session")
        at = version(app, world.own)
        response = client.post(
            f"/children/{world.own}/record/session",
            data={
                "csrf": csrf_of(page.text),
                "expected_version": str(at),
                "session_date": "2026-11-20",
                "provision_id": "prov-unknown",
                "delivered": "yes",
                "minutes": "",
                "notes": "Kept ZZNOTE",
            },
        )
        assert response.status_code == 422
        assert 'id="f-minutes-error"' in response.text
        assert "Minutes is required for a delivered session" in response.text
        assert "Kept ZZNOTE" in response.text
        assert version(app, world.own) == at

    def test_a_future_date_is_refused_beside_the_date(
        self, app: FastAPI, as_: Client, world: World
    ) -> None:
        client = as_("practitioner")
        csrf, at = self.observation(client, world.own)
        response = client.post(
            f"/children/{world.own}/record/observation",
            data={
                "csrf": csrf,
                "expected_version": str(at),
                "occurred_at": "2999-01-01",
                "area": "physical",
                "notes": "Too early to tell",
                "observer": "Key person",
            },
        )
        assert response.status_code == 422
        assert 'id="f-occurred_at-error"' in response.text
        assert version(app, world.own) == at

    def test_a_stale_version_says_someone_else_wrote_and_keeps_the_text(
        self, app: FastAPI, as_: Client, world: World
    ) -> None:
        client = as_("practitioner")
        csrf, at = self.observation(client, world.own)
        data = {
            "csrf": csrf,
            "expected_version": str(at),
            "occurred_at": "2026-11-20",
            "area": "physical",
            "notes": "Climbed the frame ZZSTALE",
            "observer": "Key person",
        }
        first = client.post(f"/children/{world.own}/record/observation", data=data)
        assert first.status_code == 303
        stale = client.post(f"/children/{world.own}/record/observation", data=data)
        assert stale.status_code == 409
        assert "Someone else recorded something meanwhile" in stale.text
        assert "Climbed the frame ZZSTALE" in stale.text
        assert version(app, world.own) == at + 1
        found = VERSION.search(stale.text)
        assert found is not None
        assert int(found.group(1)) == at + 1  # saving again is a choice made knowingly

    def test_a_saved_entry_redirects_to_the_chronology_with_a_confirmation(
        self, app: FastAPI, as_: Client, world: World
    ) -> None:
        client = as_("practitioner")
        csrf, at = self.observation(client, world.own)
        saved = client.post(
            f"/children/{world.own}/record/observation",
            data={
                "csrf": csrf,
                "expected_version": str(at),
                "occurred_at": "2026-11-21",
                "area": "physical",
                "notes": "Balanced on one foot for five seconds",
                "observer": "Key person",
            },
        )
        assert saved.status_code == 303
        assert saved.headers["location"] == (
            f"/children/{world.own}/chronology?saved=observation&v={at + 1}"
        )
        shown = client.get(saved.headers["location"])
        assert f"Observation saved (entry {at + 1})." in shown.text
        assert "Balanced on one foot for five seconds" in shown.text
        event = services(app).records.history(world.own)[-1]
        assert type(event).__name__ == "ObservationRecorded"
        assert event.recorded_by.role == "practitioner"

    def test_a_discussion_with_different_views_needs_both(
        self, app: FastAPI, as_: Client, world: World
    ) -> None:
        client = as_("senco")
        page = client.get(f"/children/{world.own}/record/discussion")
        at = version(app, world.own)
        data = {
            "csrf": csrf_of(page.text),
            "expected_version": str(at),
            "occurred_at": "2026-11-21",
            "participants": "Key person\nSENCO",
            "outcome": "different_views",
            "hypothesis": "Unsure",
            "key_person_view": "",
            "senco_view": "It is language",
        }
        refused = client.post(f"/children/{world.own}/record/discussion", data=data)
        assert refused.status_code == 422
        assert 'id="f-key_person_view-error"' in refused.text
        assert version(app, world.own) == at
        data["key_person_view"] = "It is confidence"
        assert client.post(f"/children/{world.own}/record/discussion", data=data).status_code == 303
        held = services(app).records.history(world.own)[-1]
        assert held.outcome == "different_views"  # type: ignore[union-attr]
        assert held.participants == ["Key person", "SENCO"]  # type: ignore[union-attr]

    def test_a_review_of_the_current_plan(self, app: FastAPI, as_: Client, world: World) -> None:
        client = as_("senco")
        page = client.get(f"/children/{world.own}/record/review")
        assert "Progress towards: " in page.text
        at = version(app, world.own)
        plan_id = re.search(r'name="plan_id" value="([^"]+)"', page.text)
        outcome = re.search(r'name="outcome_progress.0.outcome_id" value="([^"]+)"', page.text)
        assert plan_id is not None
        assert outcome is not None
        response = client.post(
            f"/children/{world.own}/record/review",
            data={
                "csrf": csrf_of(page.text),
                "expected_version": str(at),
                "occurred_at": "2026-11-21",
                "plan_id": plan_id.group(1),
                "outcome_progress.0.outcome_id": outcome.group(1),
                "outcome_progress.0.progress": "met",
                "outcome_progress.0.note": "Does it with a visual",
                "reflection": "Visuals help",
                "decision": "continue",
                "next_review_date": "2027-02-01",
                "attendees": "SENCO\nParent",
            },
        )
        assert response.status_code == 303, response.text
        held = services(app).records.history(world.own)[-1]
        assert held.outcome_progress == [  # type: ignore[union-attr]
            {"outcome_id": outcome.group(1), "progress": "met", "note": "Does it with a visual"}
        ]

    def test_a_parent_adds_their_view_and_disputes_an_entry(
        self, app: FastAPI, as_: Client, world: World
    ) -> None:
        parent = as_("parent")
        page = parent.get(f"/children/{world.own}/record/parent-view")
        at = version(app, world.own)
        response = parent.post(
            f"/children/{world.own}/record/parent-view",
            data={
                "csrf": csrf_of(page.text),
                "expected_version": str(at),
                "occurred_at": "2026-11-22",
                "person_id": "parent-1",
                "view": "She sings at home all the time",
            },
        )
        assert response.status_code == 303
        viewed = services(app).records.history(world.own)[-1]
        assert type(viewed).__name__ == "ParentViewRecorded"
        assert viewed.basis == "parent_view"
        form = parent.get(f"/children/{world.own}/record/dispute?entry=3")
        assert "The entry" in form.text
        disputed = parent.post(
            f"/children/{world.own}/record/dispute",
            data={
                "csrf": csrf_of(form.text),
                "expected_version": str(at + 1),
                "target_version": "3",
                "person_id": "parent-1",
                "comment": "That was a one-off",
            },
        )
        assert disputed.status_code == 303
        event = services(app).records.history(world.own)[-1]
        assert type(event).__name__ == "EntryDisputed"
        assert event.target_version == 3  # type: ignore[union-attr]
        chronology = parent.get(disputed.headers["location"]).text
        assert "That was a one-off" in chronology


class TestExportAndCheck:
    def test_export_then_check_then_a_tampered_copy(
        self, app: FastAPI, as_: Client, world: World
    ) -> None:
        senco = as_("senco")
        page = senco.get(f"/children/{world.own}")
        at = version(app, world.own)
        bundle = senco.post(
            f"/children/{world.own}/export",
            data={"csrf": csrf_of(page.text), "as_of": "2026-11-24", "reason": ""},
        )
        assert bundle.status_code == 200
        assert bundle.headers["content-type"] == "application/zip"
        assert version(app, world.own) == at + 1  # the export is recorded on the child
        inspector = as_("inspector")
        csrf = csrf_of(inspector.get("/verify").text)
        verified = inspector.post(
            "/verify",
            data={"csrf": csrf},
            files={"bundle": ("bundle.zip", bundle.content, "application/zip")},
        )
        assert verified.status_code == 200
        assert "Verified: this bundle is genuine" in verified.text
        assert str(world.own) in verified.text
        child = app.state.services.records.get_child(world.own, read_only=True)
        assert f"{child.given_name} {child.family_name} (record {world.own})" in verified.text
        assert f"<dt>Setting</dt><dd>{child.setting_id}" in verified.text
        assert "<dt>Exported</dt><dd>on " in verified.text
        cut = inspector.post(
            "/verify",
            data={"csrf": csrf},
            files={"bundle": ("bundle.zip", bundle.content[:1000], "application/zip")},
        )
        assert "Not verified" in cut.text
        assert "not a readable zip" in cut.text

    def test_an_export_with_a_bad_date_keeps_the_form(self, as_: Client, world: World) -> None:
        senco = as_("senco")
        page = senco.get(f"/children/{world.own}")
        response = senco.post(
            f"/children/{world.own}/export",
            data={"csrf": csrf_of(page.text), "as_of": "1800-01-01", "reason": "ZZREASON"},
        )
        assert response.status_code == 422
        assert "ZZREASON" in response.text
        assert 'href="#f-as_of"' in response.text

    def test_checking_without_a_file_says_so(self, as_: Client) -> None:
        inspector = as_("inspector")
        csrf = csrf_of(inspector.get("/verify").text)
        response = inspector.post(
            "/verify", data={"csrf": csrf}, files={"bundle": ("", b"", "application/zip")}
        )
        assert response.status_code == 422
        assert "Choose the bundle file" in response.text

    def test_an_upload_without_the_csrf_token_is_refused(self, as_: Client) -> None:
        response = as_("inspector").post(
            "/verify", files={"bundle": ("b.zip", b"PK", "application/zip")}
        )
        assert response.status_code == 403

    def test_an_oversized_upload_is_refused(self, as_: Client) -> None:
        inspector = as_("inspector")
        csrf = csrf_of(inspector.get("/verify").text)
        response = inspector.post(
            "/verify",
            data={"csrf": csrf},
            files={"bundle": ("big.zip", b"\0" * (51 * 1024 * 1024), "application/zip")},
        )
        assert response.status_code == 413
        assert "too large" in response.text
