"""Loading a 2,000-event child: full replay vs snapshot + tail, on each store.

python -m bench.load [--events 2000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date

from eventsourcing.application import project_aggregate

from api.bootstrap import open_ledger, open_records
from bench.stores import fresh_settings, kinds, write_child
from domain.envelope import RecordedBy
from projections.views import VIEWS, ChildViews

BY = RecordedBy("bench-kp", "practitioner", "bench-setting")


def _median_ms(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench_store(kind: str, events: int, repeat: int) -> None:
    with fresh_settings(kind) as settings:
        records = open_records(settings)
        # saved in chunks of 100 so snapshots land on interval boundaries
        child_id = write_child(records, events, chunk=100)

        def replay() -> object:
            return project_aggregate(None, records.events.get(child_id))

        def snapshot() -> object:
            return records.get_child(child_id)

        assert replay() == snapshot()
        full, snap = _median_ms(repeat, replay), _median_ms(repeat, snapshot)
        print(
            f"{kind:8} {events} events: full replay {full:7.2f} ms   snapshot+tail {snap:6.2f} ms"
            f"   ratio {snap / full:5.3f}x"
        )
        # A view as of a past date: the cache holds decoded entries, so only the fold over
        # the admitted entries is paid; checked exact against a fresh, uncached replay.
        views = ChildViews(records, open_ledger(records, settings))
        middle = date(2025, 2, 3)
        views.view("plan", child_id, as_of=middle)
        for name in VIEWS:
            fresh = ChildViews(records, open_ledger(records, settings))
            assert views.view(name, child_id, as_of=middle) == fresh.view(
                name, child_id, as_of=middle
            )
        as_of = _median_ms(repeat, lambda: views.view("plan", child_id, as_of=middle))
        chron = _median_ms(repeat, lambda: views.view("chronology", child_id, as_of=middle))
        cold = _median_ms(
            3,
            lambda: ChildViews(records, open_ledger(records, settings)).view(
                "plan", child_id, as_of=middle
            ),
        )
        print(
            f"{kind:8} {events} events: plan as of a past date {as_of:6.2f} ms "
            f"(ratio {as_of / full:5.3f}x of full replay), chronology {chron:6.2f} ms "
            f"({chron / full:5.3f}x); cold cache {cold:6.2f} ms ({cold / full:4.2f}x)"
        )
        records.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print("load one child (median of repeats; ratio = snapshot / full replay, same database)")
    for kind in kinds():
        bench_store(kind, args.events, args.repeat)


if __name__ == "__main__":
    main()
