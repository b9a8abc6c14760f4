"""Registration, and a child who left: what may still be recorded."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.application import ChildRecords
from domain.envelope import RecordedBy
from domain.errors import (
    BeforeBirth,
    ChildNotFound,
    InvalidValue,
    RecordClosed,
)
from domain.rules import SHORT
from tests.factories import (
    PARENT,
    SENCO,
    SETTING,
    ChildBuilder,
    commanding,
    on,
)
from tests.support.invariants import (
    AFTER_LEFT,
    BORN,
    DAY,
    assert_accepted,
    assert_refused,
    consent,
    observation,
    provision,
    report,
)

# --- registration: who, and that the child exists --------------------------------------


@pytest.mark.parametrize(
    ("command", "payload"),
    [
        pytest.param(cmd.RecordObservation, observation(), id="observation"),
        pytest.param(cmd.Leave, {"destination": "", "reason": ""}, id="leave"),
        pytest.param(cmd.Correct, {"supersedes": 1, "statement": "Wrong"}, id="correct"),
        pytest.param(cmd.PlaceLegalHold, {"reason": "Claim"}, id="legal-hold"),
        pytest.param(cmd.Enrol, {"setting_id": SETTING}, id="enrol"),
    ],
)
def test_given_an_unregistered_child_when_a_command_runs_then_child_not_found_and_nothing_stored(
    child: ChildBuilder, command: type[cmd.Command], payload: dict[str, Any]
) -> None:
    app = child.app
    unknown = uuid4()
    with pytest.raises(ChildNotFound) as caught:
        commanding(app, command)(unknown, on(DAY), **payload)
    assert caught.value.field == "child_id"
    with pytest.raises(ChildNotFound):
        app.history(unknown)
    with pytest.raises(ChildNotFound):
        app.get_child(unknown)
    assert list(app.child_ids()) == [child.child_id]
    assert len(app.history(child.child_id)) == 2


def test_given_a_registration_when_accepted_then_the_record_starts_at_version_one(
    memory_records: ChildRecords,
) -> None:
    child_id = memory_records.register(
        cmd.RegisterChild(
            given_name=" Ada ", family_name="Example", date_of_birth=BORN, setting_id=SETTING
        ),
        on(date(2024, 9, 2)),
    )
    history = memory_records.history(child_id)
    assert memory_records.get_child(child_id).version == 1
    assert len(history) == 1
    assert isinstance(history[0], ev.ChildRegistered)
    assert memory_records.get_child(child_id).given_name == "Ada"


def test_given_a_registration_dated_before_birth_when_registered_then_before_birth(
    memory_records: ChildRecords,
) -> None:
    with pytest.raises(BeforeBirth) as caught:
        memory_records.register(
            cmd.RegisterChild(
                given_name="Ada", family_name="Example", date_of_birth=BORN, setting_id=SETTING
            ),
            on(date(2023, 2, 28)),
        )
    assert caught.value.field == "occurred_at"
    assert list(memory_records.child_ids()) == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"given_name": " "}, "given_name", id="empty-given-name"),
        pytest.param({"family_name": "x" * (SHORT + 1)}, "family_name", id="long-family-name"),
        pytest.param({"setting_id": "no spaces allowed"}, "setting_id", id="bad-setting-id"),
    ],
)
def test_given_bad_registration_values_when_registered_then_invalid_value_and_nothing_stored(
    memory_records: ChildRecords, overrides: dict[str, Any], field: str
) -> None:
    values: dict[str, Any] = {
        "given_name": "Ada",
        "family_name": "Example",
        "date_of_birth": BORN,
        "setting_id": SETTING,
        **overrides,
    }
    with pytest.raises(InvalidValue) as caught:
        memory_records.register(cmd.RegisterChild(**values), on(date(2024, 9, 2)))
    assert type(caught.value) is InvalidValue
    assert caught.value.field == field
    assert list(memory_records.child_ids()) == []


# --- a child who left --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "by", "payload", "kind"),
    [
        pytest.param(
            cmd.Correct,
            SENCO,
            {"supersedes": 2, "statement": "Relationship is aunt"},
            ev.RecordCorrected,
            id="correction",
        ),
        pytest.param(
            cmd.MarkMistaken,
            SENCO,
            {"target_version": 2, "reason": "Wrong child"},
            ev.EntryMarkedMistaken,
            id="mark-mistaken",
        ),
        pytest.param(
            cmd.Dispute,
            PARENT,
            {"target_version": 2, "person_id": "parent-1", "comment": "Not so"},
            ev.EntryDisputed,
            id="dispute",
        ),
        pytest.param(
            cmd.RecordParentView,
            PARENT,
            {"person_id": "parent-1", "view": "She loved it there"},
            ev.ParentViewRecorded,
            id="parent-view",
        ),
        pytest.param(
            cmd.Enrol, SENCO, {"setting_id": "new-setting"}, ev.ChildEnrolled, id="re-enrol"
        ),
        pytest.param(cmd.ReceiveReport, SENCO, report(), ev.ReportReceived, id="late-report"),
        pytest.param(
            cmd.PlaceLegalHold,
            SENCO,
            {"reason": "Claim notified"},
            ev.LegalHoldPlaced,
            id="legal-hold",
        ),
    ],
)
def test_given_a_child_who_left_when_an_allowed_entry_is_recorded_then_it_is_stored(
    left: ChildBuilder,
    command: type[cmd.Command],
    by: RecordedBy,
    payload: dict[str, Any],
    kind: type[ev.ChildEvent],
) -> None:
    assert_accepted(left, kind, command, AFTER_LEFT, by, **payload)


@pytest.mark.parametrize(
    ("command", "payload"),
    [
        pytest.param(cmd.RecordObservation, observation(), id="observation"),
        pytest.param(cmd.Leave, {"destination": "", "reason": ""}, id="leave-again"),
        pytest.param(cmd.Transfer, {"to_setting": "other-setting"}, id="transfer"),
        pytest.param(cmd.GiveConsent, consent(), id="consent"),
        pytest.param(cmd.StartProvision, provision(), id="provision"),
        pytest.param(
            cmd.SubmitEhcRequest,
            {"request_date": AFTER_LEFT, "local_authority": "LA", "reason": "Needs"},
            id="ehc-request",
        ),
    ],
)
def test_given_a_child_who_left_when_new_work_is_recorded_then_record_closed(
    left: ChildBuilder, command: type[cmd.Command], payload: dict[str, Any]
) -> None:
    app = left.app
    assert_refused(
        app, left, RecordClosed, commanding(app, command), left.child_id, on(AFTER_LEFT), **payload
    )


def test_given_a_child_who_left_and_re_enrolled_when_observed_then_stored(
    left: ChildBuilder,
) -> None:
    left.do(cmd.Enrol, AFTER_LEFT, setting_id="new-setting")
    assert_accepted(
        left, ev.ObservationRecorded, cmd.RecordObservation, AFTER_LEFT, **observation()
    )
    assert left.app.get_child(left.child_id).setting_id == "new-setting"


def test_given_an_enrolled_child_when_enrolled_again_then_record_closed(
    child: ChildBuilder,
) -> None:
    assert_refused(
        child.app,
        child,
        RecordClosed,
        commanding(child.app, cmd.Enrol),
        child.child_id,
        on(DAY),
        setting_id="other-setting",
    )


def test_given_a_child_when_transferred_to_their_current_setting_then_invalid_value(
    child: ChildBuilder,
) -> None:
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        commanding(child.app, cmd.Transfer),
        child.child_id,
        on(DAY),
        to_setting=SETTING,
    )
    assert err.field == "to_setting"
    assert_accepted(child, ev.ChildTransferred, cmd.Transfer, DAY, to_setting="other-setting")
