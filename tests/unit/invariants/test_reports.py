"""Outside reports and what was done with their recommendations."""

from __future__ import annotations

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.errors import (
    InvalidValue,
    UnknownReference,
)
from tests.factories import (
    ChildBuilder,
    commanding,
    on,
)
from tests.support.invariants import (
    DAY,
    assert_accepted,
    assert_refused,
    report,
)

# --- reports and recommendations -------------------------------------------------------------


def test_given_a_report_when_a_recommendation_is_actioned_then_stored(
    child: ChildBuilder,
) -> None:
    child.do(cmd.ReceiveReport, DAY, **report())
    assert_accepted(
        child,
        ev.RecommendationActioned,
        cmd.ActionRecommendation,
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
    child.do(cmd.ReceiveReport, DAY, **report())
    err = assert_refused(
        child.app,
        child,
        UnknownReference,
        commanding(child.app, cmd.ActionRecommendation),
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
    child.do(cmd.ReceiveReport, DAY, **report("rep-1"))
    child.do(
        cmd.ReceiveReport,
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
        commanding(child.app, cmd.ActionRecommendation),
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
        commanding(child.app, cmd.ReceiveReport),
        child.child_id,
        on(DAY),
        **{**report(), "recommendations": recs},
    )
    assert err.field == "recommendations"


def test_given_an_action_outside_the_vocabulary_then_invalid_value(child: ChildBuilder) -> None:
    child.do(cmd.ReceiveReport, DAY, **report())
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        commanding(child.app, cmd.ActionRecommendation),
        child.child_id,
        on(DAY),
        report_id="rep-1",
        recommendation_id="r1",
        action="ignored",
        detail="Not done",
    )
    assert err.field == "action"
