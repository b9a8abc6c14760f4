"""The record routes through the real app: one POST per kind of entry.

Given a child built through the API with the usual prerequisites (a linked parent, a
referral consent, a provision, a plan, a report and an observation), each route stores one
event of its kind; refused requests (bad input, stale version, wrong role, outsider) store
nothing and never echo what was sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import schemas
from api.app import create_app
from api.cli_serve import ensure_keys
from api.permissions import allows
from api.settings import Settings
from api.users import UserStore
from domain.vocabulary import AREAS, BASES

SETTING = "nursery-oak"
OTHER_SETTING = "nursery-elm"
STAFF = ("practitioner", "senco", "admin")
MARKER = "Zq7xMARKERdoNotEcho"
ON = "2025-03-10"


@dataclass(frozen=True)
class Route:
    """One write route, a body it accepts on a prepared child, and what it stores."""

    name: str
    path: str
    body: dict[str, Any]
    kind: str
    basis: str = "fact"
    needs: tuple[str, ...] = ()
    reader: str = "senco"  # who sees the record afterwards (a transfer moves it away)


OUTCOME = {
    "outcome_id": "o1",
    "description": "Follows a two-step instruction in a small group.",
    "area": "communication_language",
    "target_date": "2025-05-23",
}

ROUTES = [
    Route(
        "people",
        "people",
        {
            "person_id": "carer-2",
            "name": "Demo Carer",
            "relationship": "grandmother",
            "parental_responsibility": False,
        },
        "PersonLinked",
    ),
    Route(
        "observations",
        "observations",
        {"area": "physical", "notes": "Climbed the frame unaided.", "observer": "Key person"},
        "ObservationRecorded",
    ),
    Route(
        "tracking",
        "tracking",
        {
            "area": "communication_language",
            "band": "16-26 months",
            "months_low": 16,
            "months_high": 26,
            "chronological_months": 34,
        },
        "TrackingAssessed",
    ),
    Route(
        "progress-checks",
        "progress-checks",
        {"summary": "Single words only.", "areas_of_concern": ["communication_language"]},
        "ProgressCheckAtTwoRecorded",
    ),
    Route(
        "attendance",
        "attendance",
        {
            "period_start": "2025-01-06",
            "period_end": "2025-02-14",
            "sessions_possible": 60,
            "sessions_attended": 52,
        },
        "AttendanceRecorded",
    ),
    Route(
        "concerns",
        "concerns",
        {
            "concern_id": "c-1",
            "areas": ["communication_language"],
            "level": "medium",
            "description": "Few words; frustration at drop-off.",
        },
        "ConcernRaised",
    ),
    Route(
        "discussions",
        "discussions",
        {
            "participants": ["Key person", "SENCO"],
            "outcome": "agreed_concern_monitor",
            "hypothesis": "Expressive language delay.",
            "evidence_needed": "Hearing test.",
            "actions": ["Talk to parents"],
        },
        "DiscussionHeld",
        basis="professional_opinion",
    ),
    Route(
        "parent-notifications",
        "parent-notifications",
        {"method": "meeting", "information_service_given": True},
        "ParentNotified",
    ),
    Route(
        "sen-status",
        "sen-status",
        {"status": "K", "need_codes": ["SLCN"], "primary_need": "SLCN", "reason": "Plan agreed."},
        "SenStatusChanged",
    ),
    Route(
        "consents-given",
        "consents",
        {
            "decision": "given",
            "consent_id": "la",
            "purpose": "share_with_la",
            "person_id": "parent-1",
        },
        "ConsentGiven",
    ),
    Route(
        "consents-refused",
        "consents",
        {
            "decision": "refused",
            "consent_id": "photos",
            "purpose": "photographs",
            "person_id": "parent-1",
        },
        "ConsentRefused",
    ),
    Route(
        "consent-withdrawal",
        "consents/salt/withdrawal",
        {"person_id": "parent-1"},
        "ConsentWithdrawn",
    ),
    Route(
        "plans",
        "plans",
        {
            "plan_id": "plan-2",
            "start_date": ON,
            "review_date": "2025-05-23",
            "outcomes": [OUTCOME],
            "provision_ids": ["prov-1"],
            "shared_with_parents": True,
        },
        "SupportPlanIssued",
    ),
    Route(
        "plan-revisions",
        "plans/plan-1/revisions",
        {
            "review_date": "2025-06-20",
            "outcomes": [OUTCOME],
            "provision_ids": ["prov-1"],
            "reason": "Review moved.",
        },
        "SupportPlanRevised",
    ),
    Route(
        "provisions",
        "provisions",
        {
            "provision_id": "prov-2",
            "description": "1:1 vocabulary work",
            "area": "communication_language",
            "start_date": ON,
            "group_size": 1,
            "session_minutes": 10,
            "sessions_per_week": 5,
            "weeks": 12,
            "staff_grade": "senior_practitioner",
            "cost": "325.50",
            "funding_source": "additional",
        },
        "ProvisionStarted",
    ),
    Route(
        "provision-changes",
        "provisions/prov-1/changes",
        {"changes": {"sessions_per_week": 4, "cost": "240.00"}, "reason": "After the review."},
        "ProvisionChanged",
    ),
    Route(
        "provision-end",
        "provisions/prov-1/end",
        {"end_date": "2025-03-07", "reason": "Outcome met."},
        "ProvisionEnded",
    ),
    Route(
        "sessions-delivered",
        "sessions",
        {"provision_id": "prov-1", "session_date": "2025-03-03", "delivered": True, "minutes": 20},
        "SessionDelivered",
    ),
    Route(
        "sessions-missed",
        "sessions",
        {
            "provision_id": "prov-1",
            "session_date": "2025-03-03",
            "delivered": False,
            "reason": "Staff absence",
        },
        "SessionMissed",
    ),
    Route(
        "reviews",
        "reviews",
        {
            "plan_id": "plan-1",
            "outcome_progress": [{"outcome_id": "o1", "progress": "partly_met"}],
            "provision_impact": [{"provision_id": "prov-1", "impact": "some"}],
            "reflection": "Responds better with visuals.",
            "decision": "continue",
            "next_review_date": "2025-06-20",
            "attendees": ["SENCO", "Parent"],
        },
        "ReviewHeld",
        basis="professional_opinion",
    ),
    Route(
        "referrals",
        "referrals",
        {
            "referral_id": "ref-salt",
            "service": "Speech and language therapy",
            "reason": "Expressive language delay.",
            "consent_id": "salt",
        },
        "ReferralMade",
    ),
    Route(
        "professional-contacts",
        "professional-contacts",
        {
            "professional": "Demo Therapist",
            "professional_role": "Speech and language therapist",
            "service": "Speech and language therapy",
            "kind": "call",
            "summary": "Agreed a visit.",
        },
        "ProfessionalContact",
    ),
    Route(
        "reports",
        "reports",
        {
            "report_id": "ep-1",
            "author": "Demo Psychologist",
            "author_role": "Educational psychologist",
            "service": "Educational psychology",
            "report_date": "2025-03-03",
            "summary": "Cognitive profile within range; language below.",
            "recommendations": [{"recommendation_id": "r1", "text": "Visual supports"}],
        },
        "ReportReceived",
        basis="third_party_report",
    ),
    Route(
        "recommendation-actions",
        "reports/salt-1/recommendations/r1/actions",
        {"action": "partly_actioned", "detail": "Three times a week."},
        "RecommendationActioned",
    ),
    Route(
        "parent-views",
        "parent-views",
        {"person_id": "parent-1", "view": "We see small steps at home too."},
        "ParentViewRecorded",
        basis="parent_view",
    ),
    Route(
        "child-views",
        "child-views",
        {"view": "Likes the puppet game best.", "method": "Talking mat"},
        "ChildViewRecorded",
        basis="child_voice",
    ),
    Route(
        "ehc-request",
        "ehc/request",
        {
            "request_date": "2025-03-07",
            "local_authority": "Demo County Council",
            "reason": "Needs exceed SEN support.",
        },
        "EhcRequestSubmitted",
    ),
    Route(
        "ehc-decision",
        "ehc/decision",
        {"decision": "assess", "decision_date": "2025-03-07"},
        "EhcDecisionRecorded",
        needs=("ehc-request",),
    ),
    Route(
        "ehc-advice",
        "ehc/advice",
        {
            "advice_from": "Educational psychology service",
            "advice_kind": "Psychological advice",
            "summary": "Significant language needs.",
        },
        "EhcAdviceReceived",
        basis="third_party_report",
        needs=("ehc-request", "ehc-decision"),
    ),
    Route(
        "ehc-draft",
        "ehc/draft",
        {"draft_date": "2025-03-07"},
        "EhcDraftIssued",
        needs=("ehc-request", "ehc-decision"),
    ),
    Route(
        "ehc-final",
        "ehc/final",
        {"decision": "issue", "final_date": "2025-03-07"},
        "EhcPlanFinalised",
        needs=("ehc-request", "ehc-decision", "ehc-draft"),
    ),
    Route(
        "ehc-annual-reviews",
        "ehc/annual-reviews",
        {"review_date": "2025-03-07", "summary": "Plan continues."},
        "EhcAnnualReviewHeld",
        needs=("ehc-request", "ehc-decision", "ehc-draft", "ehc-final"),
    ),
    Route(
        "ehc-ceased",
        "ehc/ceased",
        {"cease_date": "2025-03-07", "reason": "no_longer_needed", "status_after": "K"},
        "EhcPlanCeased",
        needs=("ehc-request", "ehc-decision", "ehc-draft", "ehc-final"),
    ),
    Route(
        "corrections",
        "corrections",
        {"supersedes": 7, "statement": "It was the climbing frame, not the slide."},
        "RecordCorrected",
    ),
    Route(
        "mistakes",
        "mistakes",
        {"target_version": 7, "reason": "Entered on the wrong child's record."},
        "EntryMarkedMistaken",
    ),
    Route(
        "disputes",
        "disputes",
        {"target_version": 7, "person_id": "parent-1", "comment": "Not how she is at home."},
        "EntryDisputed",
        basis="parent_view",
    ),
    Route(
        "placement",
        "placement",
        {"room": "Butterflies", "key_person": "Sam Okafor"},
        "ChildPlaced",
    ),
    Route(
        "leaving",
        "leaving",
        {"destination": "Reception class", "reason": "Started school"},
        "ChildLeft",
    ),
    Route(
        "enrolments",
        "enrolments",
        {"setting_id": SETTING},
        "ChildEnrolled",
        needs=("leaving",),
    ),
    Route(
        "transfers",
        "transfers",
        {"to_setting": OTHER_SETTING},
        "ChildTransferred",
        reader="other-senco",
    ),
]
BY_NAME = {route.name: route for route in ROUTES}
OBSERVATION = BY_NAME["observations"].body
# The path parameter that follows each of these segments.
PATH_PARAMETERS = {
    "consents": "{consent_id}",
    "plans": "{plan_id}",
    "provisions": "{provision_id}",
    "reports": "{report_id}",
    "recommendations": "{recommendation_id}",
}


def template(path: str) -> str:
    """`plans/plan-1/revisions` -> `plans/{plan_id}/revisions`."""
    parts = path.split("/")
    return "/".join(
        PATH_PARAMETERS.get(parts[i - 1], part) if i else part for i, part in enumerate(parts)
    )


PARENT_MAY = {"parent-views", "disputes", "corrections"}

# What every prepared child has, in this order (the observation is version 7).
PREPARATION: list[tuple[str, dict[str, Any]]] = [
    (
        "people",
        {
            "person_id": "parent-1",
            "name": "Demo Parent",
            "relationship": "mother",
            "parental_responsibility": True,
        },
    ),
    (
        "consents",
        {
            "decision": "given",
            "consent_id": "salt",
            "purpose": "referral",
            "service": "Speech and language therapy",
            "person_id": "parent-1",
        },
    ),
    (
        "provisions",
        {
            "provision_id": "prov-1",
            "description": "Small-group language sessions",
            "area": "communication_language",
            "start_date": "2025-01-06",
            "group_size": 4,
            "session_minutes": 20,
            "sessions_per_week": 3,
            "weeks": 10,
            "staff_grade": "practitioner",
            "cost": "180.00",
            "funding_source": "core",
        },
    ),
    (
        "plans",
        {
            "plan_id": "plan-1",
            "start_date": "2025-01-06",
            "review_date": "2025-03-31",
            "outcomes": [OUTCOME],
            "provision_ids": ["prov-1"],
            "shared_with_parents": True,
        },
    ),
    (
        "reports",
        {
            "report_id": "salt-1",
            "author": "Demo Therapist",
            "author_role": "Speech and language therapist",
            "service": "Speech and language therapy",
            "report_date": "2025-02-03",
            "summary": "Receptive language around 18 months below age.",
            "recommendations": [
                {"recommendation_id": "r1", "text": "Visual timetable"},
                {"recommendation_id": "r2", "text": "Daily 1:1 vocabulary work"},
            ],
        },
    ),
    (
        "observations",
        {"area": "physical", "notes": "Went down the slide alone.", "observer": "Key person"},
    ),
]


# --- the app, its users and children built through the API ---------------------------------


@dataclass
class Api:
    """The running app, with a token per role in one setting and a SENCO of another."""

    app: FastAPI
    client: TestClient
    users: UserStore
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str | None) -> dict[str, str]:
        return {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}

    def register(self) -> Child:
        response = self.client.post(
            "/v1/children",
            headers=self.auth("senco"),
            json={
                "given_name": "Testy",
                "family_name": "Fictional",
                "date_of_birth": "2022-05-01",
                "occurred_at": "2024-09-02",
            },
        )
        assert response.status_code == 201, response.text
        return Child(self, str(response.json()["child_id"]))

    def prepared(self) -> Child:
        """A child with a parent, a referral consent, a provision, a plan, a report and an
        observation (version 7)."""
        child = self.register()
        for version, (path, body) in enumerate(PREPARATION, start=1):
            assert child.write(path, body, expected=version) == version + 1
        return child


@dataclass
class Child:
    api: Api
    child_id: str

    def url(self, path: str) -> str:
        return f"/v1/children/{self.child_id}/{path}"

    def version(self, who: str = "senco") -> int:
        response = self.api.client.get(f"/v1/children/{self.child_id}", headers=self.api.auth(who))
        assert response.status_code == 200, response.text
        return int(response.json()["version"])

    def events(self, who: str = "senco") -> list[dict[str, Any]]:
        response = self.api.client.get(self.url("events"), headers=self.api.auth(who))
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["events"]
        return found

    def post(
        self,
        path: str,
        body: dict[str, Any],
        *,
        who: str | None = "senco",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        response: httpx.Response = self.api.client.post(
            self.url(path), json=body, headers={**self.api.auth(who), **(headers or {})}
        )
        return response

    def write(
        self, path: str, body: dict[str, Any], *, who: str = "senco", expected: int | None = None
    ) -> int:
        """Post at the expected (by default the current) version; must succeed."""
        version = self.version() if expected is None else expected
        response = self.post(
            path, {"expected_version": version, "occurred_at": ON, **body}, who=who
        )
        assert response.status_code == 201, response.text
        return int(response.json()["version"])

    def parent(self) -> str:
        """A parent user of this child; returns the name of their token."""
        _, token = self.api.users.add(
            "Parent",
            role="parent",
            setting_id=SETTING,
            child_id=self.child_id,
            person_id="parent-1",
        )
        name = f"parent-{len(self.api.tokens)}"
        self.api.tokens[name] = token
        return name


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("records") / "data")
    ensure_keys(settings)
    app = create_app(settings)
    with TestClient(app) as client:
        users: UserStore = app.state.services.users
        found = Api(app, client, users)
        for role in (*STAFF, "inspector"):
            found.tokens[role] = users.add(f"Test {role}", role=role, setting_id=SETTING)[1]
        for role in ("senco", "inspector"):
            found.tokens[f"other-{role}"] = users.add(
                f"Other {role}", role=role, setting_id=OTHER_SETTING
            )[1]
        yield found


@pytest.fixture
def child(api: Api) -> Child:
    return api.prepared()


def record_writes(api: Api) -> dict[str, dict[str, Any]]:
    """The POST operations of the records routes in the OpenAPI document, by path."""
    paths: dict[str, dict[str, Any]] = api.client.get("/openapi.json").json()["paths"]
    prefix = "/v1/children/{child_id}/"
    return {
        path.removeprefix(prefix): operations["post"]
        for path, operations in paths.items()
        if path.startswith(prefix)
        and "post" in operations
        and "records" in operations["post"]["tags"]
    }


def with_needs(child: Child, route: Route) -> Child:
    for name in route.needs:
        need = BY_NAME[name]
        child.write(need.path, need.body)
    return child


def envelope(child: Child, **extra: Any) -> dict[str, Any]:
    return {"expected_version": child.version(), "occurred_at": ON, **extra}


def assert_unchanged(child: Child, version: int, count: int) -> None:
    assert child.version() == version
    assert len(child.events()) == count


# --- every route stores one event of its kind ----------------------------------------------


class TestEveryRoute:
    @pytest.mark.parametrize("role", STAFF)
    @pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
    def test_staff_record_each_kind(self, child: Child, route: Route, role: str) -> None:
        """Each kind, by each staff role the permission table lets write it (the others
        get 403 and nothing is stored)."""
        with_needs(child, route)
        before = child.version()
        action = record_writes(child.api)[template(route.path)]["x-permission"]

        response = child.post(route.path, envelope(child, **route.body), who=role)

        if not allows(role, action):
            assert response.status_code == 403, response.text
            assert child.version() == before
            return
        assert response.status_code == 201, response.text
        answer = response.json()
        recorded_at = answer.pop("recorded_at")
        assert answer == {
            "child_id": child.child_id,
            "version": before + 1,
            "kind": route.kind,
        }
        assert child.version(route.reader) == before + 1
        stored = child.events(route.reader)[-1]
        assert (stored["version"], stored["kind"]) == (before + 1, route.kind)
        # The answer's record time is the entry's: a client can ask known_at with it.
        assert datetime.fromisoformat(recorded_at) == datetime.fromisoformat(stored["recorded_at"])
        assert stored["event"]["recorded_by"]["role"] == role
        assert stored["event"]["basis"] == route.basis

    def test_the_table_covers_every_write_route(self, api: Api) -> None:
        writes = record_writes(api)
        assert len(writes) == 38
        assert {template(r.path) for r in ROUTES} == set(writes)

    @pytest.mark.parametrize(
        ("sent", "stored", "precision"),
        [
            ("2025-03-10", "2025-03-10T00:00:00+00:00", "day"),
            ("2025-03-10T09:30:00Z", "2025-03-10T09:30:00+00:00", "minute"),
            # Midnight with a zone is a moment, not a bare date of the wrong day.
            ("2025-03-10T00:00:00+05:00", "2025-03-09T19:00:00+00:00", "minute"),
        ],
    )
    def test_occurred_at_keeps_its_precision(
        self, child: Child, sent: str, stored: str, precision: str
    ) -> None:
        body = envelope(child, **OBSERVATION) | {"occurred_at": sent}

        assert child.post("observations", body).status_code == 201

        event = child.events()[-1]["event"]
        assert (event["occurred_at"], event["precision"]) == (stored, precision)

    def test_envelope_is_stored_as_sent(self, child: Child) -> None:
        pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n%%EOF\n"
        uploaded = child.api.client.post(
            child.url("documents"),
            files={"file": ("note.pdf", pdf, "application/pdf")},
            headers=child.api.auth("senco"),
        )
        assert uploaded.status_code == 201, uploaded.text
        digest = uploaded.json()["sha256"]
        body = envelope(
            child,
            occurred_at="2025-03-10T09:30:00+01:00",
            basis="professional_opinion",
            sensitivity="restricted",
            attachments=[digest],
            **BY_NAME["observations"].body,
        )
        assert child.post("observations", body).status_code == 201
        stored = child.events()[-1]["event"]
        assert stored["occurred_at"] == "2025-03-10T08:30:00+00:00"
        assert stored["precision"] == "minute"
        assert (stored["basis"], stored["sensitivity"]) == ("professional_opinion", "restricted")
        assert stored["attachments"] == [
            {
                "sha256": digest,
                "name": "note.pdf",
                "media_type": "application/pdf",
                "size": len(pdf),
            }
        ]


# --- refusals: 422 naming the field, nothing stored, nothing echoed ------------------------


def _future_day() -> str:
    return (datetime.now(tz=UTC).date() + timedelta(days=365)).isoformat()


def _future_minute() -> str:
    return (datetime.now(tz=UTC) + timedelta(hours=1)).isoformat(timespec="seconds")


# (case, path, body changes, field named, the offending text that must not come back)
INVALID: list[tuple[str, str, dict[str, Any], str, str]] = [
    ("unknown field", "observations", {"zz_unknown": MARKER}, "body", "zz_unknown"),
    ("unknown field named like personal data", "observations", {MARKER: 1}, "body", MARKER),
    ("over-long text", "observations", {"notes": MARKER * 600}, "notes", MARKER),
    ("NUL in text", "observations", {"notes": f"{MARKER}\x00tail"}, "notes", MARKER),
    ("bidi override", "observations", {"observer": f"\u202e{MARKER}"}, "observer", MARKER),
    ("bidi isolate", "observations", {"notes": f"{MARKER}\u2067x\u2069"}, "notes", MARKER),
    ("C1 control", "observations", {"notes": f"{MARKER}\x85"}, "notes", MARKER),
    ("over-long short text", "observations", {"observer": MARKER * 11}, "observer", MARKER),
    ("bad enum", "observations", {"area": MARKER}, "area", MARKER),
    ("bad basis", "observations", {"basis": MARKER}, "basis", MARKER),
    ("bad sensitivity", "observations", {"sensitivity": MARKER}, "sensitivity", MARKER),
    ("attachment not a digest", "observations", {"attachments": [MARKER]}, "attachments.0", MARKER),
    ("future date", "observations", {"occurred_at": "FUTURE_DAY"}, "occurred_at", "FUTURE_DAY"),
    ("future time", "observations", {"occurred_at": "FUTURE_MIN"}, "occurred_at", "FUTURE_MIN"),
    (
        "naive datetime",
        "observations",
        {"occurred_at": "2025-03-10T09:31:17"},
        "occurred_at",
        "09:31:17",
    ),
    ("not a date", "observations", {"occurred_at": MARKER}, "occurred_at", MARKER),
    ("number as date", "observations", {"occurred_at": 1741600000}, "occurred_at", "1741600000"),
    (
        "time out of range",
        "observations",
        {"occurred_at": "0001-01-01T00:00:00+05:00"},
        "occurred_at",
        "0001-01-01",
    ),
    ("version zero", "observations", {"expected_version": 0}, "expected_version", MARKER),
    ("version as bool", "observations", {"expected_version": True}, "expected_version", MARKER),
    (
        "version as text",
        "observations",
        {"expected_version": MARKER},
        "expected_version",
        MARKER,
    ),
    (
        "number as a date field",
        "attendance",
        {**BY_NAME["attendance"].body, "period_start": 1741564800},
        "period_start",
        "1741564800",
    ),
    (
        "nested enum",
        "plans",
        {**BY_NAME["plans"].body, "outcomes": [{**OUTCOME, "area": MARKER}]},
        "outcomes.0.area",
        MARKER,
    ),
    (
        "nested unknown field",
        "reviews",
        {
            **BY_NAME["reviews"].body,
            "outcome_progress": [{"outcome_id": "o1", "progress": "met", "zz": MARKER}],
        },
        "outcome_progress.0",
        "zz",
    ),
    (
        "delivered session without minutes",
        "sessions",
        {**BY_NAME["sessions-delivered"].body, "minutes": None, "notes": MARKER},
        "minutes",
        MARKER,
    ),
    (
        "missed session with minutes",
        "sessions",
        {**BY_NAME["sessions-missed"].body, "minutes": 20, "reason": MARKER},
        "minutes",
        MARKER,
    ),
    (
        "domain rule on a valid shape",
        "tracking",
        {**BY_NAME["tracking"].body, "months_low": 30, "months_high": 20, "band": MARKER},
        "months_high",
        MARKER,
    ),
    (
        "bad cost",
        "provisions",
        {**BY_NAME["provisions"].body, "cost": "12.345", "description": MARKER},
        "cost",
        MARKER,
    ),
]


def _concrete(value: Any) -> Any:
    if value == "FUTURE_DAY":
        return _future_day()
    if value == "FUTURE_MIN":
        return _future_minute()
    return value


class TestInvalidInput:
    @pytest.mark.parametrize(
        ("path", "changes", "field_name", "secret"),
        [case[1:] for case in INVALID],
        ids=[case[0] for case in INVALID],
    )
    def test_refused_naming_the_field_and_nothing_stored(
        self, child: Child, path: str, changes: dict[str, Any], field_name: str, secret: str
    ) -> None:
        version, count = child.version(), len(child.events())
        base = OBSERVATION if path == "observations" else {}
        body = envelope(child, **base) | {k: _concrete(v) for k, v in changes.items()}
        secret = _concrete(secret)

        response = child.post(path, body)

        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["field"] == field_name
        assert secret not in response.text
        assert_unchanged(child, version, count)

    def test_missing_expected_version_is_named(self, child: Child) -> None:
        version, count = child.version(), len(child.events())
        body = {"occurred_at": ON, **OBSERVATION, "notes": MARKER}

        response = child.post("observations", body)

        assert response.status_code == 422
        assert response.json()["field"] == "expected_version"
        assert "required" in response.json()["detail"]
        assert MARKER not in response.text
        assert_unchanged(child, version, count)

    def test_a_date_a_year_ahead_is_refused_by_the_domain(self, child: Child) -> None:
        version, count = child.version(), len(child.events())
        day = _future_day()

        response = child.post("observations", envelope(child, **OBSERVATION, occurred_at=day))

        assert response.status_code == 422
        assert response.json()["field"] == "occurred_at"
        assert response.json()["type"].endswith("/future_date")
        assert_unchanged(child, version, count)

    def test_invariants_still_give_409_naming_the_request_field(self, child: Child) -> None:
        version, count = child.version(), len(child.events())
        body = envelope(child, **BY_NAME["consents-given"].body) | {"person_id": "nobody"}

        response = child.post("consents", body)

        assert response.status_code == 409
        assert response.json()["field"] == "person_id"
        assert "given_by" not in response.text
        assert_unchanged(child, version, count)


# --- expected version: body or If-Match -------------------------------------------------------


class TestExpectedVersion:
    def test_stale_version_is_409_and_nothing_stored(self, child: Child) -> None:
        version, count = child.version(), len(child.events())

        response = child.post(
            "observations", envelope(child, **OBSERVATION) | {"expected_version": version - 1}
        )

        assert response.status_code == 409
        assert response.json()["field"] == "expected_version"
        assert response.json()["current_version"] == version
        assert_unchanged(child, version, count)

    @pytest.mark.parametrize("header", ['"{v}"', "{v}", ' "{v}" '])
    def test_if_match_gives_the_version(self, child: Child, header: str) -> None:
        version = child.version()
        body = {"occurred_at": ON, **OBSERVATION}

        response = child.post("observations", body, headers={"If-Match": header.format(v=version)})

        assert response.status_code == 201, response.text
        assert response.json()["version"] == version + 1

    def test_stale_if_match_is_409(self, child: Child) -> None:
        version, count = child.version(), len(child.events())
        body = {"occurred_at": ON, **OBSERVATION}

        response = child.post("observations", body, headers={"If-Match": f'"{version - 1}"'})

        assert response.status_code == 409
        assert_unchanged(child, version, count)

    def test_body_and_if_match_agreeing_is_fine(self, child: Child) -> None:
        version = child.version()
        body = envelope(child, **OBSERVATION)

        response = child.post("observations", body, headers={"If-Match": str(version)})

        assert response.status_code == 201

    def test_body_and_if_match_disagreeing_is_422(self, child: Child) -> None:
        version, count = child.version(), len(child.events())

        response = child.post(
            "observations",
            envelope(child, **OBSERVATION),
            headers={"If-Match": str(version + 1)},
        )

        assert response.status_code == 422
        assert response.json()["field"] == "expected_version"
        assert_unchanged(child, version, count)

    @pytest.mark.parametrize("header", ["*", 'W/"3"', "three", "0", '"7'])
    def test_unusable_if_match_is_422(self, child: Child, header: str) -> None:
        version, count = child.version(), len(child.events())

        response = child.post(
            "observations", {"occurred_at": ON, **OBSERVATION}, headers={"If-Match": header}
        )

        assert response.status_code == 422
        assert response.json()["field"] == "If-Match"
        assert_unchanged(child, version, count)


# --- who may write -----------------------------------------------------------------------


class TestRoles:
    @pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
    def test_everyone_else_is_refused_and_nothing_stored(self, api: Api, route: Route) -> None:
        child = with_needs(api.prepared(), route)
        others_child = api.register()
        own_parent, other_parent = child.parent(), others_child.parent()
        version, count = child.version(), len(child.events())
        body = envelope(child, **route.body)
        expected: dict[str | None, int] = {
            None: 401,
            "inspector": 404,  # of the setting, but nothing shared with them: unknown
            "other-senco": 404,
            "other-inspector": 404,
            other_parent: 404,
        }
        if route.name not in PARENT_MAY:
            expected[own_parent] = 403

        got = {who: child.post(route.path, body, who=who).status_code for who in expected}

        assert got == expected
        assert_unchanged(child, version, count)

    def test_outsiders_see_exactly_what_an_unknown_child_gives(self, child: Child) -> None:
        body = envelope(child, **OBSERVATION)
        hidden = child.post("observations", body, who="other-senco")
        unknown = child.api.client.post(
            f"/v1/children/{uuid4()}/observations", json=body, headers=child.api.auth("senco")
        )
        assert hidden.status_code == unknown.status_code == 404
        assert hidden.json() == unknown.json()

    def test_parent_records_their_view_in_their_own_words(self, child: Child) -> None:
        parent = child.parent()
        body = envelope(child, **BY_NAME["parent-views"].body)

        response = child.post("parent-views", body, who=parent)

        assert response.status_code == 201, response.text
        stored = child.events()[-1]["event"]
        assert (stored["recorded_by"]["role"], stored["basis"]) == ("parent", "parent_view")

    def test_parent_view_must_name_a_linked_person(self, child: Child) -> None:
        parent = child.parent()
        version, count = child.version(), len(child.events())
        body = envelope(child, person_id="stranger", view="Hello")

        response = child.post("parent-views", body, who="senco")

        assert response.status_code == 409
        assert response.json()["field"] == "person_id"
        # A parent writes only as the person their account is bound to (issue 14.9).
        assert child.post("parent-views", body, who=parent).status_code == 403
        assert_unchanged(child, version, count)

    def test_parent_cannot_claim_another_basis(self, child: Child) -> None:
        parent = child.parent()
        version, count = child.version(), len(child.events())
        body = envelope(child, **BY_NAME["parent-views"].body, basis="fact")

        response = child.post("parent-views", body, who=parent)

        assert response.status_code == 422
        assert response.json()["field"] == "basis"
        assert_unchanged(child, version, count)

    def test_parent_disputes_a_staff_entry(self, child: Child) -> None:
        parent = child.parent()

        response = child.post("disputes", envelope(child, **BY_NAME["disputes"].body), who=parent)

        assert response.status_code == 201, response.text
        assert child.events()[-1]["event"]["target_version"] == 7

    def test_parent_corrects_their_own_entry(self, child: Child) -> None:
        parent = child.parent()
        own = child.write("parent-views", BY_NAME["parent-views"].body, who=parent)
        body = envelope(child, supersedes=own, statement="I meant at weekends.")

        response = child.post("corrections", body, who=parent)

        assert response.status_code == 201, response.text
        assert child.events()[-1]["event"]["supersedes"] == own

    def test_parent_cannot_correct_a_staff_entry(self, child: Child) -> None:
        parent = child.parent()
        version, count = child.version(), len(child.events())

        response = child.post(
            "corrections", envelope(child, **BY_NAME["corrections"].body), who=parent
        )

        assert response.status_code == 403
        assert_unchanged(child, version, count)

    def test_parent_cannot_correct_another_parents_entry(self, child: Child) -> None:
        first, second = child.parent(), child.parent()
        theirs = child.write("parent-views", BY_NAME["parent-views"].body, who=first)
        version, count = child.version(), len(child.events())
        body = envelope(child, supersedes=theirs, statement="Not what I said.")

        response = child.post("corrections", body, who=second)

        assert response.status_code == 403
        assert_unchanged(child, version, count)

    def test_staff_cannot_correct_a_parents_words(self, child: Child) -> None:
        parent = child.parent()
        theirs = child.write("parent-views", BY_NAME["parent-views"].body, who=parent)
        version, count = child.version(), len(child.events())
        body = envelope(child, supersedes=theirs, statement="Tidied up.")

        response = child.post("corrections", body, who="senco")

        assert response.status_code == 409
        assert response.json()["field"] == "supersedes"
        assert_unchanged(child, version, count)


# --- OpenAPI ---------------------------------------------------------------------------------


class TestOpenApi:
    def test_every_write_has_a_body_schema_with_valid_examples(self, api: Api) -> None:
        components = api.client.get("/openapi.json").json()["components"]["schemas"]
        for operation in record_writes(api).values():
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            name = ref.rsplit("/", 1)[-1]
            examples = components[name]["examples"]
            assert examples, name
            for example in examples:
                getattr(schemas, name).model_validate(example)
            assert {"201", "401", "403", "404", "409", "422"} <= set(operation["responses"])

    def test_vocabularies_show_as_enums(self, api: Api) -> None:
        components = api.client.get("/openapi.json").json()["components"]["schemas"]
        observation = components["ObservationIn"]["properties"]
        assert observation["area"]["enum"] == list(AREAS)
        assert observation["basis"]["enum"] == list(BASES)
        assert components["ParentViewIn"]["properties"]["basis"]["default"] == "parent_view"
