"""Legal hold and restriction; outside professionals and dates inside the data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.errors import (
    ConsentRequired,
    InvalidValue,
)
from tests.factories import (
    PARENT,
    ChildBuilder,
    commanding,
    on,
)
from tests.support.invariants import (
    DAY,
    agreed_for,
    assert_accepted,
    assert_refused,
)

# --- legal hold and restriction ------------------------------------------------------------


@pytest.mark.parametrize(
    ("place", "lift", "placed", "lifted"),
    [
        pytest.param(
            cmd.PlaceLegalHold,
            cmd.LiftLegalHold,
            ev.LegalHoldPlaced,
            ev.LegalHoldLifted,
            id="legal-hold",
        ),
        pytest.param(
            cmd.RestrictProcessing,
            cmd.LiftRestriction,
            ev.ProcessingRestricted,
            ev.ProcessingRestrictionLifted,
            id="restriction",
        ),
    ],
)
def test_given_a_hold_or_restriction_when_placed_twice_or_lifted_twice_then_invalid_value(
    child: ChildBuilder,
    place: type[cmd.Command],
    lift: type[cmd.Command],
    placed: type[ev.ChildEvent],
    lifted: type[ev.ChildEvent],
) -> None:
    app = child.app
    err = assert_refused(
        app,
        child,
        InvalidValue,
        commanding(app, lift),
        child.child_id,
        on(DAY),
        reason="Nothing to lift",
    )
    assert err.field == "reason"
    assert_accepted(child, placed, place, DAY, reason="Accuracy contested")
    err = assert_refused(
        app, child, InvalidValue, commanding(app, place), child.child_id, on(DAY), reason="Again"
    )
    assert err.field == "reason"
    assert_accepted(child, lifted, lift, DAY, reason="Resolved")
    err = assert_refused(
        app, child, InvalidValue, commanding(app, lift), child.child_id, on(DAY), reason="Again"
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
        commanding(child.app, cmd.RecordContact),
        child.child_id,
        on(DAY),
        **CONTACT,
    )
    assert err.field == "consent"


def test_given_a_withdrawn_agreement_when_a_professional_is_contacted_then_consent_required(
    child: ChildBuilder,
) -> None:
    agreed_for(child, cmd.RecordContact)
    child.do(cmd.WithdrawConsent, DAY, PARENT, consent_id="contact", withdrawn_by="parent-1")
    assert_refused(
        child.app,
        child,
        ConsentRequired,
        commanding(child.app, cmd.RecordContact),
        child.child_id,
        on(DAY),
        **CONTACT,
    )


def test_given_parental_agreement_when_a_professional_is_contacted_then_stored(
    child: ChildBuilder,
) -> None:
    agreed_for(child, cmd.RecordContact)
    assert_accepted(child, ev.ProfessionalContact, cmd.RecordContact, DAY, **CONTACT)


@pytest.mark.parametrize(
    ("command", "payload", "field"),
    [
        pytest.param(
            cmd.DeliverSession,
            {"provision_id": "prov-1", "minutes": 20, "notes": ""},
            "session_date",
            id="session-delivered",
        ),
        pytest.param(
            cmd.MissSession,
            {"provision_id": "prov-1", "reason": "Ill"},
            "session_date",
            id="session-missed",
        ),
        pytest.param(
            cmd.EndProvision,
            {"provision_id": "prov-1", "reason": "Met"},
            "end_date",
            id="provision-end",
        ),
    ],
)
def test_given_a_date_after_the_entry_when_recorded_then_invalid_value(
    planned: ChildBuilder, command: type[cmd.Command], payload: dict[str, Any], field: str
) -> None:
    err = assert_refused(
        planned.app,
        planned,
        InvalidValue,
        commanding(planned.app, command),
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
    child.do(cmd.RaiseConcern, DAY, **concern)
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        commanding(child.app, cmd.RaiseConcern),
        child.child_id,
        on(DAY),
        **concern,
    )
    assert err.field == "concern_id"
