"""Cohort read models: catch-up speed beside plainly reading the same events, and query
latency as the store grows.

    python -m bench.cohort [--events 200000] [--children 1000] [--stages 4]
                           [--postgres-events 50000]
    python -m bench.cohort --events 1000000 --children 5000      # the issue's big run

Children with realistic histories (concerns, discussions, SEN status, costed provisions,
plans and reviews, sessions, EHC steps, a few entries marked mistaken) are written
through the real application, interleaved: each save holds the next five events of 400
children, so a catch-up batch touches many rows. The store grows in `--stages` equal
steps; after each, the new events are (1) read and decoded with nothing else — the
baseline of the same run (reading alone is printed too) — then (2) folded into the
cohort tables by `catch_up`; then every cohort query is timed (p95 of `--repeat` runs).
The cohort as of a past date (the dashboard at a past `today`) folds every child's
history again: it is timed beside reading and decoding every event. Goals: catch-up
>= 20,000 ev/s; every query p95 < 100 ms at 1,000,000 events / 5,000
children on SQLite. The catch-up decodes only the kinds of event the cohort uses (the
topic is stored in clear), which is why it can run faster than the read+decode baseline.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from api.bootstrap import open_ledger, open_records
from bench.stores import fresh_settings, kinds
from domain.application import ChildRecords
from domain.child import ChildRecord
from domain.envelope import Envelope, EnvelopeDraft, RecordedBy
from projections.cohort import CohortProjection

TODAY = date(2026, 11, 24)
START = TODAY - timedelta(days=730)
SETTINGS = [f"bench-setting-{n}" for n in range(10)]
NEEDS = ["SLCN", "SEMH", "ASD", "MLD", "SPLD", "PD"]
FUNDING = ["core", "additional", "la_top_up", "health"]


class Envelopes:
    """Sealed envelopes per day, made once (sealing is not what is measured)."""

    def __init__(self, records: ChildRecords) -> None:
        self.records = records
        self.made: dict[tuple[date, str], Envelope] = {}

    def on(self, day: date, role: str = "senco") -> Envelope:
        key = (day, role)
        if key not in self.made:
            draft = EnvelopeDraft(day, RecordedBy(f"bench-{role}", role, "bench"))
            self.made[key] = draft.seal(now=self.records.clock(), skew=self.records.skew)
        return self.made[key]


def _outcome(target: date) -> dict[str, Any]:
    return {
        "outcome_id": "o1",
        "description": "Next step",
        "area": "physical",
        "target_date": target,
    }


def one_child(envelopes: Envelopes, rng: random.Random, events: int) -> ChildRecord:
    """A child whose history runs through the graduated approach, `events` events long."""
    span = (TODAY - START).days
    days = sorted(START + timedelta(days=rng.randrange(span)) for _ in range(events))
    step = iter(days)

    def on() -> Envelope:
        return envelopes.on(next(step))

    child = ChildRecord.register(
        on(),
        child_id=uuid4(),
        given_name="Bench",
        family_name="Mark",
        date_of_birth=date(2022, 1, 1),
        setting_id=rng.choice(SETTINGS),
    )
    concern_level = rng.choice(["low", "medium", "high"])
    child.raise_concern(
        on(), concern_id="c1", areas=["physical"], level=concern_level, description="Concern"
    )
    child.hold_discussion(
        on(),
        outcomes=envelopes.records.discussion_outcomes,
        participants=["KP", "SENCO"],
        outcome=rng.choice(["agreed_concern_monitor", "high_concern_seek_advice"]),
        hypothesis="Hypothesis",
        evidence_needed="",
        actions=[],
    )
    if rng.random() < 0.8:
        child.notify_parent(on(), method="meeting", information_service_given=True)
    need = rng.choice(NEEDS)
    child.change_sen_status(on(), status="K", need_codes=[need], primary_need=need, reason="")
    envelope = on()
    day = envelope.occurred_on
    child.start_provision(
        envelope,
        provision_id="p1",
        description="Group",
        area="physical",
        start_date=day,
        group_size=4,
        session_minutes=20,
        sessions_per_week=3,
        weeks=10,
        staff_grade="practitioner",
        cost=f"{rng.randint(50, 900)}.{rng.randint(0, 99):02d}",
        funding_source=rng.choice(FUNDING),
    )
    child.issue_plan(
        on(),
        plan_id="plan-1",
        start_date=day,
        review_date=day + timedelta(weeks=10),
        outcomes=[_outcome(day + timedelta(weeks=10))],
        provision_ids=["p1"],
        shared_with_parents=True,
    )
    ehc = rng.random() < 0.2
    filler = events - child.version - (2 if ehc else 0)
    for n in range(filler):
        envelope = on()
        if n % 50 == 49:
            child.hold_review(
                envelope,
                plan_id="plan-1",
                outcome_progress=[{"outcome_id": "o1", "progress": "partly_met"}],
                provision_impact=[{"provision_id": "p1", "impact": "some"}],
                reflection="",
                decision="continue",
                next_review_date=envelope.occurred_on + timedelta(weeks=rng.randint(4, 12)),
                attendees=["SENCO"],
            )
        elif n % 97 == 96:
            child.change_provision(
                envelope,
                provision_id="p1",
                changes={"funding_source": rng.choice(FUNDING)},
                reason="R",
            )
        elif n == filler // 2 and rng.random() < 0.05:
            child.mark_mistaken(envelope, target_version=2, reason="Wrong child")
        else:
            child.deliver_session(
                envelope, provision_id="p1", session_date=day, minutes=20, notes=""
            )
    if ehc:
        envelope = on()
        requested = envelope.occurred_on
        child.submit_ehc_request(envelope, request_date=requested, local_authority="LA", reason="R")
        envelope = on()
        child.record_ehc_decision(
            envelope, decision="assess", decision_date=envelope.occurred_on, reason=""
        )
    return child


def write_children(
    records: ChildRecords, rng: random.Random, children: int, per_child: int, group: int = 400
) -> None:
    """Write children's histories interleaved as a busy setting would: each save holds
    the next few events of `group` children, so a catch-up batch touches many rows."""
    envelopes = Envelopes(records)
    per_round = 5
    for first in range(0, children, group):
        pending = [
            one_child(envelopes, rng, per_child).collect_events()
            for _ in range(min(group, children - first))
        ]
        for start in range(0, per_child, per_round):
            records.save(*[e for events in pending for e in events[start : start + per_round]])


def read_and_decode(
    records: ChildRecords, start: int, batch: int = 2000, *, decode: bool = True
) -> int:
    """The baseline: read notifications after `start` and decode them, nothing else."""
    count = 0
    while True:
        notifications = records.recorder.select_notifications(start + 1, batch)
        for notification in notifications if decode else ():
            records.mapper.to_domain_event(notification)
        count += len(notifications)
        if len(notifications) < batch:
            return count
        start = notifications[-1].id


def _timed(run: Callable[[], int]) -> tuple[int, float]:
    started = time.perf_counter()
    done = run()
    return done, time.perf_counter() - started


def query_p95_ms(cohort: CohortProjection, repeat: int) -> dict[str, float]:
    queries: dict[str, Callable[[], object]] = {
        "overdue": lambda: cohort.overdue_reviews(TODAY),
        "status/need": lambda: cohort.by_status_and_need(),
        "high-concern": lambda: cohort.high_concern_without_plan(),
        "no-notice": lambda: cohort.plans_without_parent_notification(),
        "ehc-30d": lambda: cohort.ehc_deadlines_due(TODAY),
        "cost": lambda: cohort.cost_by_funding_source(),
        "cost/setting": lambda: cohort.cost_by_funding_source(setting_id=SETTINGS[0]),
    }
    found = {}
    for name, query in queries.items():
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            query()
            times.append((time.perf_counter() - started) * 1000)
        found[name] = statistics.quantiles(times, n=20)[18]
    return found


def as_of_seconds(records: ChildRecords, cohort: CohortProjection) -> tuple[float, float]:
    """(seconds to fold the whole cohort as of a year ago and ask it every question,
    seconds to read and decode every event: the baseline of the same run)."""
    day = TODAY - timedelta(days=365)
    started = time.perf_counter()
    past = cohort.as_of(day)
    past.overdue_reviews(day)
    past.by_status_and_need()
    past.ehc_deadlines_due(day)
    past.provisions_past_planned_end(day)
    past.close()
    past_s = time.perf_counter() - started
    _, read_s = _timed(lambda: read_and_decode(records, 0))
    return past_s, read_s


def bench_store(kind: str, events: int, children: int, stages: int, repeat: int) -> None:
    rng = random.Random(2026)
    per_child = max(20, events // children)
    with fresh_settings(kind) as settings:
        records = open_records(settings)
        cohort = CohortProjection(records, open_ledger(records, settings).backend)
        print(f"{kind}: {children} children x {per_child} events, in {stages} stages")
        for _stage in range(stages):
            started = time.perf_counter()
            write_children(records, rng, children // stages, per_child)
            write_s = time.perf_counter() - started
            position = cohort.position()
            _, raw_s = _timed(lambda: read_and_decode(records, position, decode=False))  # noqa: B023
            read, read_s = _timed(lambda: read_and_decode(records, position))  # noqa: B023
            folded, fold_s = _timed(cohort.catch_up)
            total = cohort.position()
            p95 = query_p95_ms(cohort, repeat)
            print(
                f"  {total:>9} events: write {read / write_s:7.0f} ev/s | catch-up "
                f"{folded / fold_s:7.0f} ev/s vs read+decode {read / read_s:7.0f} ev/s "
                f"(ratio {(folded / fold_s) / (read / read_s):4.2f}x); "
                f"read only {read / raw_s:7.0f} ev/s"
            )
            print("      query p95 ms: " + "  ".join(f"{k} {v:6.2f}" for k, v in p95.items()))
        past_s, past_read_s = as_of_seconds(records, cohort)
        print(
            f"  cohort as of a year ago (a dashboard at a past date): {past_s:6.2f} s vs "
            f"read+decode of every event {past_read_s:6.2f} s (ratio {past_s / past_read_s:4.2f}x)"
        )
        rebuilt, rebuild_s = _timed(cohort.rebuild)
        read, read_s = _timed(lambda: read_and_decode(records, 0))
        print(
            f"  rebuild {rebuilt} events: {rebuilt / rebuild_s:7.0f} ev/s vs read+decode "
            f"{read / read_s:7.0f} ev/s (ratio {(rebuilt / rebuild_s) / (read / read_s):4.2f}x)"
        )
        records.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--children", type=int, default=1000)
    parser.add_argument("--stages", type=int, default=4)
    parser.add_argument("--postgres-events", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=50, help="runs per query for the p95")
    args = parser.parse_args()
    print("cohort read models (one run; ratio = catch-up / plain read+decode, same events)")
    for kind in kinds():
        events = args.events if kind == "sqlite" else args.postgres_events
        children = (
            args.children if kind == "sqlite" else max(1, args.children * events // args.events)
        )
        bench_store(kind, events, children, args.stages, args.repeat)


if __name__ == "__main__":
    main()
