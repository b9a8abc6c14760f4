"""Ids are used once per record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.errors import (
    ChildExists,
    InvalidValue,
)
from tests.factories import (
    PARENT,
    SENCO,
    SETTING,
    ChildBuilder,
    commanding,
    on,
    outcome,
    with_plan,
    with_provision,
)
from tests.support.invariants import (
    BORN,
    DAY,
    REVIEW_DAY,
    START,
    assert_accepted,
    assert_refused,
    consent,
    provision,
    referral,
    report,
)

# --- ids are used once per record ----------------------------------------------------------


def _already_linked(child: ChildBuilder) -> None:
    assert "parent-1" in child.app.get_child(child.child_id).people


def _setup_report(child: ChildBuilder) -> None:
    child.do(cmd.ReceiveReport, DAY, **report())


def _setup_consent(child: ChildBuilder) -> None:
    child.do(cmd.GiveConsent, DAY, PARENT, **consent())


def _setup_referral(child: ChildBuilder) -> None:
    child.do(cmd.GiveConsent, DAY, PARENT, **consent())
    child.do(cmd.MakeReferral, DAY, **referral())


@pytest.mark.parametrize(
    ("setup", "command", "payload", "field"),
    [
        pytest.param(
            _already_linked,
            cmd.LinkPerson,
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
            cmd.StartProvision,
            provision("prov-1"),
            "provision_id",
            id="provision_id",
        ),
        pytest.param(
            with_plan,
            cmd.IssuePlan,
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
            _setup_consent, cmd.GiveConsent, consent(), "consent_id", id="consent_id-given"
        ),
        pytest.param(
            _setup_consent,
            cmd.RefuseConsent,
            {
                "consent_id": "c-1",
                "purpose": "photographs",
                "service": "",
                "refused_by": "parent-1",
            },
            "consent_id",
            id="consent_id-refused",
        ),
        pytest.param(_setup_report, cmd.ReceiveReport, report(), "report_id", id="report_id"),
        pytest.param(
            _setup_referral, cmd.MakeReferral, referral(), "referral_id", id="referral_id"
        ),
    ],
)
def test_given_an_id_already_used_on_the_record_when_reused_then_invalid_value(
    child: ChildBuilder,
    setup: Callable[[ChildBuilder], object],
    command: type[cmd.Command],
    payload: dict[str, Any],
    field: str,
) -> None:
    setup(child)
    app = child.app
    err = assert_refused(
        app,
        child,
        InvalidValue,
        commanding(app, command),
        child.child_id,
        on(DAY, PARENT if "Consent" in command.__name__ else SENCO),
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
        cmd.IssuePlan,
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
        app.register(
            cmd.RegisterChild(
                given_name="ZZ-MARKER-42",
                family_name="Example",
                date_of_birth=BORN,
                setting_id=SETTING,
                child_id=child.child_id,
            ),
            on(DAY),
        )
    assert type(caught.value) is ChildExists
    assert caught.value.field == "child_id"
    assert "ZZ-MARKER-42" not in str(caught.value)
    assert len(app.history(child.child_id)) == 2
    assert app.get_child(child.child_id).given_name == "Testy"
    assert list(app.child_ids()) == [child.child_id]
