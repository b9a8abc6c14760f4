"""Reviews of a plan: progress per outcome, impact per provision."""

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
    REVIEW_DAY,
    assert_accepted,
    assert_refused,
    review,
)

# --- reviews -----------------------------------------------------------------------------


def test_given_a_plan_and_provision_when_reviewed_then_stored(planned: ChildBuilder) -> None:
    assert_accepted(planned, ev.ReviewHeld, cmd.HoldReview, REVIEW_DAY, **review())
    plan = planned.app.get_child(planned.child_id).plans["plan-1"]
    assert plan["reviews"] == 1
    assert plan["review_date"] == date(2025, 6, 2)


def test_given_a_stop_decision_when_reviewed_without_next_date_then_stored(
    planned: ChildBuilder,
) -> None:
    assert_accepted(
        planned,
        ev.ReviewHeld,
        cmd.HoldReview,
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
        commanding(planned.app, cmd.HoldReview),
        planned.child_id,
        on(REVIEW_DAY),
        **review(**overrides),
    )
    assert err.field == field


def test_given_an_outcome_of_another_plan_when_reviewed_then_unknown_reference(
    planned: ChildBuilder,
) -> None:
    planned.do(
        cmd.IssuePlan,
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
        commanding(planned.app, cmd.HoldReview),
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
        commanding(planned.app, cmd.HoldReview),
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
        commanding(planned.app, cmd.HoldReview),
        planned.child_id,
        on(REVIEW_DAY),
        **review(**overrides),
    )
    assert err.field == field
