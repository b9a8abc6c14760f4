"""Optimistic concurrency, and snapshots that do not change the rules."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.application import ChildRecords
from domain.errors import (
    ConsentRequired,
    ParentViewProtected,
    ProvisionClosed,
    UnknownReference,
    VersionConflict,
)
from tests.factories import (
    NOW,
    PARENT,
    ChildBuilder,
    commanding,
    on,
    register,
    with_parent,
    with_plan,
    with_provision,
)
from tests.support.invariants import (
    DAY,
    REVIEW_DAY,
    assert_accepted,
    assert_refused,
    consent,
    observation,
    referral,
    review,
)

# --- optimistic concurrency ----------------------------------------------------------------


@pytest.mark.parametrize("expected", [1, 3], ids=["stale", "ahead"])
def test_given_a_wrong_expected_version_when_a_command_runs_then_version_conflict(
    child: ChildBuilder, expected: int
) -> None:
    err = assert_refused(
        child.app,
        child,
        VersionConflict,
        commanding(child.app, cmd.RecordObservation),
        child.child_id,
        on(DAY),
        expected_version=expected,
        **observation(),
    )
    assert err.field == "expected_version"
    assert (err.expected, err.actual) == (expected, 2)


def test_given_the_current_expected_version_when_a_command_runs_then_stored(
    child: ChildBuilder,
) -> None:
    version = child.app.handle(
        child.child_id, cmd.RecordObservation(**observation()), on(DAY), expected_version=2
    )
    assert version == 3
    assert type(child.app.history(child.child_id)[-1]) is ev.ObservationRecorded


def test_given_another_writer_saved_first_when_a_command_runs_then_version_conflict(
    child: ChildBuilder,
) -> None:
    app = child.app
    child.do(cmd.RecordObservation, DAY, **observation("First writer"))
    err = assert_refused(
        app,
        child,
        VersionConflict,
        commanding(app, cmd.RecordObservation),
        child.child_id,
        on(DAY),
        expected_version=2,
        **observation("Second writer"),
    )
    assert (err.expected, err.actual) == (2, 3)
    last = app.history(child.child_id)[-1]
    assert isinstance(last, ev.ObservationRecorded)
    assert last.notes == "First writer"


def test_given_a_write_between_load_and_save_when_saved_then_version_conflict_not_stored(
    child: ChildBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without expected_version, a concurrent write is caught by the store's version check."""
    app = child.app
    load = app.get_child
    interleaved: list[int] = []
    calls: list[UUID] = []

    def load_then_let_another_writer_in(child_id: UUID, *, version: int | None = None) -> Any:
        loaded = load(child_id, version=version)
        calls.append(child_id)
        if len(calls) == 1:  # only the first load: the other writer's own load passes through
            interleaved.append(
                app.handle(child_id, cmd.RecordObservation(**observation("Other writer")), on(DAY))
            )
        return loaded

    monkeypatch.setattr(app, "get_child", load_then_let_another_writer_in)
    with pytest.raises(VersionConflict) as caught:
        app.handle(child.child_id, cmd.RecordObservation(**observation("Late writer")), on(DAY))
    monkeypatch.undo()
    assert interleaved == [3]
    assert (caught.value.expected, caught.value.actual) == (2, 3)
    history = app.history(child.child_id)
    assert len(history) == 3
    assert app.get_child(child.child_id).version == 3
    last = history[-1]
    assert isinstance(last, ev.ObservationRecorded)
    assert last.notes == "Other writer"


# --- snapshots do not change the rules ----------------------------------------------------


def test_given_a_record_restored_from_snapshots_when_commands_run_then_the_rules_still_hold() -> (
    None
):
    app = ChildRecords(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=lambda: NOW, snapshot_interval=3
    )
    try:
        child = with_plan(with_provision(with_parent(register(app))))
        child.do(cmd.RecordParentView, DAY, PARENT, person_id="parent-1", view="Happy")
        child.do(cmd.GiveConsent, DAY, PARENT, **consent())
        child.do(cmd.WithdrawConsent, DAY, PARENT, consent_id="c-1", withdrawn_by="parent-1")
        child.do(cmd.EndProvision, DAY, provision_id="prov-1", end_date=DAY, reason="Met")
        assert child.version == 8
        assert app.snapshots is not None
        assert [s.originator_version for s in app.snapshots.get(child.child_id)] == [3, 6]
        restored = app.get_child(child.child_id)
        assert restored.kinds[4] == "ParentViewRecorded"
        assert restored.provisions["prov-1"]["end_date"] == DAY
        assert restored.plans["plan-1"]["outcome_ids"] == ["o1"]
        assert restored.consents["c-1"]["state"] == "withdrawn"
        assert_refused(
            app,
            child,
            ProvisionClosed,
            commanding(app, cmd.DeliverSession),
            child.child_id,
            on(DAY),
            provision_id="prov-1",
            session_date=DAY,
            minutes=20,
        )
        assert_refused(
            app,
            child,
            ParentViewProtected,
            commanding(app, cmd.Correct),
            child.child_id,
            on(DAY),
            supersedes=5,
            statement="Not happy",
        )
        assert_refused(
            app,
            child,
            ConsentRequired,
            commanding(app, cmd.MakeReferral),
            child.child_id,
            on(DAY),
            **referral(),
        )
        assert_refused(
            app,
            child,
            UnknownReference,
            commanding(app, cmd.MarkMistaken),
            child.child_id,
            on(DAY),
            target_version=9,
            reason="No such entry",
        )
        assert_accepted(child, ev.ReviewHeld, cmd.HoldReview, REVIEW_DAY, **review())
    finally:
        app.close()
