"""Key person / SENCO discussions and their outcomes."""

from __future__ import annotations

from typing import Any

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.application import ChildRecords
from domain.errors import (
    InvalidValue,
)
from tests.factories import (
    NOW,
    ChildBuilder,
    commanding,
    on,
    register,
)
from tests.support.invariants import (
    DAY,
    assert_accepted,
    assert_refused,
    discussion,
)

# --- discussions -------------------------------------------------------------------------


def test_given_an_outcome_outside_the_vocabulary_when_discussed_then_invalid_value(
    child: ChildBuilder,
) -> None:
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        commanding(child.app, cmd.HoldDiscussion),
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
        commanding(child.app, cmd.HoldDiscussion),
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
        cmd.HoldDiscussion,
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
            child,
            ev.DiscussionHeld,
            cmd.HoldDiscussion,
            DAY,
            **discussion(outcome="watch_and_wait"),
        )
        assert isinstance(event, ev.DiscussionHeld)
        assert event.outcome == "watch_and_wait"
        assert_accepted(
            child,
            ev.DiscussionHeld,
            cmd.HoldDiscussion,
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
        commanding(child.app, cmd.HoldDiscussion),
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
        cmd.HoldDiscussion,
        DAY,
        **discussion(outcome="no_current_concern", hypothesis=""),
    )
