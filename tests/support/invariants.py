"""Helpers for the domain invariant tests (tests/unit/invariants): run a command and
prove it was accepted with one event of its kind, or refused with the exact error and
nothing stored; and payloads that pass every rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, ParamSpec, TypeVar

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.application import ChildRecords
from domain.envelope import RecordedBy
from domain.errors import (
    DomainError,
)
from tests.factories import (
    PARENT,
    SENCO,
    ChildBuilder,
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
    command: type[cmd.Command],
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


def agreed_for(child: ChildBuilder, command: type[cmd.Command]) -> None:
    """Contacting a professional needs the parents' agreement first (CoP 6.47)."""
    if command == cmd.RecordContact:
        child.do(
            cmd.GiveConsent,
            DAY,
            PARENT,
            consent_id="contact",
            purpose="contact_professional",
            service="",
            given_by="parent-1",
        )
