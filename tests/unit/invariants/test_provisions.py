"""Provision: start, change, end, sessions delivered or missed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.errors import (
    InvalidValue,
    ProvisionClosed,
    UnknownReference,
)
from tests.factories import (
    ChildBuilder,
    commanding,
    on,
)
from tests.support.invariants import (
    DAY,
    START,
    assert_accepted,
    assert_refused,
    provision,
)

# --- provisions ----------------------------------------------------------------------------


def test_given_a_costed_provision_when_started_then_stored_with_pence(child: ChildBuilder) -> None:
    event = assert_accepted(
        child, ev.ProvisionStarted, cmd.StartProvision, START, **provision(cost="180.5")
    )
    assert isinstance(event, ev.ProvisionStarted)
    assert event.cost == Decimal("180.50")


def test_given_a_provision_when_ended_on_its_start_day_then_stored(planned: ChildBuilder) -> None:
    assert_accepted(
        planned,
        ev.ProvisionEnded,
        cmd.EndProvision,
        START,
        provision_id="prov-1",
        end_date=START,
        reason="Did not suit",
    )


def test_given_a_provision_when_ended_before_it_started_then_provision_closed(
    planned: ChildBuilder,
) -> None:
    err = assert_refused(
        planned.app,
        planned,
        ProvisionClosed,
        commanding(planned.app, cmd.EndProvision),
        planned.child_id,
        on(DAY),
        provision_id="prov-1",
        end_date=START - timedelta(days=1),
        reason="Typo",
    )
    assert err.field == "end_date"


@pytest.mark.parametrize(
    ("command", "payload"),
    [
        pytest.param(
            cmd.ChangeProvision,
            {"provision_id": "prov-1", "changes": {"weeks": 12}, "reason": "More"},
            id="change",
        ),
        pytest.param(
            cmd.EndProvision,
            {"provision_id": "prov-1", "end_date": date(2025, 3, 20), "reason": "x"},
            id="end-again",
        ),
        pytest.param(
            cmd.DeliverSession,
            {"provision_id": "prov-1", "session_date": date(2025, 3, 3), "minutes": 20},
            id="deliver",
        ),
        pytest.param(
            cmd.DeliverSession,
            {"provision_id": "prov-1", "session_date": date(2025, 2, 10), "minutes": 20},
            id="deliver-dated-before-the-end",
        ),
        pytest.param(
            cmd.MissSession,
            {"provision_id": "prov-1", "session_date": date(2025, 3, 3), "reason": "Absent"},
            id="miss",
        ),
    ],
)
def test_given_an_ended_provision_when_changed_ended_or_logged_then_provision_closed(
    planned: ChildBuilder, command: type[cmd.Command], payload: dict[str, Any]
) -> None:
    planned.do(
        cmd.EndProvision,
        date(2025, 3, 1),
        provision_id="prov-1",
        end_date=date(2025, 3, 1),
        reason="Outcome met",
    )
    app = planned.app
    err = assert_refused(
        app,
        planned,
        ProvisionClosed,
        commanding(app, command),
        planned.child_id,
        on(date(2025, 3, 3)),
        **payload,
    )
    assert err.field == "provision_id"


@pytest.mark.parametrize(
    ("command", "extra", "kind"),
    [
        pytest.param(
            cmd.DeliverSession, {"minutes": 20, "notes": ""}, ev.SessionDelivered, id="deliver"
        ),
        pytest.param(cmd.MissSession, {"reason": "Staff absent"}, ev.SessionMissed, id="miss"),
    ],
)
def test_given_a_session_on_or_before_the_start_when_logged_then_only_the_start_day_is_accepted(
    planned: ChildBuilder,
    command: type[cmd.Command],
    extra: dict[str, Any],
    kind: type[ev.ChildEvent],
) -> None:
    app = planned.app
    err = assert_refused(
        app,
        planned,
        ProvisionClosed,
        commanding(app, command),
        planned.child_id,
        on(DAY),
        provision_id="prov-1",
        session_date=START - timedelta(days=1),
        **extra,
    )
    assert err.field == "session_date"
    assert_accepted(
        planned, kind, command, START, provision_id="prov-1", session_date=START, **extra
    )


@pytest.mark.parametrize(
    ("command", "payload"),
    [
        pytest.param(
            cmd.ChangeProvision,
            {"provision_id": "prov-404", "changes": {"weeks": 12}, "reason": "x"},
            id="change",
        ),
        pytest.param(
            cmd.EndProvision, {"provision_id": "prov-404", "end_date": DAY, "reason": "x"}, id="end"
        ),
        pytest.param(
            cmd.DeliverSession,
            {"provision_id": "prov-404", "session_date": DAY, "minutes": 20},
            id="deliver",
        ),
        pytest.param(
            cmd.MissSession,
            {"provision_id": "prov-404", "session_date": DAY, "reason": "x"},
            id="miss",
        ),
    ],
)
def test_given_an_unknown_provision_when_named_then_unknown_reference(
    planned: ChildBuilder, command: type[cmd.Command], payload: dict[str, Any]
) -> None:
    app = planned.app
    err = assert_refused(
        app,
        planned,
        UnknownReference,
        commanding(app, command),
        planned.child_id,
        on(DAY),
        **payload,
    )
    assert err.field == "provision_id"


def test_given_a_running_provision_when_changed_then_stored_with_cleaned_values(
    planned: ChildBuilder,
) -> None:
    event = assert_accepted(
        planned,
        ev.ProvisionChanged,
        cmd.ChangeProvision,
        DAY,
        provision_id="prov-1",
        changes={"cost": "200", "weeks": 12, "staff_grade": "teacher"},
        reason="Longer",
    )
    assert isinstance(event, ev.ProvisionChanged)
    assert event.changes == {"cost": Decimal("200.00"), "weeks": 12, "staff_grade": "teacher"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({}, "changes", id="no-changes"),
        pytest.param({"start_date": DAY}, "changes", id="not-changeable"),
        pytest.param({"cost": "1.001"}, "changes.cost", id="cost-three-decimals"),
        pytest.param({"cost": "-5"}, "changes.cost", id="cost-negative"),
        pytest.param({"staff_grade": "wizard"}, "changes.staff_grade", id="staff-grade"),
        pytest.param({"funding_source": "lottery"}, "changes.funding_source", id="funding"),
        pytest.param({"description": " "}, "changes.description", id="empty-description"),
        pytest.param({"weeks": 0}, "changes.weeks", id="zero-weeks"),
    ],
)
def test_given_a_bad_change_when_provision_changed_then_invalid_value(
    planned: ChildBuilder, changes: dict[str, Any], field: str
) -> None:
    err = assert_refused(
        planned.app,
        planned,
        InvalidValue,
        commanding(planned.app, cmd.ChangeProvision),
        planned.child_id,
        on(DAY),
        provision_id="prov-1",
        changes=changes,
        reason="Change",
    )
    assert err.field == field


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param("group_size", 61, id="group-size"),
        pytest.param("weeks", 53, id="weeks"),
        pytest.param("sessions_per_week", 51, id="sessions-per-week"),
        pytest.param("session_minutes", 601, id="session-minutes"),
    ],
)
def test_given_a_change_beyond_the_start_bounds_when_provision_changed_then_invalid_value(
    planned: ChildBuilder, key: str, value: int
) -> None:
    too_big = provision()
    too_big[key] = value
    assert_refused(
        planned.app,
        planned,
        InvalidValue,
        commanding(planned.app, cmd.StartProvision),
        planned.child_id,
        on(START),
        **too_big,
    )
    err = assert_refused(
        planned.app,
        planned,
        InvalidValue,
        commanding(planned.app, cmd.ChangeProvision),
        planned.child_id,
        on(DAY),
        provision_id="prov-1",
        changes={key: value},
        reason="Bigger",
    )
    assert err.field == f"changes.{key}"
    assert_accepted(
        planned,
        ev.ProvisionChanged,
        cmd.ChangeProvision,
        DAY,
        provision_id="prov-1",
        changes={key: value - 1},
        reason="As big as allowed",
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"cost": "180.005"}, "cost", id="cost-three-decimals"),
        pytest.param({"cost": "-0.01"}, "cost", id="cost-negative"),
        pytest.param({"cost": "lots"}, "cost", id="cost-not-a-number"),
        pytest.param({"cost": "NaN"}, "cost", id="cost-nan"),
        pytest.param({"cost": "10000000.01"}, "cost", id="cost-too-large"),
        pytest.param({"group_size": 0}, "group_size", id="group-size-zero"),
        pytest.param({"group_size": 61}, "group_size", id="group-size-61"),
        pytest.param({"weeks": True}, "weeks", id="weeks-bool"),
        pytest.param({"session_minutes": 601}, "session_minutes", id="minutes-601"),
        pytest.param({"description": "x" * 2001}, "description", id="long-description"),
        pytest.param({"provision_id": "has space"}, "provision_id", id="bad-id"),
    ],
)
def test_given_a_bad_value_when_provision_started_then_invalid_value_naming_the_field(
    child: ChildBuilder, overrides: dict[str, Any], field: str
) -> None:
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        commanding(child.app, cmd.StartProvision),
        child.child_id,
        on(START),
        **provision(**overrides),
    )
    assert err.field == field
