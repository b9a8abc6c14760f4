"""Corrections, mistake marks and disputes: words about earlier entries."""

from __future__ import annotations

from typing import Any

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.envelope import RecordedBy
from domain.errors import (
    ParentViewProtected,
    UnknownReference,
)
from tests.factories import (
    PARENT,
    PRACTITIONER,
    SENCO,
    ChildBuilder,
    commanding,
    on,
)
from tests.support.invariants import (
    DAY,
    assert_accepted,
    assert_refused,
)

# --- corrections, mistakes, disputes -----------------------------------------------------


TARGETS = [
    pytest.param(cmd.Correct, "supersedes", {"statement": "Should read aunt"}, SENCO, id="correct"),
    pytest.param(
        cmd.MarkMistaken, "target_version", {"reason": "Wrong child"}, SENCO, id="mark-mistaken"
    ),
    pytest.param(
        cmd.Dispute,
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
    command: type[cmd.Command],
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
        commanding(app, command),
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
            cmd.Correct,
            "supersedes",
            {"statement": "Should read aunt"},
            SENCO,
            ev.RecordCorrected,
            id="correct",
        ),
        pytest.param(
            cmd.MarkMistaken,
            "target_version",
            {"reason": "Wrong child"},
            SENCO,
            ev.EntryMarkedMistaken,
            id="mark-mistaken",
        ),
        pytest.param(
            cmd.Dispute,
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
    command: type[cmd.Command],
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
    child.do(cmd.RecordParentView, DAY, PARENT, person_id="parent-1", view="He talks at home")
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
        commanding(child.app, cmd.Correct),
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
        commanding(child.app, cmd.MarkMistaken),
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
        cmd.Correct,
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
    child.do(cmd.Dispute, DAY, PARENT, target_version=2, person_id="parent-1", comment="Not so")
    err = assert_refused(
        child.app,
        child,
        ParentViewProtected,
        commanding(child.app, cmd.MarkMistaken),
        child.child_id,
        on(DAY),
        target_version=3,
        reason="Wrong",
    )
    assert err.field == "target_version"


def test_given_a_parents_dispute_when_staff_correct_it_then_parent_view_protected(
    child: ChildBuilder,
) -> None:
    child.do(cmd.Dispute, DAY, PARENT, target_version=2, person_id="parent-1", comment="Not so")
    err = assert_refused(
        child.app,
        child,
        ParentViewProtected,
        commanding(child.app, cmd.Correct),
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
    child.do(cmd.Correct, DAY, PARENT, supersedes=3, statement="He talks a lot at home")
    err = assert_refused(
        child.app,
        child,
        ParentViewProtected,
        commanding(child.app, cmd.MarkMistaken),
        child.child_id,
        on(DAY),
        target_version=4,
        reason="Staff disagree",
    )
    assert err.field == "target_version"
