"""Views over a real store: record times come from the ledger, and the incremental cache
gives exactly what a fresh replay of the admitted events gives — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from api.bootstrap import open_ledger, open_records, set_record_clock
from api.settings import Settings
from domain import commands as cmd
from domain.application import ChildRecords
from ledger.leaf import parse_time
from projections.views import VIEWS, ChildViews
from tests.factories import PRACTITIONER, ChildBuilder, fixed_clock, register, with_parent

START = date(2024, 9, 2)


def at(day: date) -> datetime:
    return datetime.combine(day, time(17), tzinfo=UTC)


def clock_at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def observe(records: ChildRecords, child: ChildBuilder, day: date, recorded: datetime) -> int:
    set_record_clock(records, clock_at(recorded))
    return child.do(
        cmd.RecordObservation,
        day,
        PRACTITIONER,
        area="physical",
        notes=f"seen {day}",
        observer="KP",
    )


class TestViewsOnTheStore:
    def test_record_time_comes_from_the_ledger(self, settings: Settings) -> None:
        records = open_records(settings, clock=fixed_clock)
        try:
            set_record_clock(records, clock_at(at(START)))
            child = with_parent(register(records, registered=START))
            before = observe(records, child, date(2025, 3, 1), at(date(2025, 3, 1)))
            late = observe(records, child, date(2025, 3, 3), at(date(2025, 3, 20)))
            views = ChildViews(records, open_ledger(records, settings))
            known = views.view(
                "chronology",
                child.child_id,
                as_of=date(2025, 3, 10),
                known_at=at(date(2025, 3, 15)),
            )
            shown = [r["version"] for r in known["entries"]]
            assert before in shown
            assert late not in shown
            everything = views.view("chronology", child.child_id, as_of=date(2025, 3, 10))
            row = next(r for r in everything["entries"] if r["version"] == late)
            assert row["recorded_at"].startswith("2025-03-20T17:00")
            assert row["late"] is True
        finally:
            records.close()

    @hyp_settings(
        max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(data=st.data())
    def test_cached_views_equal_a_fresh_replay_of_the_admitted_events(
        self, settings: Settings, data: st.DataObject
    ) -> None:
        records = open_records(settings, clock=fixed_clock)
        try:
            set_record_clock(records, clock_at(at(START)))
            child = with_parent(register(records, registered=START))
            cached = ChildViews(records, open_ledger(records, settings))
            recorded = at(START)
            occurred: dict[int, tuple[date, datetime]] = {}
            for _ in range(data.draw(st.integers(1, 8))):
                day = START + timedelta(days=data.draw(st.integers(0, 200)))
                recorded = max(recorded, at(day)) + timedelta(days=data.draw(st.integers(0, 30)))
                version = observe(records, child, day, recorded)
                occurred[version] = (day, recorded)
                if data.draw(st.booleans()):  # query mid-stream so the cache grows in steps
                    cached.view(data.draw(st.sampled_from(["plan", "chronology"])), child.child_id)
            as_of = START + timedelta(days=data.draw(st.integers(0, 260)))
            known_at = at(START) + timedelta(days=data.draw(st.integers(0, 400)))
            ledger = open_ledger(records, settings)
            fresh = ChildViews(records, ledger)
            admitted = [
                e.version for e in cached.admitted(child.child_id, as_of=as_of, known_at=known_at)
            ]
            # Ground truth: the ledger's record times (clamped so they never run backwards)
            # and the days the test said things happened.
            recorded_at = {
                leaf.version: parse_time(leaf.recorded_at)
                for leaf in ledger.leaves(str(child.child_id))
            }
            happened = {1: START, 2: START} | {v: day for v, (day, _) in occurred.items()}
            expected = [
                v
                for v in sorted(recorded_at)
                if happened[v] <= as_of and recorded_at[v] <= known_at
            ]
            assert admitted == expected
            for name in VIEWS:
                assert cached.view(
                    name, child.child_id, as_of=as_of, known_at=known_at
                ) == fresh.view(name, child.child_id, as_of=as_of, known_at=known_at)
            offset = data.draw(st.integers(0, 4))
            assert (
                cached.chronology_page(
                    child.child_id, offset=offset, limit=2, as_of=as_of, known_at=known_at
                )["entries"]
                == fresh.view("chronology", child.child_id, as_of=as_of, known_at=known_at)[
                    "entries"
                ][offset : offset + 2]
            )
        finally:
            records.close()
