"""Every invariant the domain enforces, as examples: accepted, refused, and nothing stored.

Each rule gets three things: a case that is accepted and stores exactly one event of the
expected kind; the refused case, which raises the exact error class (naming the field where
the code names one); and proof that the refusal stored nothing (history length and stored
version unchanged). Everything runs on eventsourcing's in-memory store with the tests'
fixed clock (2026-11-24 12:00 UTC, see tests/factories.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar
from uuid import UUID, uuid4

import pytest

from domain import events as ev
from domain.application import ChildRecords
from domain.envelope import RecordedBy
from domain.errors import (
    BeforeBirth,
    ChildExists,
    ChildNotFound,
    ConsentRequired,
    DomainError,
    EhcStepOutOfOrder,
    FutureDate,
    InvalidValue,
    ParentViewProtected,
    PlanInvalid,
    ProvisionClosed,
    RecordClosed,
    StatusAgainstPlan,
    UnknownReference,
    VersionConflict,
)
from domain.rules import LONG, SHORT
from tests.factories import (
    NOW,
    PARENT,
    PRACTITIONER,
    SENCO,
    SETTING,
    TODAY,
    ChildBuilder,
    on,
    outcome,
    register,
    with_parent,
    with_plan,
    with_provision,
)

P = ParamSpec("P")
E = TypeVar("E", bound=DomainError)

BORN = date(2023, 3, 1)  # the factories' default date of birth
START = date(2025, 1, 6)  # the factories' provision and plan start
DAY = date(2025, 2, 3)  # an ordinary day after START
REVIEW_DAY = date(2025, 3, 17)
LEFT_ON = date(2025, 7, 18)
AFTER_LEFT = date(2025, 9, 1)


# --- helpers ---------------------------------------------------------------------------


def assert_refused(
    app: ChildRecords,
    child: ChildBuilder,
    error_class: type[E],
    command: Callable[P, object],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> E:
    """Run `command`, expect exactly `error_class`, and prove nothing was stored."""
    length_before = len(app.history(child.child_id))
    version_before = app.get_child(child.child_id).version
    with pytest.raises(error_class) as caught:
        command(*args, **kwargs)
    assert type(caught.value) is error_class, f"got {type(caught.value).__name__}"
    assert len(app.history(child.child_id)) == length_before
    assert app.get_child(child.child_id).version == version_before
    return caught.value


def assert_accepted(
    child: ChildBuilder,
    kind: type[ev.ChildEvent],
    command: str,
    day: date | datetime,
    by: RecordedBy = SENCO,
    /,
    **payload: Any,
) -> ev.ChildEvent:
    """Run `command` through the builder; exactly one event of `kind` is stored at the end."""
    length_before = len(child.app.history(child.child_id))
    version = child.do(command, day, by, **payload)
    history = child.app.history(child.child_id)
    assert version == length_before + 1 == len(history)
    assert child.app.get_child(child.child_id).version == version
    assert type(history[-1]) is kind
    return history[-1]


def observation(notes: str = "Points to the cup when asked") -> dict[str, Any]:
    return {"area": "communication_language", "notes": notes, "observer": "Key person"}


def report(report_id: str = "rep-1") -> dict[str, Any]:
    return {
        "report_id": report_id,
        "author": "A Therapist",
        "author_role": "Speech and language therapist",
        "service": "SALT",
        "report_date": DAY,
        "summary": "Receptive language below age band.",
        "recommendations": [{"recommendation_id": "r1", "text": "Use visual timetable"}],
    }


def provision(provision_id: str = "prov-2", **overrides: Any) -> dict[str, Any]:
    return {
        "provision_id": provision_id,
        "description": "Attention autism group",
        "area": "communication_language",
        "start_date": START,
        "group_size": 4,
        "session_minutes": 20,
        "sessions_per_week": 3,
        "weeks": 10,
        "staff_grade": "practitioner",
        "cost": "180.00",
        "funding_source": "core",
        **overrides,
    }


def review(**overrides: Any) -> dict[str, Any]:
    return {
        "plan_id": "plan-1",
        "outcome_progress": [{"outcome_id": "o1", "progress": "partly_met"}],
        "provision_impact": [{"provision_id": "prov-1", "impact": "some"}],
        "reflection": "Delivered as planned.",
        "decision": "continue",
        "next_review_date": date(2025, 6, 2),
        "attendees": ["SENCO", "Parent"],
        **overrides,
    }


def consent(consent_id: str = "c-1", purpose: str = "referral") -> dict[str, Any]:
    return {"consent_id": consent_id, "purpose": purpose, "service": "SALT", "given_by": "parent-1"}


def referral(consent_id: str = "c-1") -> dict[str, Any]:
    return {
        "referral_id": "ref-1",
        "service": "SALT",
        "reason": "Speech delay",
        "consent_id": consent_id,
    }


def discussion(**overrides: Any) -> dict[str, Any]:
    return {
        "participants": ["Key person", "SENCO"],
        "outcome": "agreed_concern_monitor",
        "hypothesis": "Receptive language delay",
        "evidence_needed": "Four weeks of observations",
        "actions": ["Talk with parents"],
        **overrides,
    }


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture
def child(memory_records: ChildRecords) -> ChildBuilder:
    """A registered child (version 1) with a linked parent 'parent-1' (version 2)."""
    return with_parent(register(memory_records))


def agreed_for(child: ChildBuilder, command: str) -> None:
    """Contacting a professional needs the parents' agreement first (CoP 6.47)."""
    if command == "record_contact":
        child.do(
            "give_consent",
            DAY,
            PARENT,
            consent_id="contact",
            purpose="contact_professional",
            service="",
            given_by="parent-1",
        )


@pytest.fixture
def planned(child: ChildBuilder) -> ChildBuilder:
    """The child with provision 'prov-1' and plan 'plan-1' (outcome 'o1'), both from START."""
    return with_plan(with_provision(child))


@pytest.fixture
def left(child: ChildBuilder) -> ChildBuilder:
    """The child after they left the setting."""
    child.do("leave", LEFT_ON, destination="Reception class", reason="Started school")
    return child


# --- the helpers themselves can fail -----------------------------------------------------


def test_given_an_accepted_command_when_checked_as_refused_then_the_helper_fails(
    child: ChildBuilder,
) -> None:
    with pytest.raises(pytest.fail.Exception):
        assert_refused(
            child.app,
            child,
            InvalidValue,
            child.app.record_observation,
            child.child_id,
            on(DAY),
            **observation(),
        )


def test_given_a_subclass_error_when_checked_against_its_parent_then_the_helper_fails(
    child: ChildBuilder,
) -> None:
    tomorrow = TODAY + timedelta(days=1)
    with pytest.raises(AssertionError, match="FutureDate"):
        assert_refused(
            child.app,
            child,
            InvalidValue,
            child.app.record_observation,
            child.child_id,
            on(tomorrow),
            **observation(),
        )


# --- registration: who, and that the child exists --------------------------------------


@pytest.mark.parametrize(
    ("command", "payload"),
    [
        pytest.param("record_observation", observation(), id="observation"),
        pytest.param("leave", {"destination": "", "reason": ""}, id="leave"),
        pytest.param("correct", {"supersedes": 1, "statement": "Wrong"}, id="correct"),
        pytest.param("place_legal_hold", {"reason": "Claim"}, id="legal-hold"),
        pytest.param("enrol", {"setting_id": SETTING}, id="enrol"),
    ],
)
def test_given_an_unregistered_child_when_a_command_runs_then_child_not_found_and_nothing_stored(
    child: ChildBuilder, command: str, payload: dict[str, Any]
) -> None:
    app = child.app
    unknown = uuid4()
    with pytest.raises(ChildNotFound) as caught:
        getattr(app, command)(unknown, on(DAY), **payload)
    assert caught.value.field == "child_id"
    with pytest.raises(ChildNotFound):
        app.history(unknown)
    with pytest.raises(ChildNotFound):
        app.get_child(unknown)
    assert list(app.child_ids()) == [child.child_id]
    assert len(app.history(child.child_id)) == 2


def test_given_a_registration_when_accepted_then_the_record_starts_at_version_one(
    memory_records: ChildRecords,
) -> None:
    child_id = memory_records.register_child(
        on(date(2024, 9, 2)),
        given_name=" Ada ",
        family_name="Example",
        date_of_birth=BORN,
        setting_id=SETTING,
    )
    history = memory_records.history(child_id)
    assert memory_records.get_child(child_id).version == 1
    assert len(history) == 1
    assert isinstance(history[0], ev.ChildRegistered)
    assert memory_records.get_child(child_id).given_name == "Ada"


def test_given_a_registration_dated_before_birth_when_registered_then_before_birth(
    memory_records: ChildRecords,
) -> None:
    with pytest.raises(BeforeBirth) as caught:
        memory_records.register_child(
            on(date(2023, 2, 28)),
            given_name="Ada",
            family_name="Example",
            date_of_birth=BORN,
            setting_id=SETTING,
        )
    assert caught.value.field == "occurred_at"
    assert list(memory_records.child_ids()) == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"given_name": " "}, "given_name", id="empty-given-name"),
        pytest.param({"family_name": "x" * (SHORT + 1)}, "family_name", id="long-family-name"),
        pytest.param({"setting_id": "no spaces allowed"}, "setting_id", id="bad-setting-id"),
    ],
)
def test_given_bad_registration_values_when_registered_then_invalid_value_and_nothing_stored(
    memory_records: ChildRecords, overrides: dict[str, Any], field: str
) -> None:
    values: dict[str, Any] = {
        "given_name": "Ada",
        "family_name": "Example",
        "date_of_birth": BORN,
        "setting_id": SETTING,
        **overrides,
    }
    with pytest.raises(InvalidValue) as caught:
        memory_records.register_child(on(date(2024, 9, 2)), **values)
    assert type(caught.value) is InvalidValue
    assert caught.value.field == field
    assert list(memory_records.child_ids()) == []


# --- a child who left --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "by", "payload", "kind"),
    [
        pytest.param(
            "correct",
            SENCO,
            {"supersedes": 2, "statement": "Relationship is aunt"},
            ev.RecordCorrected,
            id="correction",
        ),
        pytest.param(
            "mark_mistaken",
            SENCO,
            {"target_version": 2, "reason": "Wrong child"},
            ev.EntryMarkedMistaken,
            id="mark-mistaken",
        ),
        pytest.param(
            "dispute",
            PARENT,
            {"target_version": 2, "person_id": "parent-1", "comment": "Not so"},
            ev.EntryDisputed,
            id="dispute",
        ),
        pytest.param(
            "record_parent_view",
            PARENT,
            {"person_id": "parent-1", "view": "She loved it there"},
            ev.ParentViewRecorded,
            id="parent-view",
        ),
        pytest.param(
            "enrol", SENCO, {"setting_id": "new-setting"}, ev.ChildEnrolled, id="re-enrol"
        ),
        pytest.param("receive_report", SENCO, report(), ev.ReportReceived, id="late-report"),
        pytest.param(
            "place_legal_hold",
            SENCO,
            {"reason": "Claim notified"},
            ev.LegalHoldPlaced,
            id="legal-hold",
        ),
    ],
)
def test_given_a_child_who_left_when_an_allowed_entry_is_recorded_then_it_is_stored(
    left: ChildBuilder,
    command: str,
    by: RecordedBy,
    payload: dict[str, Any],
    kind: type[ev.ChildEvent],
) -> None:
    assert_accepted(left, kind, command, AFTER_LEFT, by, **payload)


@pytest.mark.parametrize(
    ("command", "payload"),
    [
        pytest.param("record_observation", observation(), id="observation"),
        pytest.param("leave", {"destination": "", "reason": ""}, id="leave-again"),
        pytest.param("transfer", {"to_setting": "other-setting"}, id="transfer"),
        pytest.param("give_consent", consent(), id="consent"),
        pytest.param("start_provision", provision(), id="provision"),
        pytest.param(
            "submit_ehc_request",
            {"request_date": AFTER_LEFT, "local_authority": "LA", "reason": "Needs"},
            id="ehc-request",
        ),
    ],
)
def test_given_a_child_who_left_when_new_work_is_recorded_then_record_closed(
    left: ChildBuilder, command: str, payload: dict[str, Any]
) -> None:
    app = left.app
    assert_refused(
        app, left, RecordClosed, getattr(app, command), left.child_id, on(AFTER_LEFT), **payload
    )


def test_given_a_child_who_left_and_re_enrolled_when_observed_then_stored(
    left: ChildBuilder,
) -> None:
    left.do("enrol", AFTER_LEFT, setting_id="new-setting")
    assert_accepted(left, ev.ObservationRecorded, "record_observation", AFTER_LEFT, **observation())
    assert left.app.get_child(left.child_id).setting_id == "new-setting"


def test_given_an_enrolled_child_when_enrolled_again_then_record_closed(
    child: ChildBuilder,
) -> None:
    assert_refused(
        child.app,
        child,
        RecordClosed,
        child.app.enrol,
        child.child_id,
        on(DAY),
        setting_id="other-setting",
    )


def test_given_a_child_when_transferred_to_their_current_setting_then_invalid_value(
    child: ChildBuilder,
) -> None:
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        child.app.transfer,
        child.child_id,
        on(DAY),
        to_setting=SETTING,
    )
    assert err.field == "to_setting"
    assert_accepted(child, ev.ChildTransferred, "transfer", DAY, to_setting="other-setting")


# --- support plans -----------------------------------------------------------------------


def test_given_outcomes_and_a_later_review_date_when_plan_issued_then_stored(
    child: ChildBuilder,
) -> None:
    event = assert_accepted(
        child,
        ev.SupportPlanIssued,
        "issue_plan",
        START,
        plan_id="plan-1",
        start_date=START,
        review_date=START + timedelta(days=1),
        outcomes=[outcome(target=START)],
        provision_ids=[],
        shared_with_parents=True,
    )
    assert isinstance(event, ev.SupportPlanIssued)
    assert event.outcomes[0]["target_date"] == START


def test_given_no_outcomes_when_plan_issued_then_plan_invalid(child: ChildBuilder) -> None:
    err = assert_refused(
        child.app,
        child,
        PlanInvalid,
        child.app.issue_plan,
        child.child_id,
        on(START),
        plan_id="plan-1",
        start_date=START,
        review_date=date(2025, 3, 17),
        outcomes=[],
        provision_ids=[],
        shared_with_parents=True,
    )
    assert err.field == "outcomes"


@pytest.mark.parametrize(
    "review_date",
    [pytest.param(START, id="same-day"), pytest.param(START - timedelta(days=1), id="before")],
)
def test_given_a_review_date_not_after_start_when_plan_issued_then_plan_invalid(
    child: ChildBuilder, review_date: date
) -> None:
    err = assert_refused(
        child.app,
        child,
        PlanInvalid,
        child.app.issue_plan,
        child.child_id,
        on(START),
        plan_id="plan-1",
        start_date=START,
        review_date=review_date,
        outcomes=[outcome()],
        provision_ids=[],
        shared_with_parents=True,
    )
    assert err.field == "review_date"


def test_given_an_outcome_target_before_the_start_when_plan_issued_then_invalid_value(
    child: ChildBuilder,
) -> None:
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        child.app.issue_plan,
        child.child_id,
        on(START),
        plan_id="plan-1",
        start_date=START,
        review_date=date(2025, 3, 17),
        outcomes=[outcome("o1"), outcome("o2", target=START - timedelta(days=1))],
        provision_ids=[],
        shared_with_parents=True,
    )
    assert err.field == "outcomes[1].target_date"


@pytest.mark.parametrize(
    ("outcomes", "field"),
    [
        pytest.param(
            [{**outcome(), "target_date": "2025-03-31"}],
            "outcomes[0].target_date",
            id="target-not-a-date",
        ),
        pytest.param([outcome("o1"), outcome("o1")], "outcomes", id="duplicate-outcome-ids"),
        pytest.param(
            [{**outcome(), "description": " "}], "outcomes[0].description", id="empty-description"
        ),
        pytest.param([{**outcome(), "area": "juggling"}], "outcomes[0].area", id="bad-area"),
        pytest.param(
            [{**outcome(), "outcome_id": "o 1"}], "outcomes[0].outcome_id", id="bad-outcome-id"
        ),
    ],
)
def test_given_a_bad_outcome_when_plan_issued_then_invalid_value_naming_it(
    child: ChildBuilder, outcomes: list[dict[str, Any]], field: str
) -> None:
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        child.app.issue_plan,
        child.child_id,
        on(START),
        plan_id="plan-1",
        start_date=START,
        review_date=date(2025, 3, 17),
        outcomes=outcomes,
        provision_ids=[],
        shared_with_parents=True,
    )
    assert err.field == field


def test_given_an_unknown_provision_when_plan_issued_then_unknown_reference(
    child: ChildBuilder,
) -> None:
    err = assert_refused(
        child.app,
        child,
        UnknownReference,
        child.app.issue_plan,
        child.child_id,
        on(START),
        plan_id="plan-1",
        start_date=START,
        review_date=date(2025, 3, 17),
        outcomes=[outcome()],
        provision_ids=["prov-404"],
        shared_with_parents=True,
    )
    assert err.field == "provision_ids"


def test_given_a_plan_when_revised_with_a_later_review_then_stored(planned: ChildBuilder) -> None:
    assert_accepted(
        planned,
        ev.SupportPlanRevised,
        "revise_plan",
        DAY,
        plan_id="plan-1",
        review_date=date(2025, 4, 7),
        outcomes=[outcome("o2")],
        provision_ids=["prov-1"],
        reason="Outcome met early",
    )
    assert planned.app.get_child(planned.child_id).plans["plan-1"]["outcome_ids"] == ["o2"]


def test_given_an_unknown_plan_when_revised_then_unknown_reference(planned: ChildBuilder) -> None:
    err = assert_refused(
        planned.app,
        planned,
        UnknownReference,
        planned.app.revise_plan,
        planned.child_id,
        on(DAY),
        plan_id="plan-404",
        review_date=date(2025, 4, 7),
        outcomes=[outcome()],
        provision_ids=[],
        reason="Typo",
    )
    assert err.field == "plan_id"


@pytest.mark.parametrize(
    ("review_date", "outcomes", "field"),
    [
        pytest.param(START, [outcome()], "review_date", id="review-not-after-start"),
        pytest.param(date(2025, 4, 7), [], "outcomes", id="no-outcomes"),
    ],
)
def test_given_a_plan_when_revised_badly_then_plan_invalid(
    planned: ChildBuilder, review_date: date, outcomes: list[dict[str, Any]], field: str
) -> None:
    err = assert_refused(
        planned.app,
        planned,
        PlanInvalid,
        planned.app.revise_plan,
        planned.child_id,
        on(DAY),
        plan_id="plan-1",
        review_date=review_date,
        outcomes=outcomes,
        provision_ids=[],
        reason="Revision",
    )
    assert err.field == field


def test_given_a_revision_with_a_target_before_the_plan_start_then_invalid_value(
    planned: ChildBuilder,
) -> None:
    err = assert_refused(
        planned.app,
        planned,
        InvalidValue,
        planned.app.revise_plan,
        planned.child_id,
        on(DAY),
        plan_id="plan-1",
        review_date=date(2025, 4, 7),
        outcomes=[outcome(target=START - timedelta(days=1))],
        provision_ids=[],
        reason="R",
    )
    assert err.field == "outcomes[0].target_date"


# --- consent and referrals -----------------------------------------------------------------


def test_given_a_live_referral_consent_when_referred_then_stored(child: ChildBuilder) -> None:
    child.do("give_consent", DAY, PARENT, **consent())
    event = assert_accepted(child, ev.ReferralMade, "make_referral", DAY, **referral())
    assert isinstance(event, ev.ReferralMade)
    assert event.consent_id == "c-1"


def test_given_no_consent_when_referred_then_consent_required(child: ChildBuilder) -> None:
    err = assert_refused(
        child.app,
        child,
        ConsentRequired,
        child.app.make_referral,
        child.child_id,
        on(DAY),
        **referral("c-404"),
    )
    assert err.field == "consent_id"


def test_given_a_refused_consent_when_referred_then_consent_required(child: ChildBuilder) -> None:
    child.do(
        "refuse_consent",
        DAY,
        PARENT,
        consent_id="c-1",
        purpose="referral",
        service="SALT",
        refused_by="parent-1",
    )
    err = assert_refused(
        child.app,
        child,
        ConsentRequired,
        child.app.make_referral,
        child.child_id,
        on(DAY),
        **referral(),
    )
    assert err.field == "consent_id"


def test_given_a_withdrawn_consent_when_referred_then_consent_required(
    child: ChildBuilder,
) -> None:
    child.do("give_consent", DAY, PARENT, **consent())
    child.do("withdraw_consent", DAY, PARENT, consent_id="c-1", withdrawn_by="parent-1")
    err = assert_refused(
        child.app,
        child,
        ConsentRequired,
        child.app.make_referral,
        child.child_id,
        on(DAY),
        **referral(),
    )
    assert err.field == "consent_id"


def test_given_consent_for_another_purpose_when_referred_then_consent_required(
    child: ChildBuilder,
) -> None:
    child.do("give_consent", DAY, PARENT, **consent(purpose="share_with_la"))
    err = assert_refused(
        child.app,
        child,
        ConsentRequired,
        child.app.make_referral,
        child.child_id,
        on(DAY),
        **referral(),
    )
    assert err.field == "consent_id"


def test_given_consent_to_refer_to_another_service_when_referred_then_consent_required(
    child: ChildBuilder,
) -> None:
    child.do("give_consent", DAY, PARENT, **consent())  # for SALT
    err = assert_refused(
        child.app,
        child,
        ConsentRequired,
        child.app.make_referral,
        child.child_id,
        on(DAY),
        referral_id="ref-1",
        service="CAMHS",
        reason="Anxiety",
        consent_id="c-1",
    )
    assert err.field == "service"


def test_given_consent_naming_the_service_in_other_case_when_referred_then_stored(
    child: ChildBuilder,
) -> None:
    child.do("give_consent", DAY, PARENT, **consent())  # for "SALT"
    event = assert_accepted(
        child, ev.ReferralMade, "make_referral", DAY, **{**referral(), "service": " salt "}
    )
    assert isinstance(event, ev.ReferralMade)
    assert event.service == "salt"


def test_given_a_referral_consent_without_a_service_when_given_then_invalid_value(
    child: ChildBuilder,
) -> None:
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        child.app.give_consent,
        child.child_id,
        on(DAY, PARENT),
        consent_id="c-1",
        purpose="referral",
        service=" ",
        given_by="parent-1",
    )
    assert err.field == "service"
    assert_accepted(
        child,
        ev.ConsentGiven,
        "give_consent",
        DAY,
        PARENT,
        consent_id="c-1",
        purpose="photographs",
        service="",
        given_by="parent-1",
    )


@pytest.mark.parametrize(
    ("command", "payload", "field"),
    [
        pytest.param("give_consent", {**consent(), "given_by": "stranger"}, "given_by", id="give"),
        pytest.param(
            "refuse_consent",
            {"consent_id": "c-1", "purpose": "referral", "service": "", "refused_by": "stranger"},
            "refused_by",
            id="refuse",
        ),
        pytest.param(
            "record_parent_view",
            {"person_id": "stranger", "view": "Hello"},
            "person_id",
            id="parent-view",
        ),
        pytest.param(
            "dispute",
            {"target_version": 2, "person_id": "stranger", "comment": "No"},
            "person_id",
            id="dispute",
        ),
    ],
)
def test_given_a_person_not_linked_when_named_then_unknown_reference(
    child: ChildBuilder, command: str, payload: dict[str, Any], field: str
) -> None:
    app = child.app
    err = assert_refused(
        app,
        child,
        UnknownReference,
        getattr(app, command),
        child.child_id,
        on(DAY, PARENT),
        **payload,
    )
    assert err.field == field


def test_given_a_live_consent_when_withdrawn_then_stored(child: ChildBuilder) -> None:
    child.do("give_consent", DAY, PARENT, **consent())
    assert_accepted(
        child,
        ev.ConsentWithdrawn,
        "withdraw_consent",
        DAY,
        PARENT,
        consent_id="c-1",
        withdrawn_by="parent-1",
    )
    assert child.app.get_child(child.child_id).consents["c-1"]["state"] == "withdrawn"


def test_given_an_unknown_consent_when_withdrawn_then_unknown_reference(
    child: ChildBuilder,
) -> None:
    err = assert_refused(
        child.app,
        child,
        UnknownReference,
        child.app.withdraw_consent,
        child.child_id,
        on(DAY, PARENT),
        consent_id="c-404",
        withdrawn_by="parent-1",
    )
    assert err.field == "consent_id"


@pytest.mark.parametrize("state", ["refused", "withdrawn"])
def test_given_a_consent_that_is_not_live_when_withdrawn_then_invalid_value(
    child: ChildBuilder, state: str
) -> None:
    if state == "refused":
        child.do(
            "refuse_consent",
            DAY,
            PARENT,
            consent_id="c-1",
            purpose="referral",
            service="SALT",
            refused_by="parent-1",
        )
    else:
        child.do("give_consent", DAY, PARENT, **consent())
        child.do("withdraw_consent", DAY, PARENT, consent_id="c-1", withdrawn_by="parent-1")
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        child.app.withdraw_consent,
        child.child_id,
        on(DAY, PARENT),
        consent_id="c-1",
        withdrawn_by="parent-1",
    )
    assert err.field == "consent_id"


# --- reviews -----------------------------------------------------------------------------


def test_given_a_plan_and_provision_when_reviewed_then_stored(planned: ChildBuilder) -> None:
    assert_accepted(planned, ev.ReviewHeld, "hold_review", REVIEW_DAY, **review())
    plan = planned.app.get_child(planned.child_id).plans["plan-1"]
    assert plan["reviews"] == 1
    assert plan["review_date"] == date(2025, 6, 2)


def test_given_a_stop_decision_when_reviewed_without_next_date_then_stored(
    planned: ChildBuilder,
) -> None:
    assert_accepted(
        planned,
        ev.ReviewHeld,
        "hold_review",
        REVIEW_DAY,
        **review(decision="stop", next_review_date=None),
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"plan_id": "plan-404"}, "plan_id", id="unknown-plan"),
        pytest.param(
            {"outcome_progress": [{"outcome_id": "o-404", "progress": "met"}]},
            "outcome_progress[0].outcome_id",
            id="unknown-outcome",
        ),
        pytest.param(
            {"outcome_progress": [{"progress": "met"}]},
            "outcome_progress[0].outcome_id",
            id="missing-outcome-id",
        ),
        pytest.param(
            {
                "provision_impact": [
                    {"provision_id": "prov-1", "impact": "good"},
                    {"provision_id": "prov-404", "impact": "good"},
                ]
            },
            "provision_impact[1].provision_id",
            id="unknown-provision",
        ),
    ],
)
def test_given_a_review_naming_what_does_not_exist_then_unknown_reference(
    planned: ChildBuilder, overrides: dict[str, Any], field: str
) -> None:
    err = assert_refused(
        planned.app,
        planned,
        UnknownReference,
        planned.app.hold_review,
        planned.child_id,
        on(REVIEW_DAY),
        **review(**overrides),
    )
    assert err.field == field


def test_given_an_outcome_of_another_plan_when_reviewed_then_unknown_reference(
    planned: ChildBuilder,
) -> None:
    planned.do(
        "issue_plan",
        DAY,
        plan_id="plan-2",
        start_date=DAY,
        review_date=date(2025, 5, 1),
        outcomes=[outcome("o2", target=date(2025, 4, 1))],
        provision_ids=[],
        shared_with_parents=False,
    )
    err = assert_refused(
        planned.app,
        planned,
        UnknownReference,
        planned.app.hold_review,
        planned.child_id,
        on(REVIEW_DAY),
        **review(outcome_progress=[{"outcome_id": "o2", "progress": "met"}]),
    )
    assert err.field == "outcome_progress[0].outcome_id"


@pytest.mark.parametrize(
    ("decision", "next_review_date"),
    [
        pytest.param("continue", None, id="continue-without-date"),
        pytest.param("escalate", None, id="escalate-without-date"),
        pytest.param("continue", REVIEW_DAY, id="same-day"),
        pytest.param("change", REVIEW_DAY - timedelta(days=1), id="before-review"),
        pytest.param("stop", REVIEW_DAY, id="stop-with-same-day"),
    ],
)
def test_given_a_missing_or_early_next_review_date_when_reviewed_then_plan_invalid(
    planned: ChildBuilder, decision: str, next_review_date: date | None
) -> None:
    err = assert_refused(
        planned.app,
        planned,
        PlanInvalid,
        planned.app.hold_review,
        planned.child_id,
        on(REVIEW_DAY),
        **review(decision=decision, next_review_date=next_review_date),
    )
    assert err.field == "next_review_date"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param(
            {"outcome_progress": [{"outcome_id": "o1", "progress": "great"}]},
            "outcome_progress[0].progress",
            id="progress",
        ),
        pytest.param(
            {"provision_impact": [{"provision_id": "prov-1", "impact": "huge"}]},
            "provision_impact[0].impact",
            id="impact",
        ),
        pytest.param({"decision": "pause"}, "decision", id="decision"),
    ],
)
def test_given_a_review_with_a_value_outside_its_vocabulary_then_invalid_value(
    planned: ChildBuilder, overrides: dict[str, Any], field: str
) -> None:
    err = assert_refused(
        planned.app,
        planned,
        InvalidValue,
        planned.app.hold_review,
        planned.child_id,
        on(REVIEW_DAY),
        **review(**overrides),
    )
    assert err.field == field


# --- provisions ----------------------------------------------------------------------------


def test_given_a_costed_provision_when_started_then_stored_with_pence(child: ChildBuilder) -> None:
    event = assert_accepted(
        child, ev.ProvisionStarted, "start_provision", START, **provision(cost="180.5")
    )
    assert isinstance(event, ev.ProvisionStarted)
    assert event.cost == Decimal("180.50")


def test_given_a_provision_when_ended_on_its_start_day_then_stored(planned: ChildBuilder) -> None:
    assert_accepted(
        planned,
        ev.ProvisionEnded,
        "end_provision",
        START,
        provision_id="prov-1",
        end_date=START,
        reason="Did not suit",
    )


def test_given_a_provision_when_ended_before_it_started_then_provision_closed(
    planned: ChildBuilder,
) -> None:
    err = assert_refused(
        planned.app,
        planned,
        ProvisionClosed,
        planned.app.end_provision,
        planned.child_id,
        on(DAY),
        provision_id="prov-1",
        end_date=START - timedelta(days=1),
        reason="Typo",
    )
    assert err.field == "end_date"


@pytest.mark.parametrize(
    ("command", "payload"),
    [
        pytest.param(
            "change_provision",
            {"provision_id": "prov-1", "changes": {"weeks": 12}, "reason": "More"},
            id="change",
        ),
        pytest.param(
            "end_provision",
            {"provision_id": "prov-1", "end_date": date(2025, 3, 20), "reason": "x"},
            id="end-again",
        ),
        pytest.param(
            "deliver_session",
            {"provision_id": "prov-1", "session_date": date(2025, 3, 3), "minutes": 20},
            id="deliver",
        ),
        pytest.param(
            "deliver_session",
            {"provision_id": "prov-1", "session_date": date(2025, 2, 10), "minutes": 20},
            id="deliver-dated-before-the-end",
        ),
        pytest.param(
            "miss_session",
            {"provision_id": "prov-1", "session_date": date(2025, 3, 3), "reason": "Absent"},
            id="miss",
        ),
    ],
)
def test_given_an_ended_provision_when_changed_ended_or_logged_then_provision_closed(
    planned: ChildBuilder, command: str, payload: dict[str, Any]
) -> None:
    planned.do(
        "end_provision",
        date(2025, 3, 1),
        provision_id="prov-1",
        end_date=date(2025, 3, 1),
        reason="Outcome met",
    )
    app = planned.app
    err = assert_refused(
        app,
        planned,
        ProvisionClosed,
        getattr(app, command),
        planned.child_id,
        on(date(2025, 3, 3)),
        **payload,
    )
    assert err.field == "provision_id"


@pytest.mark.parametrize(
    ("command", "extra", "kind"),
    [
        pytest.param(
            "deliver_session", {"minutes": 20, "notes": ""}, ev.SessionDelivered, id="deliver"
        ),
        pytest.param("miss_session", {"reason": "Staff absent"}, ev.SessionMissed, id="miss"),
    ],
)
def test_given_a_session_on_or_before_the_start_when_logged_then_only_the_start_day_is_accepted(
    planned: ChildBuilder, command: str, extra: dict[str, Any], kind: type[ev.ChildEvent]
) -> None:
    app = planned.app
    err = assert_refused(
        app,
        planned,
        ProvisionClosed,
        getattr(app, command),
        planned.child_id,
        on(DAY),
        provision_id="prov-1",
        session_date=START - timedelta(days=1),
        **extra,
    )
    assert err.field == "session_date"
    assert_accepted(
        planned, kind, command, START, provision_id="prov-1", session_date=START, **extra
    )


@pytest.mark.parametrize(
    ("command", "payload"),
    [
        pytest.param(
            "change_provision",
            {"provision_id": "prov-404", "changes": {"weeks": 12}, "reason": "x"},
            id="change",
        ),
        pytest.param(
            "end_provision", {"provision_id": "prov-404", "end_date": DAY, "reason": "x"}, id="end"
        ),
        pytest.param(
            "deliver_session",
            {"provision_id": "prov-404", "session_date": DAY, "minutes": 20},
            id="deliver",
        ),
        pytest.param(
            "miss_session",
            {"provision_id": "prov-404", "session_date": DAY, "reason": "x"},
            id="miss",
        ),
    ],
)
def test_given_an_unknown_provision_when_named_then_unknown_reference(
    planned: ChildBuilder, command: str, payload: dict[str, Any]
) -> None:
    app = planned.app
    err = assert_refused(
        app, planned, UnknownReference, getattr(app, command), planned.child_id, on(DAY), **payload
    )
    assert err.field == "provision_id"


def test_given_a_running_provision_when_changed_then_stored_with_cleaned_values(
    planned: ChildBuilder,
) -> None:
    event = assert_accepted(
        planned,
        ev.ProvisionChanged,
        "change_provision",
        DAY,
        provision_id="prov-1",
        changes={"cost": "200", "weeks": 12, "staff_grade": "teacher"},
        reason="Longer",
    )
    assert isinstance(event, ev.ProvisionChanged)
    assert event.changes == {"cost": Decimal("200.00"), "weeks": 12, "staff_grade": "teacher"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({}, "changes", id="no-changes"),
        pytest.param({"start_date": DAY}, "changes", id="not-changeable"),
        pytest.param({"cost": "1.001"}, "changes.cost", id="cost-three-decimals"),
        pytest.param({"cost": "-5"}, "changes.cost", id="cost-negative"),
        pytest.param({"staff_grade": "wizard"}, "changes.staff_grade", id="staff-grade"),
        pytest.param({"funding_source": "lottery"}, "changes.funding_source", id="funding"),
        pytest.param({"description": " "}, "changes.description", id="empty-description"),
        pytest.param({"weeks": 0}, "changes.weeks", id="zero-weeks"),
    ],
)
def test_given_a_bad_change_when_provision_changed_then_invalid_value(
    planned: ChildBuilder, changes: dict[str, Any], field: str
) -> None:
    err = assert_refused(
        planned.app,
        planned,
        InvalidValue,
        planned.app.change_provision,
        planned.child_id,
        on(DAY),
        provision_id="prov-1",
        changes=changes,
        reason="Change",
    )
    assert err.field == field


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param("group_size", 61, id="group-size"),
        pytest.param("weeks", 53, id="weeks"),
        pytest.param("sessions_per_week", 51, id="sessions-per-week"),
        pytest.param("session_minutes", 601, id="session-minutes"),
    ],
)
def test_given_a_change_beyond_the_start_bounds_when_provision_changed_then_invalid_value(
    planned: ChildBuilder, key: str, value: int
) -> None:
    too_big = provision()
    too_big[key] = value
    assert_refused(
        planned.app,
        planned,
        InvalidValue,
        planned.app.start_provision,
        planned.child_id,
        on(START),
        **too_big,
    )
    err = assert_refused(
        planned.app,
        planned,
        InvalidValue,
        planned.app.change_provision,
        planned.child_id,
        on(DAY),
        provision_id="prov-1",
        changes={key: value},
        reason="Bigger",
    )
    assert err.field == f"changes.{key}"
    assert_accepted(
        planned,
        ev.ProvisionChanged,
        "change_provision",
        DAY,
        provision_id="prov-1",
        changes={key: value - 1},
        reason="As big as allowed",
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"cost": "180.005"}, "cost", id="cost-three-decimals"),
        pytest.param({"cost": "-0.01"}, "cost", id="cost-negative"),
        pytest.param({"cost": "lots"}, "cost", id="cost-not-a-number"),
        pytest.param({"cost": "NaN"}, "cost", id="cost-nan"),
        pytest.param({"cost": "10000000.01"}, "cost", id="cost-too-large"),
        pytest.param({"group_size": 0}, "group_size", id="group-size-zero"),
        pytest.param({"group_size": 61}, "group_size", id="group-size-61"),
        pytest.param({"weeks": True}, "weeks", id="weeks-bool"),
        pytest.param({"session_minutes": 601}, "session_minutes", id="minutes-601"),
        pytest.param({"description": "x" * 2001}, "description", id="long-description"),
        pytest.param({"provision_id": "has space"}, "provision_id", id="bad-id"),
    ],
)
def test_given_a_bad_value_when_provision_started_then_invalid_value_naming_the_field(
    child: ChildBuilder, overrides: dict[str, Any], field: str
) -> None:
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        child.app.start_provision,
        child.child_id,
        on(START),
        **provision(**overrides),
    )
    assert err.field == field


# --- corrections, mistakes, disputes -----------------------------------------------------


@pytest.fixture
def other_child(memory_records: ChildRecords) -> ChildBuilder:
    """A second child with a longer history (versions 1..6)."""
    other = with_parent(register(memory_records))
    for _ in range(4):
        other.do("record_observation", DAY, **observation())
    assert other.version == 6
    return other


TARGETS = [
    pytest.param("correct", "supersedes", {"statement": "Should read aunt"}, SENCO, id="correct"),
    pytest.param(
        "mark_mistaken", "target_version", {"reason": "Wrong child"}, SENCO, id="mark-mistaken"
    ),
    pytest.param(
        "dispute",
        "target_version",
        {"person_id": "parent-1", "comment": "No"},
        PARENT,
        id="dispute",
    ),
]


@pytest.mark.parametrize(("command", "field", "payload", "by"), TARGETS)
@pytest.mark.parametrize(
    "target",
    [
        pytest.param(0, id="zero"),
        pytest.param(-1, id="negative"),
        pytest.param(3, id="next-version"),
        pytest.param(5, id="in-another-childs-range"),
    ],
)
def test_given_a_target_that_is_not_an_event_of_this_child_then_unknown_reference(
    child: ChildBuilder,
    other_child: ChildBuilder,
    command: str,
    field: str,
    payload: dict[str, Any],
    by: RecordedBy,
    target: int,
) -> None:
    app = child.app
    assert child.version == 2
    err = assert_refused(
        app,
        child,
        UnknownReference,
        getattr(app, command),
        child.child_id,
        on(DAY, by),
        **{field: target},
        **payload,
    )
    assert err.field == field
    assert len(app.history(other_child.child_id)) == 6


@pytest.mark.parametrize(
    ("command", "field", "payload", "by", "kind"),
    [
        pytest.param(
            "correct",
            "supersedes",
            {"statement": "Should read aunt"},
            SENCO,
            ev.RecordCorrected,
            id="correct",
        ),
        pytest.param(
            "mark_mistaken",
            "target_version",
            {"reason": "Wrong child"},
            SENCO,
            ev.EntryMarkedMistaken,
            id="mark-mistaken",
        ),
        pytest.param(
            "dispute",
            "target_version",
            {"person_id": "parent-1", "comment": "No"},
            PARENT,
            ev.EntryDisputed,
            id="dispute",
        ),
    ],
)
@pytest.mark.parametrize("target", [1, 2])
def test_given_an_existing_event_of_this_child_when_targeted_then_stored(
    child: ChildBuilder,
    other_child: ChildBuilder,
    command: str,
    field: str,
    payload: dict[str, Any],
    by: RecordedBy,
    kind: type[ev.ChildEvent],
    target: int,
) -> None:
    event = assert_accepted(child, kind, command, DAY, by, **{field: target}, **payload)
    assert getattr(event, field) == target


@pytest.fixture
def with_parent_view(child: ChildBuilder) -> ChildBuilder:
    """The child with a parent's view at version 3."""
    child.do("record_parent_view", DAY, PARENT, person_id="parent-1", view="He talks at home")
    assert child.version == 3
    return child


@pytest.mark.parametrize("staff", [SENCO, PRACTITIONER], ids=["senco", "practitioner"])
def test_given_a_parent_view_when_staff_correct_it_then_parent_view_protected(
    with_parent_view: ChildBuilder, staff: RecordedBy
) -> None:
    child = with_parent_view
    err = assert_refused(
        child.app,
        child,
        ParentViewProtected,
        child.app.correct,
        child.child_id,
        on(DAY, staff),
        supersedes=3,
        statement="He does not",
    )
    assert err.field == "supersedes"


@pytest.mark.parametrize("staff", [SENCO, PRACTITIONER], ids=["senco", "practitioner"])
def test_given_a_parent_view_when_staff_mark_it_mistaken_then_parent_view_protected(
    with_parent_view: ChildBuilder, staff: RecordedBy
) -> None:
    child = with_parent_view
    err = assert_refused(
        child.app,
        child,
        ParentViewProtected,
        child.app.mark_mistaken,
        child.child_id,
        on(DAY, staff),
        target_version=3,
        reason="Wrong",
    )
    assert err.field == "target_version"


def test_given_a_parent_view_when_the_parent_corrects_it_then_stored(
    with_parent_view: ChildBuilder,
) -> None:
    event = assert_accepted(
        with_parent_view,
        ev.RecordCorrected,
        "correct",
        DAY,
        PARENT,
        supersedes=3,
        statement="He talks a little at home",
    )
    assert isinstance(event, ev.RecordCorrected)
    assert event.recorded_by == PARENT


def test_given_a_parents_dispute_when_staff_mark_it_mistaken_then_parent_view_protected(
    child: ChildBuilder,
) -> None:
    child.do("dispute", DAY, PARENT, target_version=2, person_id="parent-1", comment="Not so")
    err = assert_refused(
        child.app,
        child,
        ParentViewProtected,
        child.app.mark_mistaken,
        child.child_id,
        on(DAY),
        target_version=3,
        reason="Wrong",
    )
    assert err.field == "target_version"


def test_given_a_parents_dispute_when_staff_correct_it_then_parent_view_protected(
    child: ChildBuilder,
) -> None:
    child.do("dispute", DAY, PARENT, target_version=2, person_id="parent-1", comment="Not so")
    err = assert_refused(
        child.app,
        child,
        ParentViewProtected,
        child.app.correct,
        child.child_id,
        on(DAY),
        supersedes=3,
        statement="It is so",
    )
    assert err.field == "supersedes"


def test_given_a_parents_correction_of_their_view_when_staff_mark_it_mistaken_then_protected(
    with_parent_view: ChildBuilder,
) -> None:
    child = with_parent_view
    child.do("correct", DAY, PARENT, supersedes=3, statement="He talks a lot at home")
    err = assert_refused(
        child.app,
        child,
        ParentViewProtected,
        child.app.mark_mistaken,
        child.child_id,
        on(DAY),
        target_version=4,
        reason="Staff disagree",
    )
    assert err.field == "target_version"


# --- when it happened --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("occurred_at", "precision"),
    [
        pytest.param(NOW, "minute", id="now"),
        pytest.param(NOW + timedelta(minutes=5), "minute", id="at-the-skew"),
        pytest.param(TODAY, "day", id="today-as-date"),
    ],
)
def test_given_occurred_at_within_the_skew_when_recorded_then_stored(
    child: ChildBuilder, occurred_at: date | datetime, precision: str
) -> None:
    event = assert_accepted(
        child, ev.ObservationRecorded, "record_observation", occurred_at, **observation()
    )
    assert event.precision == precision


@pytest.mark.parametrize(
    "occurred_at",
    [
        pytest.param(NOW + timedelta(minutes=5, seconds=1), id="datetime-past-the-skew"),
        pytest.param(NOW + timedelta(days=3), id="datetime-days-ahead"),
        pytest.param(TODAY + timedelta(days=1), id="date-tomorrow"),
    ],
)
def test_given_occurred_at_beyond_the_skew_when_recorded_then_future_date(
    child: ChildBuilder, occurred_at: date | datetime
) -> None:
    err = assert_refused(
        child.app,
        child,
        FutureDate,
        child.app.record_observation,
        child.child_id,
        on(occurred_at),
        **observation(),
    )
    assert err.field == "occurred_at"


def test_given_a_naive_datetime_when_recorded_then_invalid_value(child: ChildBuilder) -> None:
    naive = datetime(2025, 2, 3, 10, 30)  # deliberately without a time zone
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        child.app.record_observation,
        child.child_id,
        on(naive),
        **observation(),
    )
    assert err.field == "occurred_at"


def test_given_occurred_at_before_birth_when_recorded_then_before_birth(
    child: ChildBuilder,
) -> None:
    err = assert_refused(
        child.app,
        child,
        BeforeBirth,
        child.app.record_observation,
        child.child_id,
        on(BORN - timedelta(days=1)),
        **observation(),
    )
    assert err.field == "occurred_at"
    assert_accepted(child, ev.ObservationRecorded, "record_observation", BORN, **observation())


def test_given_a_local_evening_that_is_the_birthday_in_utc_when_recorded_then_stored(
    child: ChildBuilder,
) -> None:
    evening_in_new_york = datetime(2023, 2, 28, 19, 30, tzinfo=timezone(timedelta(hours=-5)))
    event = assert_accepted(
        child, ev.ObservationRecorded, "record_observation", evening_in_new_york, **observation()
    )
    assert event.occurred_at == datetime(2023, 3, 1, 0, 30, tzinfo=UTC)


# --- EHC needs assessment ------------------------------------------------------------------

EHC_STEPS: dict[str, dict[str, Any]] = {
    "submit_ehc_request": {
        "request_date": date(2025, 6, 2),
        "local_authority": "Example LA",
        "reason": "Needs beyond SEN support",
    },
    "record_ehc_decision": {"decision": "assess", "decision_date": date(2025, 7, 14)},
    "receive_ehc_advice": {
        "advice_from": "EP",
        "advice_kind": "educational",
        "summary": "Advice given",
    },
    "issue_ehc_draft": {"draft_date": date(2025, 9, 15)},
    "finalise_ehc_plan": {"decision": "issue", "final_date": date(2025, 10, 20)},
    "hold_ehc_annual_review": {"review_date": date(2026, 10, 19), "summary": "Plan continues"},
}
EHC_DAY = date(2026, 10, 19)


def ehc(child: ChildBuilder, *steps: str, **overrides: Any) -> None:
    """Run EHC steps in the given order (all dated EHC_DAY)."""
    for step in steps:
        child.do(step, EHC_DAY, **{**EHC_STEPS[step], **overrides.get(step, {})})


@pytest.mark.parametrize(
    ("done", "step"),
    [
        pytest.param((), "record_ehc_decision", id="decision-without-request"),
        pytest.param((), "receive_ehc_advice", id="advice-without-request"),
        pytest.param(("submit_ehc_request",), "receive_ehc_advice", id="advice-before-decision"),
        pytest.param((), "issue_ehc_draft", id="draft-without-request"),
        pytest.param(("submit_ehc_request",), "issue_ehc_draft", id="draft-without-decision"),
        pytest.param((), "finalise_ehc_plan", id="final-plan-without-request"),
        pytest.param(
            ("submit_ehc_request",), "finalise_ehc_plan", id="final-plan-without-decision"
        ),
        pytest.param((), "hold_ehc_annual_review", id="annual-review-without-plan"),
        pytest.param(
            ("submit_ehc_request", "record_ehc_decision", "issue_ehc_draft"),
            "hold_ehc_annual_review",
            id="annual-review-on-a-draft",
        ),
        pytest.param(("submit_ehc_request",), "submit_ehc_request", id="request-twice"),
        pytest.param(
            ("submit_ehc_request", "record_ehc_decision"),
            "record_ehc_decision",
            id="decision-twice",
        ),
        pytest.param(
            ("submit_ehc_request", "record_ehc_decision", "issue_ehc_draft", "finalise_ehc_plan"),
            "submit_ehc_request",
            id="request-with-a-plan",
        ),
    ],
)
def test_given_an_ehc_step_out_of_order_then_ehc_step_out_of_order(
    child: ChildBuilder, done: tuple[str, ...], step: str
) -> None:
    ehc(child, *done)
    app = child.app
    assert_refused(
        app,
        child,
        EhcStepOutOfOrder,
        getattr(app, step),
        child.child_id,
        on(EHC_DAY),
        **EHC_STEPS[step],
    )


def test_given_a_not_assess_decision_when_a_draft_is_issued_then_ehc_step_out_of_order(
    child: ChildBuilder,
) -> None:
    ehc(
        child,
        "submit_ehc_request",
        "record_ehc_decision",
        record_ehc_decision={"decision": "not_assess"},
    )
    assert_refused(
        child.app,
        child,
        EhcStepOutOfOrder,
        child.app.issue_ehc_draft,
        child.child_id,
        on(EHC_DAY),
        draft_date=EHC_DAY,
    )


def test_given_a_not_issue_decision_when_an_annual_review_is_held_then_ehc_step_out_of_order(
    child: ChildBuilder,
) -> None:
    ehc(
        child,
        "submit_ehc_request",
        "record_ehc_decision",
        "finalise_ehc_plan",
        finalise_ehc_plan={"decision": "not_issue"},
    )
    assert_refused(
        child.app,
        child,
        EhcStepOutOfOrder,
        child.app.hold_ehc_annual_review,
        child.child_id,
        on(EHC_DAY),
        **EHC_STEPS["hold_ehc_annual_review"],
    )


def test_given_each_step_in_order_when_recorded_then_the_full_sequence_is_stored(
    child: ChildBuilder,
) -> None:
    kinds = [
        ev.EhcRequestSubmitted,
        ev.EhcDecisionRecorded,
        ev.EhcAdviceReceived,
        ev.EhcDraftIssued,
        ev.EhcPlanFinalised,
        ev.EhcAnnualReviewHeld,
    ]
    for step, kind in zip(EHC_STEPS, kinds, strict=True):
        assert_accepted(child, kind, step, EHC_DAY, **EHC_STEPS[step])
    assert child.version == 8
    assert child.app.get_child(child.child_id).ehc_stage == "plan"


def test_given_a_final_plan_when_a_second_annual_review_is_held_then_stored(
    child: ChildBuilder,
) -> None:
    ehc(
        child,
        "submit_ehc_request",
        "record_ehc_decision",
        "finalise_ehc_plan",
        "hold_ehc_annual_review",
    )
    assert_accepted(
        child,
        ev.EhcAnnualReviewHeld,
        "hold_ehc_annual_review",
        EHC_DAY,
        **EHC_STEPS["hold_ehc_annual_review"],
    )


@pytest.mark.parametrize(
    ("done", "overrides"),
    [
        pytest.param(
            ("submit_ehc_request", "record_ehc_decision"),
            {"record_ehc_decision": {"decision": "not_assess"}},
            id="after-not-assess",
        ),
        pytest.param(
            ("submit_ehc_request", "record_ehc_decision", "finalise_ehc_plan"),
            {"finalise_ehc_plan": {"decision": "not_issue"}},
            id="after-not-issue",
        ),
    ],
)
def test_given_a_refusal_by_the_la_when_a_new_request_is_submitted_then_stored(
    child: ChildBuilder, done: tuple[str, ...], overrides: dict[str, dict[str, Any]]
) -> None:
    ehc(child, *done, **overrides)
    assert_accepted(
        child,
        ev.EhcRequestSubmitted,
        "submit_ehc_request",
        EHC_DAY,
        **EHC_STEPS["submit_ehc_request"],
    )
    assert child.app.get_child(child.child_id).ehc_stage == "requested"


@pytest.mark.parametrize(
    ("done", "step", "decision"),
    [
        pytest.param(("submit_ehc_request",), "record_ehc_decision", "maybe", id="decision"),
        pytest.param(
            ("submit_ehc_request", "record_ehc_decision"),
            "finalise_ehc_plan",
            "perhaps",
            id="final-decision",
        ),
    ],
)
def test_given_an_ehc_decision_outside_its_vocabulary_then_invalid_value(
    child: ChildBuilder, done: tuple[str, ...], step: str, decision: str
) -> None:
    ehc(child, *done)
    app = child.app
    err = assert_refused(
        app,
        child,
        InvalidValue,
        getattr(app, step),
        child.child_id,
        on(EHC_DAY),
        **{**EHC_STEPS[step], "decision": decision},
    )
    assert err.field == "decision"


# --- SEN status ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "codes", "primary"),
    [
        pytest.param("K", ["SLCN", "ASD"], "SLCN", id="K"),
        pytest.param("N", [], None, id="N"),
    ],
)
def test_given_a_consistent_status_when_changed_then_stored(
    child: ChildBuilder, status: str, codes: list[str], primary: str | None
) -> None:
    assert_accepted(
        child,
        ev.SenStatusChanged,
        "change_sen_status",
        DAY,
        status=status,
        need_codes=codes,
        primary_need=primary,
        reason="Reviewed",
    )
    assert child.app.get_child(child.child_id).sen_status == status


@pytest.mark.parametrize(
    ("status", "codes", "primary", "field"),
    [
        pytest.param("N", ["SLCN"], None, "need_codes", id="N-with-codes"),
        pytest.param("N", ["SLCN"], "SLCN", "need_codes", id="N-with-codes-and-primary"),
        pytest.param("N", [], "SLCN", "primary_need", id="N-with-primary-only"),
        pytest.param("K", ["SLCN"], None, "primary_need", id="K-without-primary"),
        pytest.param("K", ["SLCN"], "ASD", "primary_need", id="K-primary-not-in-codes"),
        pytest.param("K", [], "SLCN", "primary_need", id="K-without-codes"),
        pytest.param("E", ["SLCN"], None, "primary_need", id="E-without-primary"),
        pytest.param("K", ["SLCN", "XYZ"], "SLCN", "need_codes", id="unknown-need-code"),
        pytest.param("S", [], None, "status", id="unknown-status"),
    ],
)
def test_given_an_inconsistent_status_when_changed_then_invalid_value(
    child: ChildBuilder, status: str, codes: list[str], primary: str | None, field: str
) -> None:
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        child.app.change_sen_status,
        child.child_id,
        on(DAY),
        status=status,
        need_codes=codes,
        primary_need=primary,
        reason="",
    )
    assert err.field == field


def test_given_no_finalised_ehc_plan_when_status_e_then_status_against_plan(
    child: ChildBuilder,
) -> None:
    ehc(child, "submit_ehc_request", "record_ehc_decision", "issue_ehc_draft")
    err = assert_refused(
        child.app,
        child,
        StatusAgainstPlan,
        child.app.change_sen_status,
        child.child_id,
        on(EHC_DAY),
        status="E",
        need_codes=["ASD"],
        primary_need="ASD",
        reason="Plan",
    )
    assert err.field == "status"


def test_given_a_finalised_ehc_plan_when_status_e_then_stored(child: ChildBuilder) -> None:
    ehc(child, "submit_ehc_request", "record_ehc_decision", "finalise_ehc_plan")
    assert_accepted(
        child,
        ev.SenStatusChanged,
        "change_sen_status",
        EHC_DAY,
        status="E",
        need_codes=["ASD"],
        primary_need="ASD",
        reason="Plan issued",
    )


# --- discussions -------------------------------------------------------------------------


def test_given_an_outcome_outside_the_vocabulary_when_discussed_then_invalid_value(
    child: ChildBuilder,
) -> None:
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        child.app.hold_discussion,
        child.child_id,
        on(DAY),
        **discussion(outcome="watch_and_wait"),
    )
    assert err.field == "outcome"


@pytest.mark.parametrize(
    ("views", "field"),
    [
        pytest.param({}, "key_person_view", id="neither"),
        pytest.param({"key_person_view": "Worried"}, "senco_view", id="only-key-person"),
        pytest.param({"senco_view": "Not worried"}, "key_person_view", id="only-senco"),
        pytest.param(
            {"key_person_view": "Worried", "senco_view": "  "}, "senco_view", id="blank-senco"
        ),
    ],
)
def test_given_different_views_without_both_views_then_invalid_value(
    child: ChildBuilder, views: dict[str, str], field: str
) -> None:
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        child.app.hold_discussion,
        child.child_id,
        on(DAY),
        **{**discussion(outcome="different_views"), **views},
    )
    assert err.field == field


def test_given_different_views_with_both_views_when_discussed_then_stored(
    child: ChildBuilder,
) -> None:
    event = assert_accepted(
        child,
        ev.DiscussionHeld,
        "hold_discussion",
        DAY,
        **discussion(outcome="different_views"),
        key_person_view="Worried",
        senco_view="Not yet",
    )
    assert isinstance(event, ev.DiscussionHeld)
    assert (event.key_person_view, event.senco_view) == ("Worried", "Not yet")


def test_given_an_extra_configured_outcome_when_discussed_then_stored() -> None:
    app = ChildRecords(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        clock=lambda: NOW,
        extra_outcomes={"watch_and_wait": "Watch and wait"},
    )
    try:
        child = register(app)
        event = assert_accepted(
            child, ev.DiscussionHeld, "hold_discussion", DAY, **discussion(outcome="watch_and_wait")
        )
        assert isinstance(event, ev.DiscussionHeld)
        assert event.outcome == "watch_and_wait"
        assert_accepted(
            child,
            ev.DiscussionHeld,
            "hold_discussion",
            DAY,
            **discussion(outcome="no_current_concern"),
        )
    finally:
        app.close()


def test_given_an_extra_outcome_redefining_a_default_when_configured_then_invalid_value() -> None:
    with pytest.raises(InvalidValue) as caught:
        ChildRecords(
            {"PERSISTENCE_MODULE": "eventsourcing.popo"},
            extra_outcomes={"different_views": "Something else"},
        )
    assert caught.value.field == "discussion_outcome"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"participants": []}, "participants", id="no-participants"),
        pytest.param({"participants": [" "]}, "participants", id="blank-participant"),
        pytest.param({"hypothesis": ""}, "hypothesis", id="no-hypothesis"),
        pytest.param({"actions": ["ok", ""]}, "actions", id="blank-action"),
    ],
)
def test_given_a_discussion_missing_what_it_needs_then_invalid_value(
    child: ChildBuilder, overrides: dict[str, Any], field: str
) -> None:
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        child.app.hold_discussion,
        child.child_id,
        on(DAY),
        **discussion(**overrides),
    )
    assert err.field == field


def test_given_no_current_concern_when_discussed_without_hypothesis_then_stored(
    child: ChildBuilder,
) -> None:
    assert_accepted(
        child,
        ev.DiscussionHeld,
        "hold_discussion",
        DAY,
        **discussion(outcome="no_current_concern", hypothesis=""),
    )


# --- ids are used once per record ----------------------------------------------------------


def _already_linked(child: ChildBuilder) -> None:
    assert "parent-1" in child.app.get_child(child.child_id).people


def _setup_report(child: ChildBuilder) -> None:
    child.do("receive_report", DAY, **report())


def _setup_consent(child: ChildBuilder) -> None:
    child.do("give_consent", DAY, PARENT, **consent())


def _setup_referral(child: ChildBuilder) -> None:
    child.do("give_consent", DAY, PARENT, **consent())
    child.do("make_referral", DAY, **referral())


@pytest.mark.parametrize(
    ("setup", "command", "payload", "field"),
    [
        pytest.param(
            _already_linked,
            "link_person",
            {
                "person_id": "parent-1",
                "name": "Another",
                "relationship": "father",
                "parental_responsibility": True,
            },
            "person_id",
            id="person_id",
        ),
        pytest.param(
            with_provision,
            "start_provision",
            provision("prov-1"),
            "provision_id",
            id="provision_id",
        ),
        pytest.param(
            with_plan,
            "issue_plan",
            {
                "plan_id": "plan-1",
                "start_date": START,
                "review_date": REVIEW_DAY,
                "outcomes": [outcome()],
                "provision_ids": [],
                "shared_with_parents": False,
            },
            "plan_id",
            id="plan_id",
        ),
        pytest.param(
            _setup_consent, "give_consent", consent(), "consent_id", id="consent_id-given"
        ),
        pytest.param(
            _setup_consent,
            "refuse_consent",
            {
                "consent_id": "c-1",
                "purpose": "photographs",
                "service": "",
                "refused_by": "parent-1",
            },
            "consent_id",
            id="consent_id-refused",
        ),
        pytest.param(_setup_report, "receive_report", report(), "report_id", id="report_id"),
        pytest.param(_setup_referral, "make_referral", referral(), "referral_id", id="referral_id"),
    ],
)
def test_given_an_id_already_used_on_the_record_when_reused_then_invalid_value(
    child: ChildBuilder,
    setup: Callable[[ChildBuilder], object],
    command: str,
    payload: dict[str, Any],
    field: str,
) -> None:
    setup(child)
    app = child.app
    err = assert_refused(
        app,
        child,
        InvalidValue,
        getattr(app, command),
        child.child_id,
        on(DAY, PARENT if "consent" in command else SENCO),
        **payload,
    )
    assert err.field == field


def test_given_an_id_used_on_another_child_when_used_here_then_stored(
    child: ChildBuilder, other_child: ChildBuilder
) -> None:
    with_plan(other_child)
    assert_accepted(
        child,
        ev.SupportPlanIssued,
        "issue_plan",
        START,
        plan_id="plan-1",
        start_date=START,
        review_date=REVIEW_DAY,
        outcomes=[outcome()],
        provision_ids=[],
        shared_with_parents=True,
    )


def test_given_a_child_id_already_registered_when_registered_again_then_child_exists(
    child: ChildBuilder,
) -> None:
    app = child.app
    with pytest.raises(ChildExists) as caught:
        app.register_child(
            on(DAY),
            given_name="ZZ-MARKER-42",
            family_name="Example",
            date_of_birth=BORN,
            setting_id=SETTING,
            child_id=child.child_id,
        )
    assert type(caught.value) is ChildExists
    assert caught.value.field == "child_id"
    assert "ZZ-MARKER-42" not in str(caught.value)
    assert len(app.history(child.child_id)) == 2
    assert app.get_child(child.child_id).given_name == "Testy"
    assert list(app.child_ids()) == [child.child_id]


# --- reports and recommendations -------------------------------------------------------------


def test_given_a_report_when_a_recommendation_is_actioned_then_stored(
    child: ChildBuilder,
) -> None:
    child.do("receive_report", DAY, **report())
    assert_accepted(
        child,
        ev.RecommendationActioned,
        "action_recommendation",
        DAY,
        report_id="rep-1",
        recommendation_id="r1",
        action="actioned",
        detail="Visual timetable in place",
    )


@pytest.mark.parametrize(
    ("report_id", "recommendation_id", "field"),
    [
        pytest.param("rep-404", "r1", "report_id", id="unknown-report"),
        pytest.param("rep-1", "r-404", "recommendation_id", id="unknown-recommendation"),
    ],
)
def test_given_an_unknown_report_or_recommendation_when_actioned_then_unknown_reference(
    child: ChildBuilder, report_id: str, recommendation_id: str, field: str
) -> None:
    child.do("receive_report", DAY, **report())
    err = assert_refused(
        child.app,
        child,
        UnknownReference,
        child.app.action_recommendation,
        child.child_id,
        on(DAY),
        report_id=report_id,
        recommendation_id=recommendation_id,
        action="actioned",
        detail="Done",
    )
    assert err.field == field


def test_given_a_recommendation_of_another_report_when_actioned_then_unknown_reference(
    child: ChildBuilder,
) -> None:
    child.do("receive_report", DAY, **report("rep-1"))
    child.do(
        "receive_report",
        DAY,
        **{
            **report("rep-2"),
            "recommendations": [{"recommendation_id": "r9", "text": "Sensory diet"}],
        },
    )
    err = assert_refused(
        child.app,
        child,
        UnknownReference,
        child.app.action_recommendation,
        child.child_id,
        on(DAY),
        report_id="rep-1",
        recommendation_id="r9",
        action="actioned",
        detail="Done",
    )
    assert err.field == "recommendation_id"


def test_given_a_report_with_repeated_recommendation_ids_then_invalid_value(
    child: ChildBuilder,
) -> None:
    recs = [{"recommendation_id": "r1", "text": "A"}, {"recommendation_id": "r1", "text": "B"}]
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        child.app.receive_report,
        child.child_id,
        on(DAY),
        **{**report(), "recommendations": recs},
    )
    assert err.field == "recommendations"


def test_given_an_action_outside_the_vocabulary_then_invalid_value(child: ChildBuilder) -> None:
    child.do("receive_report", DAY, **report())
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        child.app.action_recommendation,
        child.child_id,
        on(DAY),
        report_id="rep-1",
        recommendation_id="r1",
        action="ignored",
        detail="Not done",
    )
    assert err.field == "action"


# --- text rules ----------------------------------------------------------------------------

TEXT_FIELDS = [
    pytest.param("record_observation", observation(), "notes", LONG, id="observation.notes"),
    pytest.param("record_observation", observation(), "observer", SHORT, id="observation.observer"),
    pytest.param(
        "raise_concern",
        {"concern_id": "k-1", "areas": ["physical"], "level": "low", "description": "Trips often"},
        "description",
        LONG,
        id="concern.description",
    ),
    pytest.param(
        "record_child_view",
        {"view": "I like blocks", "method": "Talking mat"},
        "view",
        LONG,
        id="child_view.view",
    ),
    pytest.param(
        "record_child_view",
        {"view": "I like blocks", "method": "Talking mat"},
        "method",
        SHORT,
        id="child_view.method",
    ),
    pytest.param(
        "record_contact",
        {
            "professional": "Dr Example",
            "professional_role": "GP",
            "service": "Health",
            "kind": "call",
            "summary": "Spoke",
        },
        "summary",
        LONG,
        id="contact.summary",
    ),
    pytest.param(
        "record_contact",
        {
            "professional": "Dr Example",
            "professional_role": "GP",
            "service": "Health",
            "kind": "call",
            "summary": "Spoke",
        },
        "professional",
        SHORT,
        id="contact.professional",
    ),
    pytest.param(
        "link_person",
        {
            "person_id": "carer-1",
            "name": "A Carer",
            "relationship": "grandmother",
            "parental_responsibility": False,
        },
        "name",
        SHORT,
        id="person.name",
    ),
    pytest.param("place_legal_hold", {"reason": "Claim"}, "reason", LONG, id="hold.reason"),
    pytest.param(
        "correct",
        {"supersedes": 2, "statement": "Aunt"},
        "statement",
        LONG,
        id="correction.statement",
    ),
]


@pytest.mark.parametrize(("command", "payload", "field", "limit"), TEXT_FIELDS)
@pytest.mark.parametrize("value", ["", "   "], ids=["empty", "blank"])
def test_given_an_empty_required_text_when_recorded_then_invalid_value_naming_it(
    child: ChildBuilder,
    command: str,
    payload: dict[str, Any],
    field: str,
    limit: int,
    value: str,
) -> None:
    agreed_for(child, command)
    app = child.app
    err = assert_refused(
        app,
        child,
        InvalidValue,
        getattr(app, command),
        child.child_id,
        on(DAY),
        **{**payload, field: value},
    )
    assert err.field == field


@pytest.mark.parametrize(("command", "payload", "field", "limit"), TEXT_FIELDS)
def test_given_a_text_over_its_limit_when_recorded_then_invalid_value_naming_it(
    child: ChildBuilder, command: str, payload: dict[str, Any], field: str, limit: int
) -> None:
    agreed_for(child, command)
    app = child.app
    err = assert_refused(
        app,
        child,
        InvalidValue,
        getattr(app, command),
        child.child_id,
        on(DAY),
        **{**payload, field: "x" * (limit + 1)},
    )
    assert err.field == field


@pytest.mark.parametrize(("command", "payload", "field", "limit"), TEXT_FIELDS)
def test_given_a_text_at_its_limit_when_recorded_then_stored_stripped(
    child: ChildBuilder, command: str, payload: dict[str, Any], field: str, limit: int
) -> None:
    agreed_for(child, command)
    before = child.version
    child.do(command, DAY, **{**payload, field: "  " + "x" * limit + "  "})
    last = child.app.history(child.child_id)[-1]
    assert getattr(last, field) == "x" * limit
    assert child.version == len(child.app.history(child.child_id)) == before + 1


# --- vocabularies and other value rules --------------------------------------------------------

CONCERN: dict[str, Any] = {
    "concern_id": "k-1",
    "areas": ["physical"],
    "level": "low",
    "description": "Trips often",
}


@pytest.mark.parametrize(
    ("command", "payload", "field"),
    [
        pytest.param(
            "record_observation",
            {**observation(), "area": "juggling"},
            "area",
            id="observation.area",
        ),
        pytest.param("raise_concern", {**CONCERN, "level": "severe"}, "level", id="concern.level"),
        pytest.param(
            "raise_concern",
            {**CONCERN, "areas": ["physical", "juggling"]},
            "areas",
            id="concern.areas",
        ),
        pytest.param("raise_concern", {**CONCERN, "areas": []}, "areas", id="concern.no-areas"),
        pytest.param(
            "raise_concern", {**CONCERN, "concern_id": "k 1"}, "concern_id", id="concern.bad-id"
        ),
        pytest.param(
            "notify_parent",
            {"method": "pigeon", "information_service_given": True},
            "method",
            id="notify.method",
        ),
        pytest.param(
            "give_consent", consent(purpose="everything"), "purpose", id="consent.purpose"
        ),
        pytest.param(
            "record_contact",
            {
                "professional": "Dr Example",
                "professional_role": "GP",
                "service": "Health",
                "kind": "telepathy",
                "summary": "Spoke",
            },
            "kind",
            id="contact.kind",
        ),
        pytest.param(
            "record_progress_check",
            {"summary": "Typical", "areas_of_concern": ["juggling"]},
            "areas_of_concern",
            id="progress_check.areas",
        ),
        pytest.param(
            "assess_tracking",
            {
                "area": "literacy",
                "band": "22-36",
                "months_low": 30,
                "months_high": 22,
                "chronological_months": 30,
            },
            "months_high",
            id="tracking.band-order",
        ),
        pytest.param(
            "assess_tracking",
            {
                "area": "literacy",
                "band": "22-36",
                "months_low": 22,
                "months_high": 36,
                "chronological_months": 241,
            },
            "chronological_months",
            id="tracking.months",
        ),
        pytest.param(
            "record_attendance",
            {
                "period_start": DAY,
                "period_end": DAY - timedelta(days=1),
                "sessions_possible": 10,
                "sessions_attended": 5,
            },
            "period_end",
            id="attendance.period",
        ),
        pytest.param(
            "record_attendance",
            {
                "period_start": START,
                "period_end": DAY,
                "sessions_possible": 10,
                "sessions_attended": 11,
            },
            "sessions_attended",
            id="attendance.more-than-possible",
        ),
        pytest.param(
            "note_export",
            {"bundle_sha256": "ab" * 31, "as_of": None, "known_at": None, "purpose": "EHC request"},
            "bundle_sha256",
            id="export.short-digest",
        ),
    ],
)
def test_given_a_value_breaking_its_rule_when_recorded_then_invalid_value_naming_the_field(
    child: ChildBuilder, command: str, payload: dict[str, Any], field: str
) -> None:
    agreed_for(child, command)
    app = child.app
    err = assert_refused(
        app,
        child,
        InvalidValue,
        getattr(app, command),
        child.child_id,
        on(DAY, PARENT if command == "give_consent" else SENCO),
        **payload,
    )
    assert err.field == field


@pytest.mark.parametrize(
    ("command", "payload", "kind"),
    [
        pytest.param(
            "raise_concern",
            {**CONCERN, "areas": ["physical", "physical"]},
            ev.ConcernRaised,
            id="concern",
        ),
        pytest.param(
            "notify_parent",
            {"method": "meeting", "information_service_given": True},
            ev.ParentNotified,
            id="notify",
        ),
        pytest.param(
            "record_progress_check",
            {"summary": "Typical", "areas_of_concern": ["literacy"]},
            ev.ProgressCheckAtTwoRecorded,
            id="progress-check",
        ),
        pytest.param(
            "assess_tracking",
            {
                "area": "literacy",
                "band": "22-36",
                "months_low": 22,
                "months_high": 36,
                "chronological_months": 30,
            },
            ev.TrackingAssessed,
            id="tracking",
        ),
        pytest.param(
            "record_attendance",
            {
                "period_start": START,
                "period_end": DAY,
                "sessions_possible": 10,
                "sessions_attended": 10,
            },
            ev.AttendanceRecorded,
            id="attendance",
        ),
        pytest.param(
            "note_export",
            {"bundle_sha256": "ab" * 32, "as_of": None, "known_at": None, "purpose": "EHC request"},
            ev.EvidenceBundleExported,
            id="export",
        ),
    ],
)
def test_given_values_within_their_rules_when_recorded_then_stored(
    child: ChildBuilder, command: str, payload: dict[str, Any], kind: type[ev.ChildEvent]
) -> None:
    assert_accepted(child, kind, command, DAY, **payload)


def test_given_repeated_areas_when_a_concern_is_raised_then_they_are_stored_once(
    child: ChildBuilder,
) -> None:
    event = assert_accepted(
        child,
        ev.ConcernRaised,
        "raise_concern",
        DAY,
        **{**CONCERN, "areas": ["physical", "literacy", "physical"]},
    )
    assert isinstance(event, ev.ConcernRaised)
    assert event.areas == ["physical", "literacy"]


@pytest.mark.parametrize("digest", ["Z" * 64, "AB" * 32], ids=["not-hex", "upper-case"])
def test_given_a_bundle_digest_that_is_not_lower_case_hex_then_invalid_value(
    child: ChildBuilder, digest: str
) -> None:
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        child.app.note_export,
        child.child_id,
        on(DAY),
        bundle_sha256=digest,
        as_of=None,
        known_at=None,
        purpose="EHC request",
    )
    assert err.field == "bundle_sha256"


# --- optimistic concurrency ----------------------------------------------------------------


@pytest.mark.parametrize("expected", [1, 3], ids=["stale", "ahead"])
def test_given_a_wrong_expected_version_when_a_command_runs_then_version_conflict(
    child: ChildBuilder, expected: int
) -> None:
    err = assert_refused(
        child.app,
        child,
        VersionConflict,
        child.app.record_observation,
        child.child_id,
        on(DAY),
        expected_version=expected,
        **observation(),
    )
    assert err.field == "expected_version"
    assert (err.expected, err.actual) == (expected, 2)


def test_given_the_current_expected_version_when_a_command_runs_then_stored(
    child: ChildBuilder,
) -> None:
    version = child.app.record_observation(
        child.child_id, on(DAY), expected_version=2, **observation()
    )
    assert version == 3
    assert type(child.app.history(child.child_id)[-1]) is ev.ObservationRecorded


def test_given_another_writer_saved_first_when_a_command_runs_then_version_conflict(
    child: ChildBuilder,
) -> None:
    app = child.app
    child.do("record_observation", DAY, **observation("First writer"))
    err = assert_refused(
        app,
        child,
        VersionConflict,
        app.record_observation,
        child.child_id,
        on(DAY),
        expected_version=2,
        **observation("Second writer"),
    )
    assert (err.expected, err.actual) == (2, 3)
    last = app.history(child.child_id)[-1]
    assert isinstance(last, ev.ObservationRecorded)
    assert last.notes == "First writer"


def test_given_a_write_between_load_and_save_when_saved_then_version_conflict_not_stored(
    child: ChildBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without expected_version, a concurrent write is caught by the store's version check."""
    app = child.app
    load = app.get_child
    interleaved: list[int] = []
    calls: list[UUID] = []

    def load_then_let_another_writer_in(child_id: UUID, *, version: int | None = None) -> Any:
        loaded = load(child_id, version=version)
        calls.append(child_id)
        if len(calls) == 1:  # only the first load: the other writer's own load passes through
            interleaved.append(
                app.record_observation(child_id, on(DAY), **observation("Other writer"))
            )
        return loaded

    monkeypatch.setattr(app, "get_child", load_then_let_another_writer_in)
    with pytest.raises(VersionConflict) as caught:
        app.record_observation(child.child_id, on(DAY), **observation("Late writer"))
    monkeypatch.undo()
    assert interleaved == [3]
    assert (caught.value.expected, caught.value.actual) == (2, 3)
    history = app.history(child.child_id)
    assert len(history) == 3
    assert app.get_child(child.child_id).version == 3
    last = history[-1]
    assert isinstance(last, ev.ObservationRecorded)
    assert last.notes == "Other writer"


# --- snapshots do not change the rules ----------------------------------------------------


def test_given_a_record_restored_from_snapshots_when_commands_run_then_the_rules_still_hold() -> (
    None
):
    app = ChildRecords(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=lambda: NOW, snapshot_interval=3
    )
    try:
        child = with_plan(with_provision(with_parent(register(app))))
        child.do("record_parent_view", DAY, PARENT, person_id="parent-1", view="Happy")
        child.do("give_consent", DAY, PARENT, **consent())
        child.do("withdraw_consent", DAY, PARENT, consent_id="c-1", withdrawn_by="parent-1")
        child.do("end_provision", DAY, provision_id="prov-1", end_date=DAY, reason="Met")
        assert child.version == 8
        assert app.snapshots is not None
        assert [s.originator_version for s in app.snapshots.get(child.child_id)] == [3, 6]
        restored = app.get_child(child.child_id)
        assert restored.kinds[4] == "ParentViewRecorded"
        assert restored.provisions["prov-1"]["end_date"] == DAY
        assert restored.plans["plan-1"]["outcome_ids"] == ["o1"]
        assert restored.consents["c-1"]["state"] == "withdrawn"
        assert_refused(
            app,
            child,
            ProvisionClosed,
            app.deliver_session,
            child.child_id,
            on(DAY),
            provision_id="prov-1",
            session_date=DAY,
            minutes=20,
        )
        assert_refused(
            app,
            child,
            ParentViewProtected,
            app.correct,
            child.child_id,
            on(DAY),
            supersedes=5,
            statement="Not happy",
        )
        assert_refused(
            app,
            child,
            ConsentRequired,
            app.make_referral,
            child.child_id,
            on(DAY),
            **referral(),
        )
        assert_refused(
            app,
            child,
            UnknownReference,
            app.mark_mistaken,
            child.child_id,
            on(DAY),
            target_version=9,
            reason="No such entry",
        )
        assert_accepted(child, ev.ReviewHeld, "hold_review", REVIEW_DAY, **review())
    finally:
        app.close()


# --- legal hold and restriction ------------------------------------------------------------


@pytest.mark.parametrize(
    ("place", "lift", "placed", "lifted"),
    [
        pytest.param(
            "place_legal_hold",
            "lift_legal_hold",
            ev.LegalHoldPlaced,
            ev.LegalHoldLifted,
            id="legal-hold",
        ),
        pytest.param(
            "restrict_processing",
            "lift_restriction",
            ev.ProcessingRestricted,
            ev.ProcessingRestrictionLifted,
            id="restriction",
        ),
    ],
)
def test_given_a_hold_or_restriction_when_placed_twice_or_lifted_twice_then_invalid_value(
    child: ChildBuilder,
    place: str,
    lift: str,
    placed: type[ev.ChildEvent],
    lifted: type[ev.ChildEvent],
) -> None:
    app = child.app
    err = assert_refused(
        app,
        child,
        InvalidValue,
        getattr(app, lift),
        child.child_id,
        on(DAY),
        reason="Nothing to lift",
    )
    assert err.field == "reason"
    assert_accepted(child, placed, place, DAY, reason="Accuracy contested")
    err = assert_refused(
        app, child, InvalidValue, getattr(app, place), child.child_id, on(DAY), reason="Again"
    )
    assert err.field == "reason"
    assert_accepted(child, lifted, lift, DAY, reason="Resolved")
    err = assert_refused(
        app, child, InvalidValue, getattr(app, lift), child.child_id, on(DAY), reason="Again"
    )
    assert err.field == "reason"
    assert_accepted(child, placed, place, DAY, reason="New claim")


# --- outside professionals and dates inside the data ---------------------------------------

CONTACT: dict[str, Any] = {
    "professional": "Dr Example",
    "professional_role": "GP",
    "service": "Health",
    "kind": "call",
    "summary": "Spoke about sleep",
}


def test_given_no_parental_agreement_when_a_professional_is_contacted_then_consent_required(
    child: ChildBuilder,
) -> None:
    err = assert_refused(
        child.app,
        child,
        ConsentRequired,
        child.app.record_contact,
        child.child_id,
        on(DAY),
        **CONTACT,
    )
    assert err.field == "consent"


def test_given_a_withdrawn_agreement_when_a_professional_is_contacted_then_consent_required(
    child: ChildBuilder,
) -> None:
    agreed_for(child, "record_contact")
    child.do("withdraw_consent", DAY, PARENT, consent_id="contact", withdrawn_by="parent-1")
    assert_refused(
        child.app,
        child,
        ConsentRequired,
        child.app.record_contact,
        child.child_id,
        on(DAY),
        **CONTACT,
    )


def test_given_parental_agreement_when_a_professional_is_contacted_then_stored(
    child: ChildBuilder,
) -> None:
    agreed_for(child, "record_contact")
    assert_accepted(child, ev.ProfessionalContact, "record_contact", DAY, **CONTACT)


@pytest.mark.parametrize(
    ("command", "payload", "field"),
    [
        pytest.param(
            "deliver_session",
            {"provision_id": "prov-1", "minutes": 20, "notes": ""},
            "session_date",
            id="session-delivered",
        ),
        pytest.param(
            "miss_session",
            {"provision_id": "prov-1", "reason": "Ill"},
            "session_date",
            id="session-missed",
        ),
        pytest.param(
            "end_provision",
            {"provision_id": "prov-1", "reason": "Met"},
            "end_date",
            id="provision-end",
        ),
    ],
)
def test_given_a_date_after_the_entry_when_recorded_then_invalid_value(
    planned: ChildBuilder, command: str, payload: dict[str, Any], field: str
) -> None:
    err = assert_refused(
        planned.app,
        planned,
        InvalidValue,
        getattr(planned.app, command),
        planned.child_id,
        on(DAY),
        **{**payload, field: DAY + timedelta(days=1)},
    )
    assert err.field == field
    planned.do(command, DAY, **{**payload, field: DAY})
    assert planned.history_kinds()[-1] in {"SessionDelivered", "SessionMissed", "ProvisionEnded"}


def test_given_a_used_concern_id_when_raised_again_then_invalid_value(child: ChildBuilder) -> None:
    concern: dict[str, Any] = {
        "concern_id": "k-1",
        "areas": ["physical"],
        "level": "low",
        "description": "Trips often",
    }
    child.do("raise_concern", DAY, **concern)
    err = assert_refused(
        child.app, child, InvalidValue, child.app.raise_concern, child.child_id, on(DAY), **concern
    )
    assert err.field == "concern_id"
