"""Consent and referrals (CoP 6.47: a referral needs a live consent)."""

from __future__ import annotations

from typing import Any

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.errors import (
    ConsentRequired,
    InvalidValue,
    UnknownReference,
)
from tests.factories import (
    PARENT,
    ChildBuilder,
    commanding,
    on,
)
from tests.support.invariants import (
    DAY,
    assert_accepted,
    assert_refused,
    consent,
    referral,
)

# --- consent and referrals -----------------------------------------------------------------


def test_given_a_live_referral_consent_when_referred_then_stored(child: ChildBuilder) -> None:
    child.do(cmd.GiveConsent, DAY, PARENT, **consent())
    event = assert_accepted(child, ev.ReferralMade, cmd.MakeReferral, DAY, **referral())
    assert isinstance(event, ev.ReferralMade)
    assert event.consent_id == "c-1"


def test_given_no_consent_when_referred_then_consent_required(child: ChildBuilder) -> None:
    err = assert_refused(
        child.app,
        child,
        ConsentRequired,
        commanding(child.app, cmd.MakeReferral),
        child.child_id,
        on(DAY),
        **referral("c-404"),
    )
    assert err.field == "consent_id"


def test_given_a_refused_consent_when_referred_then_consent_required(child: ChildBuilder) -> None:
    child.do(
        cmd.RefuseConsent,
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
        commanding(child.app, cmd.MakeReferral),
        child.child_id,
        on(DAY),
        **referral(),
    )
    assert err.field == "consent_id"


def test_given_a_withdrawn_consent_when_referred_then_consent_required(
    child: ChildBuilder,
) -> None:
    child.do(cmd.GiveConsent, DAY, PARENT, **consent())
    child.do(cmd.WithdrawConsent, DAY, PARENT, consent_id="c-1", withdrawn_by="parent-1")
    err = assert_refused(
        child.app,
        child,
        ConsentRequired,
        commanding(child.app, cmd.MakeReferral),
        child.child_id,
        on(DAY),
        **referral(),
    )
    assert err.field == "consent_id"


def test_given_consent_for_another_purpose_when_referred_then_consent_required(
    child: ChildBuilder,
) -> None:
    child.do(cmd.GiveConsent, DAY, PARENT, **consent(purpose="share_with_la"))
    err = assert_refused(
        child.app,
        child,
        ConsentRequired,
        commanding(child.app, cmd.MakeReferral),
        child.child_id,
        on(DAY),
        **referral(),
    )
    assert err.field == "consent_id"


def test_given_consent_to_refer_to_another_service_when_referred_then_consent_required(
    child: ChildBuilder,
) -> None:
    child.do(cmd.GiveConsent, DAY, PARENT, **consent())  # for SALT
    err = assert_refused(
        child.app,
        child,
        ConsentRequired,
        commanding(child.app, cmd.MakeReferral),
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
    child.do(cmd.GiveConsent, DAY, PARENT, **consent())  # for "SALT"
    event = assert_accepted(
        child, ev.ReferralMade, cmd.MakeReferral, DAY, **{**referral(), "service": " salt "}
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
        commanding(child.app, cmd.GiveConsent),
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
        cmd.GiveConsent,
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
        pytest.param(cmd.GiveConsent, {**consent(), "given_by": "stranger"}, "given_by", id="give"),
        pytest.param(
            cmd.RefuseConsent,
            {"consent_id": "c-1", "purpose": "referral", "service": "", "refused_by": "stranger"},
            "refused_by",
            id="refuse",
        ),
        pytest.param(
            cmd.RecordParentView,
            {"person_id": "stranger", "view": "Hello"},
            "person_id",
            id="parent-view",
        ),
        pytest.param(
            cmd.Dispute,
            {"target_version": 2, "person_id": "stranger", "comment": "No"},
            "person_id",
            id="dispute",
        ),
    ],
)
def test_given_a_person_not_linked_when_named_then_unknown_reference(
    child: ChildBuilder, command: type[cmd.Command], payload: dict[str, Any], field: str
) -> None:
    app = child.app
    err = assert_refused(
        app,
        child,
        UnknownReference,
        commanding(app, command),
        child.child_id,
        on(DAY, PARENT),
        **payload,
    )
    assert err.field == field


def test_given_a_live_consent_when_withdrawn_then_stored(child: ChildBuilder) -> None:
    child.do(cmd.GiveConsent, DAY, PARENT, **consent())
    assert_accepted(
        child,
        ev.ConsentWithdrawn,
        cmd.WithdrawConsent,
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
        commanding(child.app, cmd.WithdrawConsent),
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
            cmd.RefuseConsent,
            DAY,
            PARENT,
            consent_id="c-1",
            purpose="referral",
            service="SALT",
            refused_by="parent-1",
        )
    else:
        child.do(cmd.GiveConsent, DAY, PARENT, **consent())
        child.do(cmd.WithdrawConsent, DAY, PARENT, consent_id="c-1", withdrawn_by="parent-1")
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        commanding(child.app, cmd.WithdrawConsent),
        child.child_id,
        on(DAY, PARENT),
        consent_id="c-1",
        withdrawn_by="parent-1",
    )
    assert err.field == "consent_id"
