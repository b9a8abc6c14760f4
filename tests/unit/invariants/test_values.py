"""Text limits, vocabularies and other value rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.errors import (
    InvalidValue,
)
from domain.rules import LONG, SHORT
from tests.factories import (
    PARENT,
    SENCO,
    ChildBuilder,
    commanding,
    on,
)
from tests.support.invariants import (
    DAY,
    START,
    agreed_for,
    assert_accepted,
    assert_refused,
    consent,
    observation,
)

# --- text rules ----------------------------------------------------------------------------

TEXT_FIELDS = [
    pytest.param(cmd.RecordObservation, observation(), "notes", LONG, id="observation.notes"),
    pytest.param(
        cmd.RecordObservation, observation(), "observer", SHORT, id="observation.observer"
    ),
    pytest.param(
        cmd.RaiseConcern,
        {"concern_id": "k-1", "areas": ["physical"], "level": "low", "description": "Trips often"},
        "description",
        LONG,
        id="concern.description",
    ),
    pytest.param(
        cmd.RecordChildView,
        {"view": "I like blocks", "method": "Talking mat"},
        "view",
        LONG,
        id="child_view.view",
    ),
    pytest.param(
        cmd.RecordChildView,
        {"view": "I like blocks", "method": "Talking mat"},
        "method",
        SHORT,
        id="child_view.method",
    ),
    pytest.param(
        cmd.RecordContact,
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
        cmd.RecordContact,
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
        cmd.LinkPerson,
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
    pytest.param(cmd.PlaceLegalHold, {"reason": "Claim"}, "reason", LONG, id="hold.reason"),
    pytest.param(
        cmd.Correct,
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
    command: type[cmd.Command],
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
        commanding(app, command),
        child.child_id,
        on(DAY),
        **{**payload, field: value},
    )
    assert err.field == field


@pytest.mark.parametrize(("command", "payload", "field", "limit"), TEXT_FIELDS)
def test_given_a_text_over_its_limit_when_recorded_then_invalid_value_naming_it(
    child: ChildBuilder, command: type[cmd.Command], payload: dict[str, Any], field: str, limit: int
) -> None:
    agreed_for(child, command)
    app = child.app
    err = assert_refused(
        app,
        child,
        InvalidValue,
        commanding(app, command),
        child.child_id,
        on(DAY),
        **{**payload, field: "x" * (limit + 1)},
    )
    assert err.field == field


@pytest.mark.parametrize(("command", "payload", "field", "limit"), TEXT_FIELDS)
def test_given_a_text_at_its_limit_when_recorded_then_stored_stripped(
    child: ChildBuilder, command: type[cmd.Command], payload: dict[str, Any], field: str, limit: int
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
            cmd.RecordObservation,
            {**observation(), "area": "juggling"},
            "area",
            id="observation.area",
        ),
        pytest.param(cmd.RaiseConcern, {**CONCERN, "level": "severe"}, "level", id="concern.level"),
        pytest.param(
            cmd.RaiseConcern,
            {**CONCERN, "areas": ["physical", "juggling"]},
            "areas",
            id="concern.areas",
        ),
        pytest.param(cmd.RaiseConcern, {**CONCERN, "areas": []}, "areas", id="concern.no-areas"),
        pytest.param(
            cmd.RaiseConcern, {**CONCERN, "concern_id": "k 1"}, "concern_id", id="concern.bad-id"
        ),
        pytest.param(
            cmd.NotifyParent,
            {"method": "pigeon", "information_service_given": True},
            "method",
            id="notify.method",
        ),
        pytest.param(
            cmd.GiveConsent, consent(purpose="everything"), "purpose", id="consent.purpose"
        ),
        pytest.param(
            cmd.RecordContact,
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
            cmd.RecordProgressCheck,
            {"summary": "Typical", "areas_of_concern": ["juggling"]},
            "areas_of_concern",
            id="progress_check.areas",
        ),
        pytest.param(
            cmd.AssessTracking,
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
            cmd.AssessTracking,
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
            cmd.RecordAttendance,
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
            cmd.RecordAttendance,
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
            cmd.NoteExport,
            {"bundle_sha256": "ab" * 31, "as_of": None, "known_at": None, "purpose": "EHC request"},
            "bundle_sha256",
            id="export.short-digest",
        ),
    ],
)
def test_given_a_value_breaking_its_rule_when_recorded_then_invalid_value_naming_the_field(
    child: ChildBuilder, command: type[cmd.Command], payload: dict[str, Any], field: str
) -> None:
    agreed_for(child, command)
    app = child.app
    err = assert_refused(
        app,
        child,
        InvalidValue,
        commanding(app, command),
        child.child_id,
        on(DAY, PARENT if command == cmd.GiveConsent else SENCO),
        **payload,
    )
    assert err.field == field


@pytest.mark.parametrize(
    ("command", "payload", "kind"),
    [
        pytest.param(
            cmd.RaiseConcern,
            {**CONCERN, "areas": ["physical", "physical"]},
            ev.ConcernRaised,
            id="concern",
        ),
        pytest.param(
            cmd.NotifyParent,
            {"method": "meeting", "information_service_given": True},
            ev.ParentNotified,
            id="notify",
        ),
        pytest.param(
            cmd.RecordProgressCheck,
            {"summary": "Typical", "areas_of_concern": ["literacy"]},
            ev.ProgressCheckAtTwoRecorded,
            id="progress-check",
        ),
        pytest.param(
            cmd.AssessTracking,
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
            cmd.RecordAttendance,
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
            cmd.NoteExport,
            {"bundle_sha256": "ab" * 32, "as_of": None, "known_at": None, "purpose": "EHC request"},
            ev.EvidenceBundleExported,
            id="export",
        ),
    ],
)
def test_given_values_within_their_rules_when_recorded_then_stored(
    child: ChildBuilder,
    command: type[cmd.Command],
    payload: dict[str, Any],
    kind: type[ev.ChildEvent],
) -> None:
    assert_accepted(child, kind, command, DAY, **payload)


def test_given_repeated_areas_when_a_concern_is_raised_then_they_are_stored_once(
    child: ChildBuilder,
) -> None:
    event = assert_accepted(
        child,
        ev.ConcernRaised,
        cmd.RaiseConcern,
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
        commanding(child.app, cmd.NoteExport),
        child.child_id,
        on(DAY),
        bundle_sha256=digest,
        as_of=None,
        known_at=None,
        purpose="EHC request",
    )
    assert err.field == "bundle_sha256"
