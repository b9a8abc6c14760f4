"""Per-child encryption and erasure: what they cost, against the same store in clear.

The baseline is the same application, recorder and committing mapper writing clear (ST1)
frames — only `CIPHER_TOPIC` is left out — on a fresh store of the same kind, in the same
run. Appends: one command per transaction across many children, and many events of one
child in one transaction; registering a child (which also makes its data key). Loads: a
full replay of one child, decoding (and decrypting) every event, and `get_child` (snapshot
and tail) without the in-memory cache. Erasure: a child with 200 events against one with
2,000 (it should not depend on the count: it destroys a key, it does not touch events).

    python -m bench.privacy [--children 50] [--per-child 10] [--batch 2000] [--events 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import cast
from uuid import UUID, uuid4

from eventsourcing.application import project_aggregate

from api.bootstrap import attach_key_store, persistence_env
from api.erasure import erase_child
from api.settings import Settings
from bench.stores import fresh_settings, kinds
from domain import commands as cmd
from domain.application import ChildRecords
from domain.child import ChildRecord
from domain.envelope import EnvelopeDraft, RecordedBy
from ledger.log import LedgerBackend

BY = RecordedBy("bench-kp", "practitioner", "bench-setting")
DRAFT = EnvelopeDraft(date(2025, 2, 3), BY)
NOTES = "Climbed the frame, then helped a friend up; said 'my turn' twice."


@contextmanager
def store(kind: str, *, sealed: bool, cache: bool = True) -> Iterator[ChildRecords]:
    """A fresh store of `kind`, with or without per-child encryption."""
    with fresh_settings(kind) as settings:
        records = open_app(settings, sealed=sealed, cache=cache)
        try:
            yield records
        finally:
            records.close()


def open_app(settings: Settings, *, sealed: bool, cache: bool = True) -> ChildRecords:
    env = persistence_env(settings)
    if not sealed:
        env.pop("CIPHER_TOPIC")
    if not cache:
        env.pop("AGGREGATE_CACHE_MAXSIZE")
        env.pop("AGGREGATE_CACHE_FASTFORWARD")
    records = ChildRecords(env, snapshot_interval=settings.snapshot_interval)
    attach_key_store(records, settings)
    return records


def register(records: ChildRecords) -> UUID:
    return records.register(
        cmd.RegisterChild(
            given_name="Bench",
            family_name="Mark",
            date_of_birth=date(2023, 1, 1),
            setting_id="bench-setting",
        ),
        DRAFT,
    )


def child_with(records: ChildRecords, events: int) -> UUID:
    """A child with `events` events, saved in chunks of 100 (so snapshots land)."""
    envelope = DRAFT.seal(now=records.clock(), skew=records.skew)
    child = ChildRecord.register(
        envelope,
        child_id=uuid4(),
        given_name="Bench",
        family_name="Mark",
        date_of_birth=date(2023, 1, 1),
        setting_id="bench-setting",
    )
    for n in range(events - 1):
        child.record_observation(envelope, area="physical", notes=f"{NOTES} {n}", observer="KP")
        if n % 100 == 99:
            records.save(child)
    records.save(child)
    return child.id


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def median_ms(repeat: int, run: Callable[[], object]) -> float:
    return statistics.median(timed(run) for _ in range(repeat)) * 1000


def appends(kind: str, sealed: bool, children: int, per_child: int, batch: int) -> list[float]:
    """[registrations/s, single-command events/s, batched events/s]."""
    with store(kind, sealed=sealed) as records:
        ids: list[UUID] = []
        registering = timed(lambda: ids.extend(register(records) for _ in range(children)))

        def single() -> None:
            for _ in range(per_child):
                for child_id in ids:
                    records.handle(
                        child_id,
                        cmd.RecordObservation(area="physical", notes=NOTES, observer="KP"),
                        DRAFT,
                    )

        one = timed(single)
        batched = timed(lambda: child_with_one_save(records, batch))
        return [children / registering, children * per_child / one, batch / batched]


def child_with_one_save(records: ChildRecords, events: int) -> None:
    envelope = DRAFT.seal(now=records.clock(), skew=records.skew)
    child = ChildRecord.register(
        envelope,
        child_id=uuid4(),
        given_name="Bench",
        family_name="Mark",
        date_of_birth=date(2023, 1, 1),
        setting_id="bench-setting",
    )
    for _ in range(events - 1):
        child.record_observation(envelope, area="physical", notes=NOTES, observer="KP")
    records.save(child)


def loads(kind: str, sealed: bool, events: int, repeat: int) -> list[float]:
    """[full replay ms, get_child (snapshot + tail) ms], no in-memory cache."""
    with store(kind, sealed=sealed, cache=False) as records:
        child_id = child_with(records, events)
        replay = median_ms(repeat, lambda: project_aggregate(None, records.events.get(child_id)))
        snapshot = median_ms(repeat, lambda: records.get_child(child_id))
        return [replay, snapshot]


def erase(records: ChildRecords, backend: LedgerBackend, child_id: UUID) -> None:
    erase_child(
        records,
        backend,
        child_id,
        draft=lambda s: EnvelopeDraft(datetime.now(tz=UTC), RecordedBy("bench", "admin", s)),
        reason="bench",
    )


def erasures(kind: str, sizes: list[int], repeat: int) -> dict[int, float]:
    """Median ms to erase a child with each number of events."""
    with fresh_settings(kind) as settings:
        records = open_app(settings, sealed=True)
        backend = cast(LedgerBackend, records.recorder)
        found: dict[int, list[float]] = {size: [] for size in sizes}
        try:
            for _ in range(repeat):
                made = {size: child_with(records, size) for size in sizes}
                backend.scrub()  # so no erasure pays for checkpointing the others' writes
                for size, child_id in made.items():
                    started = time.perf_counter()
                    erase(records, backend, child_id)
                    found[size].append(time.perf_counter() - started)
        finally:
            records.close()
        return {size: statistics.median(times) * 1000 for size, times in found.items()}


def best(runs: list[list[float]], *, higher: bool) -> list[float]:
    """Per measure, the best of the runs (rates: highest; times: lowest)."""
    pick = max if higher else min
    return [pick(values) for values in zip(*runs, strict=True)]


def bench_store(kind: str, args: argparse.Namespace) -> None:
    rates: dict[bool, list[list[float]]] = {False: [], True: []}
    times: dict[bool, list[list[float]]] = {False: [], True: []}
    for _ in range(args.rounds):  # alternate, so drift on a shared box hits both sides
        for sealed in (False, True):
            rates[sealed].append(appends(kind, sealed, args.children, args.per_child, args.batch))
            times[sealed].append(loads(kind, sealed, args.events, args.repeat))
    clear_rates, sealed_rates = best(rates[False], higher=True), best(rates[True], higher=True)
    for name, c, s in zip(
        ("register (per child)", "append, one per txn", f"append, {args.batch} in one txn"),
        clear_rates,
        sealed_rates,
        strict=True,
    ):
        print(
            f"{kind:8} {name:26} clear {c:8.0f}/s   encrypted {s:8.0f}/s   overhead {c / s:5.2f}x"
        )
    clear_times, sealed_times = best(times[False], higher=False), best(times[True], higher=False)
    for name, c, s in zip(
        (f"load {args.events}, full replay", f"load {args.events}, snapshot+tail"),
        clear_times,
        sealed_times,
        strict=True,
    ):
        print(
            f"{kind:8} {name:26} clear {c:8.2f} ms  encrypted {s:8.2f} ms  overhead {s / c:5.2f}x"
        )
    sizes = erasures(kind, [200, 2000], args.erase_repeat)
    print(
        f"{kind:8} {'erase a child':26} 200 events {sizes[200]:7.1f} ms   2000 events "
        f"{sizes[2000]:7.1f} ms   ratio {sizes[2000] / sizes[200]:5.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=50)
    parser.add_argument("--per-child", type=int, default=10)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--erase-repeat", type=int, default=5)
    args = parser.parse_args()
    print("per-child encryption vs the same store in clear (best of rounds; overhead = cost)")
    for kind in kinds():
        bench_store(kind, args)


if __name__ == "__main__":
    main()
