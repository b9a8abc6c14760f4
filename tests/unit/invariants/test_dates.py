"""When it happened: future dates, naive times, before birth."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.errors import (
    BeforeBirth,
    FutureDate,
    InvalidValue,
)
from tests.factories import (
    NOW,
    TODAY,
    ChildBuilder,
    commanding,
    on,
)
from tests.support.invariants import (
    BORN,
    assert_accepted,
    assert_refused,
    observation,
)

# --- when it happened --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("occurred_at", "precision"),
    [
        pytest.param(NOW, "minute", id="now"),
        pytest.param(NOW + timedelta(minutes=5), "minute", id="at-the-skew"),
        pytest.param(TODAY, "day", id="today-as-date"),
    ],
)
def test_given_occurred_at_within_the_skew_when_recorded_then_stored(
    child: ChildBuilder, occurred_at: date | datetime, precision: str
) -> None:
    event = assert_accepted(
        child, ev.ObservationRecorded, cmd.RecordObservation, occurred_at, **observation()
    )
    assert event.precision == precision


@pytest.mark.parametrize(
    "occurred_at",
    [
        pytest.param(NOW + timedelta(minutes=5, seconds=1), id="datetime-past-the-skew"),
        pytest.param(NOW + timedelta(days=3), id="datetime-days-ahead"),
        pytest.param(TODAY + timedelta(days=1), id="date-tomorrow"),
    ],
)
def test_given_occurred_at_beyond_the_skew_when_recorded_then_future_date(
    child: ChildBuilder, occurred_at: date | datetime
) -> None:
    err = assert_refused(
        child.app,
        child,
        FutureDate,
        commanding(child.app, cmd.RecordObservation),
        child.child_id,
        on(occurred_at),
        **observation(),
    )
    assert err.field == "occurred_at"


def test_given_a_naive_datetime_when_recorded_then_invalid_value(child: ChildBuilder) -> None:
    naive = datetime(2025, 2, 3, 10, 30)  # deliberately without a time zone
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        commanding(child.app, cmd.RecordObservation),
        child.child_id,
        on(naive),
        **observation(),
    )
    assert err.field == "occurred_at"


def test_given_occurred_at_before_birth_when_recorded_then_before_birth(
    child: ChildBuilder,
) -> None:
    err = assert_refused(
        child.app,
        child,
        BeforeBirth,
        commanding(child.app, cmd.RecordObservation),
        child.child_id,
        on(BORN - timedelta(days=1)),
        **observation(),
    )
    assert err.field == "occurred_at"
    assert_accepted(child, ev.ObservationRecorded, cmd.RecordObservation, BORN, **observation())


def test_given_a_local_evening_that_is_the_birthday_in_utc_when_recorded_then_stored(
    child: ChildBuilder,
) -> None:
    evening_in_new_york = datetime(2023, 2, 28, 19, 30, tzinfo=timezone(timedelta(hours=-5)))
    event = assert_accepted(
        child, ev.ObservationRecorded, cmd.RecordObservation, evening_in_new_york, **observation()
    )
    assert event.occurred_at == datetime(2023, 3, 1, 0, 30, tzinfo=UTC)
