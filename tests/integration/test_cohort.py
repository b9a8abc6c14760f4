"""Cohort read models on SQLite and PostgreSQL: hand-built cohorts answer each question
as a SENCO would expect; catch-up is exactly once, equals a full rebuild whenever it
runs, and survives SIGKILL; the CLI rebuilds and prints the dashboard."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
import typer
from eventsourcing.persistence import IntegrityError
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from api import cli_projections
from api.bootstrap import open_ledger
from api.demo import build_demo_cohort
from api.settings import Settings
from domain import commands as cmd
from domain.application import ChildRecords
from domain.errors import DomainError
from projections.cohort import (
    CohortChild,
    CohortProjection,
    EhcDeadline,
    FundingTotal,
    OverdueReview,
    StatusNeedCount,
)
from tests.conftest import OpenStore
from tests.factories import (
    NOW,
    PRACTITIONER,
    TODAY,
    ChildBuilder,
    on,
    outcome,
    register,
    with_parent,
    with_plan,
    with_provision,
)


def projection(records: ChildRecords, settings: Settings) -> CohortProjection:
    return CohortProjection(records, open_ledger(records, settings).backend)


@pytest.fixture
def cohort(records: ChildRecords, settings: Settings) -> CohortProjection:
    return projection(records, settings)


def sen_support(child: ChildBuilder, need: str = "SLCN", day: date = date(2025, 1, 6)) -> None:
    child.do(
        cmd.ChangeSenStatus, day, status="K", need_codes=[need], primary_need=need, reason="Agreed"
    )


def concern(child: ChildBuilder, level: str, day: date = date(2025, 1, 6)) -> int:
    return child.do(
        cmd.RaiseConcern,
        day,
        concern_id=f"c{child.version}",
        areas=["communication_language"],
        level=level,
        description="Few words for age",
    )


def discussion(child: ChildBuilder, outcome_code: str, day: date = date(2025, 2, 3)) -> None:
    child.do(
        cmd.HoldDiscussion,
        day,
        participants=["KP", "SENCO"],
        outcome=outcome_code,
        hypothesis="Language delay",
        evidence_needed="",
        actions=[],
    )


def review(child: ChildBuilder, day: date, decision: str, next_review: date | None) -> None:
    child.do(
        cmd.HoldReview,
        day,
        plan_id="plan-1",
        outcome_progress=[{"outcome_id": "o1", "progress": "partly_met"}],
        provision_impact=[],
        reflection="",
        decision=decision,
        next_review_date=next_review,
        attendees=["SENCO"],
    )


def ehc_request(child: ChildBuilder, requested: date) -> None:
    child.do(
        cmd.SubmitEhcRequest, requested, request_date=requested, local_authority="LA", reason="R"
    )


def ehc_decision(child: ChildBuilder, decided: date, decision: str) -> None:
    child.do(cmd.RecordEhcDecision, decided, decision=decision, decision_date=decided)


def ids(found: Iterable[CohortChild | OverdueReview | EhcDeadline]) -> set[UUID]:
    return {item.child_id for item in found}


class TestCohortQuestions:
    def test_children_on_roll_are_counted_by_sen_status_and_primary_need(
        self, records: ChildRecords, cohort: CohortProjection
    ) -> None:
        for need in ("SLCN", "SLCN", "SEMH"):
            sen_support(register(records), need)
        register(records)
        left = register(records)
        sen_support(left, "ASD")
        left.do(cmd.Leave, date(2025, 7, 18), destination="School", reason="Moved on")

        cohort.catch_up()

        assert cohort.by_status_and_need() == [
            StatusNeedCount("K", "SEMH", 1),
            StatusNeedCount("K", "SLCN", 2),
            StatusNeedCount("N", None, 1),
        ]

    def test_a_plan_is_overdue_once_its_review_date_passes_until_it_is_reviewed_or_stops(
        self, records: ChildRecords, cohort: CohortProjection
    ) -> None:
        overdue = with_plan(register(records))  # review due 2025-03-17
        reviewed = with_plan(register(records))
        review(reviewed, date(2026, 11, 2), "continue", date(2027, 1, 11))
        stopped = with_plan(register(records))
        review(stopped, date(2025, 3, 10), "stop", None)
        elsewhere = with_plan(register(records))
        elsewhere.do(cmd.Transfer, date(2025, 4, 1), to_setting="other-setting")

        cohort.catch_up()

        found = cohort.overdue_reviews(TODAY)
        assert ids(found) == {overdue.child_id, elsewhere.child_id}
        assert {o.days_overdue for o in found} == {(TODAY - date(2025, 3, 17)).days}
        in_other = cohort.overdue_reviews(TODAY, setting_id="other-setting")
        assert ids(in_other) == {elsewhere.child_id}
        assert cohort.overdue_reviews(date(2025, 3, 17)) == []  # due that day: not yet overdue

    def test_high_concern_without_a_plan_never_counts_a_concern_marked_mistaken(
        self, records: ChildRecords, cohort: CohortProjection
    ) -> None:
        raised = register(records)
        concern(raised, "high")
        advised = register(records)
        discussion(advised, "high_concern_seek_advice")
        planned = register(records)
        concern(planned, "high")
        with_plan(planned, start=date(2025, 3, 3))
        mistaken = register(records)
        wrong = concern(mistaken, "high")
        mistaken.do(cmd.MarkMistaken, date(2025, 1, 7), target_version=wrong, reason="Wrong child")
        settled = register(records)
        concern(settled, "high")
        discussion(settled, "no_current_concern")
        register(records)

        cohort.catch_up()

        found = cohort.high_concern_without_plan()
        assert ids(found) == {raised.child_id, advised.child_id}
        assert {c.sen_status for c in found} == {"N"}

    def test_a_status_change_marked_mistaken_counts_the_child_under_the_status_before_it(
        self, records: ChildRecords, cohort: CohortProjection
    ) -> None:
        child = register(records)
        sen_support(child, "SLCN")
        cohort.catch_up()
        wrong = child.do(
            cmd.ChangeSenStatus,
            date(2025, 3, 3),
            status="K",
            need_codes=["SEMH", "SLCN"],
            primary_need="SEMH",
            reason="Typed into the wrong record",
        )
        cohort.catch_up()
        assert cohort.by_status_and_need() == [StatusNeedCount("K", "SEMH", 1)]

        child.do(cmd.MarkMistaken, date(2025, 3, 4), target_version=wrong, reason="Wrong child")
        cohort.catch_up()

        assert cohort.by_status_and_need() == [StatusNeedCount("K", "SLCN", 1)]

    def test_plans_without_parent_notification(
        self, records: ChildRecords, cohort: CohortProjection
    ) -> None:
        unnotified = with_plan(register(records))
        notified = with_plan(register(records))
        notified.do(
            cmd.NotifyParent, date(2025, 1, 6), method="letter", information_service_given=True
        )
        register(records).do(
            cmd.NotifyParent, date(2025, 1, 6), method="meeting", information_service_given=False
        )

        cohort.catch_up()

        found = cohort.plans_without_parent_notification()
        assert ids(found) == {unnotified.child_id}
        assert found[0].plan_review_date == date(2025, 3, 17)

    def test_ehc_deadlines_due_in_the_next_30_days_and_missed_ones(
        self, records: ChildRecords, cohort: CohortProjection
    ) -> None:
        decision_due = register(records)
        ehc_request(decision_due, date(2026, 10, 20))  # decision due 2026-12-01
        final_missed = register(records)
        ehc_request(final_missed, date(2026, 6, 1))
        ehc_decision(final_missed, date(2026, 7, 1), "assess")  # final plan due 2026-10-19
        later = register(records)
        ehc_request(later, date(2026, 11, 20))  # decision due 2027-01-01
        refused = register(records)
        ehc_request(refused, date(2026, 10, 1))
        ehc_decision(refused, date(2026, 11, 1), "not_assess")
        issued = register(records)
        ehc_request(issued, date(2025, 6, 2))
        ehc_decision(issued, date(2025, 7, 7), "assess")
        issued.do(
            cmd.FinaliseEhcPlan, date(2025, 12, 8), decision="issue", final_date=date(2025, 12, 8)
        )

        cohort.catch_up()

        found = cohort.ehc_deadlines_due(TODAY)
        assert [(d.child_id, d.kind, d.due, d.days_left, d.ehc_stage) for d in found] == [
            (final_missed.child_id, "final_plan", date(2026, 10, 19), -36, "assessing"),
            (decision_due.child_id, "decision", date(2026, 12, 1), 7, "requested"),
            (issued.child_id, "annual_review", date(2026, 12, 8), 14, "plan"),
        ]
        assert [d.child_id for d in cohort.ehc_deadlines_due(TODAY, days=40)][-1] == later.child_id

    def test_cost_by_funding_source_follows_changes_and_ignores_mistaken_provisions(
        self, records: ChildRecords, cohort: CohortProjection
    ) -> None:
        with_provision(register(records))  # 180.00, core
        changed = with_provision(register(records))
        changed.do(
            cmd.ChangeProvision,
            date(2025, 2, 3),
            provision_id="prov-1",
            changes={"cost": "300.25", "funding_source": "la_top_up"},
            reason="Two more weeks, funded by the LA",
        )
        cohort.catch_up()  # the change arrives in a later catch-up than the start
        mistaken = with_provision(register(records))
        mistaken.do(cmd.MarkMistaken, date(2025, 1, 7), target_version=2, reason="Never ran")

        cohort.catch_up()

        assert cohort.cost_by_funding_source() == [
            FundingTotal("core", Decimal("180.00"), provisions=1, children=1),
            FundingTotal("la_top_up", Decimal("300.25"), provisions=1, children=1),
        ]

    def test_a_child_who_left_drops_out_of_every_question_until_re_enrolled(
        self, records: ChildRecords, cohort: CohortProjection
    ) -> None:
        child = with_plan(with_provision(register(records)))
        concern(child, "high")
        ehc_request(child, date(2026, 10, 20))
        child.do(cmd.Leave, date(2026, 11, 2), destination="School", reason="Moved on")
        cohort.catch_up()
        assert cohort.overdue_reviews(TODAY) == []
        assert cohort.plans_without_parent_notification() == []
        assert cohort.ehc_deadlines_due(TODAY) == []
        assert cohort.cost_by_funding_source() == []
        assert cohort.by_status_and_need() == []

        child.do(cmd.Enrol, date(2026, 11, 9), setting_id="test-setting")
        cohort.catch_up()

        assert ids(cohort.overdue_reviews(TODAY)) == {child.child_id}
        assert [f.amount for f in cohort.cost_by_funding_source()] == [Decimal("180.00")]

    def test_no_name_or_free_text_reaches_the_cohort_tables(
        self, records: ChildRecords, cohort: CohortProjection
    ) -> None:
        child = with_plan(with_provision(with_parent(register(records))))
        concern(child, "high")
        cohort.catch_up()

        stored = repr(cohort.contents())

        for personal in ("Testy", "Fictional", "Parent", "Small group talk", "Few words"):
            assert personal not in stored
        assert str(child.child_id) in stored


class TestCatchUp:
    def test_catch_up_folds_only_new_events_and_tracks_the_last_notification_id(
        self, records: ChildRecords, cohort: CohortProjection
    ) -> None:
        with_plan(register(records))  # 2 events
        assert cohort.catch_up(batch=1) == 2
        with_provision(register(records))  # 2 more

        assert cohort.catch_up() == 2
        assert cohort.catch_up() == 0
        assert cohort.position() == records.recorder.max_notification_id()
        assert cohort.pending() == 0

    def test_two_catch_ups_at_once_fold_each_event_exactly_once(
        self, open_store: OpenStore, settings: Settings
    ) -> None:
        writer = open_store()
        for _ in range(6):
            child = with_plan(with_provision(register(writer)))
            concern(child, "high")
        runners = [projection(open_store(), settings) for _ in range(2)]
        counts: list[int] = []

        def run(cohort: CohortProjection) -> None:
            counts.append(cohort.catch_up(batch=2))

        threads = [threading.Thread(target=run, args=(r,)) for r in runners]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sum(counts) == 24
        incremental = runners[0].contents()
        runners[0].rebuild()
        assert runners[0].contents() == incremental

    def test_a_gap_in_notification_ids_is_passed_over_by_tracking_the_last_id_read(
        self, open_store: OpenStore, settings: Settings
    ) -> None:
        first, second = open_store(), open_store()
        child = register(first)
        mine, theirs = first.get_child(child.child_id), second.get_child(child.child_id)
        envelope = on(date(2025, 2, 1), PRACTITIONER).seal(now=NOW, skew=first.skew)
        for record in (mine, theirs):
            record.record_observation(envelope, area="physical", notes="race", observer="KP")
        first.save(mine)
        with pytest.raises(IntegrityError):
            second.save(theirs)  # refused; PostgreSQL has used up a notification id on it
        child.version = 2
        with_plan(child)
        cohort = projection(first, settings)

        assert cohort.catch_up(batch=1) == 3
        assert cohort.position() == first.recorder.max_notification_id()
        assert cohort.catch_up(batch=1) == 0


# --- property: incremental catch-up equals a full rebuild ---------------------------------

Step = Callable[[ChildRecords, ChildBuilder, st.DataObject, date], None]
NEEDS = ["SLCN", "SEMH", "ASD", "MLD"]


def _status(app: ChildRecords, c: ChildBuilder, data: st.DataObject, day: date) -> None:
    if data.draw(st.booleans()):
        need = data.draw(st.sampled_from(NEEDS))
        c.do(cmd.ChangeSenStatus, day, status="K", need_codes=[need], primary_need=need, reason="")
    else:
        c.do(cmd.ChangeSenStatus, day, status="N", need_codes=[], primary_need=None, reason="")


def _concern_or_discuss(app: ChildRecords, c: ChildBuilder, data: st.DataObject, day: date) -> None:
    if data.draw(st.booleans()):
        concern(c, data.draw(st.sampled_from(["low", "medium", "high"])), day)
    else:
        discussion(c, data.draw(st.sampled_from(sorted(app.discussion_outcomes))), day)


def _provision(app: ChildRecords, c: ChildBuilder, data: st.DataObject, day: date) -> None:
    running = sorted(
        p for p, v in app.get_child(c.child_id).provisions.items() if v["end_date"] is None
    )
    change = data.draw(st.booleans())
    if running and change:
        changes = data.draw(
            st.sampled_from(
                [{"cost": "12.34"}, {"funding_source": "health"}, {"cost": "0.99", "weeks": 6}]
            )
        )
        pid = data.draw(st.sampled_from(running))
        c.do(cmd.ChangeProvision, day, provision_id=pid, changes=changes, reason="Review")
        return
    with_provision(c, f"p{c.version}", start=day)


def _plan_or_review(app: ChildRecords, c: ChildBuilder, data: st.DataObject, day: date) -> None:
    if "plan-1" not in app.get_child(c.child_id).plans:
        c.do(
            cmd.IssuePlan,
            day,
            plan_id="plan-1",
            start_date=day,
            review_date=day + timedelta(weeks=data.draw(st.integers(1, 20))),
            outcomes=[outcome(target=day + timedelta(weeks=10))],
            provision_ids=[],
            shared_with_parents=True,
        )
        return
    decision = data.draw(st.sampled_from(["continue", "change", "stop", "escalate"]))
    review(c, day, decision, None if decision == "stop" else day + timedelta(weeks=10))


def _notify(app: ChildRecords, c: ChildBuilder, data: st.DataObject, day: date) -> None:
    c.do(cmd.NotifyParent, day, method="letter", information_service_given=True)


def _ehc_step(app: ChildRecords, c: ChildBuilder, data: st.DataObject, day: date) -> None:
    stage = app.get_child(c.child_id).ehc_stage
    if stage in ("none", "refused", "not_issued"):
        ehc_request(c, day)
    elif stage == "requested":
        ehc_decision(c, day, data.draw(st.sampled_from(["assess", "not_assess"])))
    elif stage in ("assessing", "draft"):
        decision = data.draw(st.sampled_from(["draft", "issue", "not_issue"]))
        if decision == "draft" and stage == "assessing":
            c.do(cmd.IssueEhcDraft, day, draft_date=day)
        else:
            c.do(
                cmd.FinaliseEhcPlan,
                day,
                decision=decision.replace("draft", "issue"),
                final_date=day,
            )
    else:
        c.do(cmd.HoldEhcAnnualReview, day, review_date=day, summary="Reviewed")


def _move(app: ChildRecords, c: ChildBuilder, data: st.DataObject, day: date) -> None:
    status = app.get_child(c.child_id).status
    if status == "left":
        c.do(cmd.Enrol, day, setting_id=data.draw(st.sampled_from(["test-setting", "setting-b"])))
    elif data.draw(st.booleans()):
        c.do(cmd.Leave, day, destination="", reason="")
    else:
        here = app.get_child(c.child_id).setting_id
        c.do(cmd.Transfer, day, to_setting="setting-b" if here != "setting-b" else "test-setting")


def _mistake(app: ChildRecords, c: ChildBuilder, data: st.DataObject, day: date) -> None:
    target = data.draw(st.integers(1, c.version))
    c.do(cmd.MarkMistaken, day, target_version=target, reason="Recorded in error")


STEPS: list[Step] = [
    _status,
    _concern_or_discuss,
    _provision,
    _plan_or_review,
    _notify,
    _ehc_step,
    _move,
    _mistake,
]


class TestIncrementalEqualsRebuild:
    @hyp_settings(
        max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(data=st.data())
    def test_catch_ups_at_random_points_leave_the_tables_a_rebuild_would_make(
        self, records: ChildRecords, cohort: CohortProjection, data: st.DataObject
    ) -> None:
        children = [with_parent(register(records)) for _ in range(3)]
        for _ in range(data.draw(st.integers(5, 30), label="commands")):
            child = data.draw(st.sampled_from(children))
            step = data.draw(st.sampled_from(STEPS))
            day = date(2025, 1, 6) + timedelta(days=data.draw(st.integers(0, 680)))
            with suppress(DomainError):  # refused: nothing stored, the history stays valid
                step(records, child, data, day)
            if data.draw(st.integers(0, 4)) == 0:
                cohort.catch_up(batch=data.draw(st.integers(1, 5)))
        cohort.catch_up(batch=data.draw(st.integers(1, 5)))
        incremental = cohort.contents()

        cohort.rebuild()

        assert cohort.contents() == incremental
        assert incremental.position == records.recorder.max_notification_id()


# --- crash: SIGKILL during catch-up ------------------------------------------------------

# Each batch pauses 5 ms after it commits, so the 0-20 ms before the kill covers a few
# batches, not the rest of the stream (four rounds must stop short of the newest event).
CATCHER = """
import sys
import time
from api.bootstrap import open_ledger, open_records
from api.settings import Settings
from projections.cohort import CohortProjection
settings = Settings.model_validate_json(sys.argv[1])
records = open_records(settings)
cohort = CohortProjection(records, open_ledger(records, settings).backend)
cohort.catch_up(
    progress=lambda n: (print(cohort.position(), flush=True), time.sleep(0.005)), batch=2
)
print("done", flush=True)
"""


def _catch_up_and_kill(settings: Settings, after_lines: int, rng: random.Random) -> list[int]:
    """Run catch-up in another process; SIGKILL it after `after_lines` committed batches."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-c", CATCHER, settings.model_dump_json()],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    acknowledged: list[int] = []
    while len(acknowledged) < after_lines:
        line = proc.stdout.readline().strip()
        assert line, "the catch-up process died on its own"
        assert line != "done", "catch-up finished before it could be killed"
        acknowledged.append(int(line))
    time.sleep(rng.uniform(0, 0.02))  # land anywhere in the next batch, commit included
    proc.send_signal(signal.SIGKILL)
    acknowledged.extend(int(n) for n in proc.stdout.read().split() if n != "done")
    proc.wait()
    return acknowledged


@pytest.mark.slow
class TestCrashDuringCatchUp:
    def test_catch_up_killed_mid_stream_resumes_to_the_same_tables_as_a_rebuild(
        self, open_store: OpenStore, settings: Settings
    ) -> None:
        writer = open_store()
        for n in range(10):
            child = with_plan(with_provision(with_parent(register(writer))))
            concern(child, "high")
            for week in range(n + 10):
                child.do(
                    cmd.RecordObservation,
                    date(2025, 2, 3) + timedelta(weeks=week),
                    area="physical",
                    notes=f"week {week}",
                    observer="KP",
                )
            if n % 3 == 0:
                child.do(cmd.MarkMistaken, date(2025, 6, 2), target_version=5, reason="Wrong")
        newest = writer.recorder.max_notification_id()
        assert newest is not None
        rng = random.Random(20261124)
        cohort = projection(writer, settings)

        for _round in range(4):
            before = cohort.position()
            acknowledged = _catch_up_and_kill(settings, rng.randint(2, 12), rng)
            after = cohort.position()
            assert before < acknowledged[0]
            assert acknowledged[-1] <= after < newest  # every acknowledged batch was kept

        resumed = cohort.catch_up()

        assert resumed == newest - after
        assert cohort.position() == newest
        incremental = cohort.contents()
        cohort.rebuild()
        assert cohort.contents() == incremental


# --- the command line ---------------------------------------------------------------------


class TestCli:
    def test_projections_rebuild_then_dashboard_on_a_demo_cohort(
        self, records: ChildRecords, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(settings.data_dir.parent)
        build_demo_cohort(records, children=10, seed=5, today=TODAY)
        events = sum(len(records.history(c)) for c in records.child_ids())
        app = typer.Typer()
        app.add_typer(cli_projections.projections_app, name="projections")
        app.command("dashboard")(cli_projections.dashboard)
        env = {
            "SENDTRAIL_DATA": str(settings.data_dir),
            "SENDTRAIL_DATABASE_URL": settings.database_url,
            "COLUMNS": "160",
        }

        rebuilt = CliRunner().invoke(app, ["projections", "rebuild"], env=env)
        shown = CliRunner().invoke(app, ["dashboard", "--today", TODAY.isoformat()], env=env)

        assert rebuilt.exit_code == 0, rebuilt.output
        assert f"Cohort tables rebuilt: {events} events folded in" in rebuilt.output
        assert shown.exit_code == 0, shown.output
        assert "as of 2026-11-24" in shown.output
        cohort = projection(records, settings)
        assert [(c.sen_status, c.children) for c in cohort.by_status_and_need()] == [
            ("K", 4),
            ("N", 6),
        ]
        assert "K (SEN support)" in shown.output
        assert "SLCN (Speech, language and communication needs)" in shown.output
        for overdue in cohort.overdue_reviews(TODAY):
            assert f"{str(overdue.child_id)[:8]} │ {overdue.setting_id}" in shown.output
        for deadline in cohort.ehc_deadlines_due(TODAY):
            assert f"{deadline.kind} │ {deadline.due.isoformat()}" in shown.output
        assert "Setting's core offer │ 720.00" in shown.output
        assert "High concern without a plan: none" in shown.output

    def test_dashboard_for_one_setting_shows_only_its_children(
        self, records: ChildRecords, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(settings.data_dir.parent)
        build_demo_cohort(records, children=10, seed=5, today=TODAY)
        app = typer.Typer()
        app.command("dashboard")(cli_projections.dashboard)
        app.command("unused")(lambda: None)  # two commands, so "dashboard" is a subcommand
        env = {
            "SENDTRAIL_DATA": str(settings.data_dir),
            "SENDTRAIL_DATABASE_URL": settings.database_url,
            "COLUMNS": "160",
        }

        shown = CliRunner().invoke(
            app, ["dashboard", "--today", "2026-11-24", "--setting", "demo-nursery-elm"], env=env
        )

        assert shown.exit_code == 0, shown.output
        assert "setting demo-nursery-elm" in shown.output
        assert "demo-nursery-oak" not in shown.output
        assert "Setting's core offer │ 360.00" in shown.output
