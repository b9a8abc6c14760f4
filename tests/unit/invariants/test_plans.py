"""Support plans: outcomes, review dates, provisions named."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.errors import (
    InvalidValue,
    PlanInvalid,
    UnknownReference,
)
from tests.factories import (
    ChildBuilder,
    commanding,
    on,
    outcome,
)
from tests.support.invariants import (
    DAY,
    START,
    assert_accepted,
    assert_refused,
)

# --- support plans -----------------------------------------------------------------------


def test_given_outcomes_and_a_later_review_date_when_plan_issued_then_stored(
    child: ChildBuilder,
) -> None:
    event = assert_accepted(
        child,
        ev.SupportPlanIssued,
        cmd.IssuePlan,
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
        commanding(child.app, cmd.IssuePlan),
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
        commanding(child.app, cmd.IssuePlan),
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
        commanding(child.app, cmd.IssuePlan),
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
        commanding(child.app, cmd.IssuePlan),
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
        commanding(child.app, cmd.IssuePlan),
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
        cmd.RevisePlan,
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
        commanding(planned.app, cmd.RevisePlan),
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
        commanding(planned.app, cmd.RevisePlan),
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
        commanding(planned.app, cmd.RevisePlan),
        planned.child_id,
        on(DAY),
        plan_id="plan-1",
        review_date=date(2025, 4, 7),
        outcomes=[outcome(target=START - timedelta(days=1))],
        provision_ids=[],
        reason="R",
    )
    assert err.field == "outcomes[0].target_date"
