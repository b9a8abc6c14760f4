"""Append throughput: sendtrail commands vs bare eventsourcing on the same database.

Both sides follow the same pattern: one event per transaction (get the aggregate, trigger
one event, save) across many aggregates; and batched (many events of one aggregate saved
in one transaction). Prints events/s and the ratio sendtrail / bare.

The batched runs are repeated (`--repeat`, alternating the two sides) and print the
median wall clock and the median CPU time of this process (which a busy machine stretches
far less), then where each side's CPU goes, in microseconds an event: the domain (making
the events: sendtrail's rules, eventsourcing's decorators for the bare aggregate), the
mapper (state to stored bytes: sendtrail's canonical JSON, salt, commitment and AES-GCM;
the stock JSON transcoder for bare) and the store (the rest of the save: the events' rows
and, for sendtrail, the ledger's leaves, Merkle nodes and heads, then the commit).

    python -m bench.append [--children 100] [--per-child 10] [--batch 2000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from typing import cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, DomainEventProtocol, event
from eventsourcing.persistence import Mapper

from api.bootstrap import open_records, persistence_env
from bench.stores import fresh_settings, kinds
from domain import commands as cmd
from domain.child import ChildRecord
from domain.envelope import EnvelopeDraft, RecordedBy

BY = RecordedBy("bench-kp", "practitioner", "bench-setting")


class Note(Aggregate):
    """The bare baseline: a trivial aggregate with one kind of event."""

    @event("Created")
    def __init__(self, setting: str) -> None:
        self.setting = setting
        self.notes: list[str] = []

    @event("Noted")
    def note(self, area: str, notes: str, observer: str) -> None:
        self.notes.append(f"{area}: {notes} ({observer})")


class Bare(Application[UUID]):
    name = "bare"


def _rate(n: int, run: Callable[[], None]) -> float:
    started = time.perf_counter()
    run()
    return n / (time.perf_counter() - started)


def _cpu_wall(run: Callable[[], object]) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result) of `run()`."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _map_all(mapper: Mapper[UUID], events: Sequence[DomainEventProtocol[UUID]]) -> None:
    for domain_event in events:
        mapper.to_stored_event(domain_event)


def bench_store(kind: str, children: int, per_child: int, batch: int, repeat: int) -> None:
    with fresh_settings(kind) as settings:
        # The baseline is eventsourcing as it comes: no ledger recorder, no mapper, no cipher.
        plain = {
            k: v
            for k, v in persistence_env(settings).items()
            if k
            not in (
                "APPLICATION_RECORDER_TOPIC",
                "MAPPER_TOPIC",
                "CIPHER_TOPIC",
                "TRANSCODER_TOPIC",
            )
        }
        if plain["PERSISTENCE_MODULE"].startswith("ledger."):  # our factory: theirs, as shipped
            plain["PERSISTENCE_MODULE"] = "eventsourcing.postgres"
        bare = Bare(plain)
        records = open_records(settings)
        draft = EnvelopeDraft(date(2025, 2, 3), BY)
        notes = [Note("s") for _ in range(children)]
        bare.save(*notes)
        bare_ids = [note.id for note in notes]
        child_ids = [
            records.register(
                cmd.RegisterChild(
                    given_name="Bench",
                    family_name="Mark",
                    date_of_birth=date(2023, 1, 1),
                    setting_id="bench-setting",
                ),
                draft,
            )
            for _ in range(children)
        ]
        n = children * per_child

        def bare_single() -> None:
            for _ in range(per_child):
                for note_id in bare_ids:
                    note: Note = bare.repository.get(note_id)
                    note.note(area="physical", notes="Climbed the frame.", observer="KP")
                    bare.save(note)

        def ours_single() -> None:
            for _ in range(per_child):
                for child_id in child_ids:
                    records.handle(
                        child_id,
                        cmd.RecordObservation(
                            area="physical", notes="Climbed the frame.", observer="KP"
                        ),
                        draft,
                    )

        def bare_batch() -> None:
            note = Note("s")
            for _ in range(batch):
                note.note(area="physical", notes="Climbed the frame.", observer="KP")
            bare.save(note)

        def bare_aggregate() -> Note:
            note = Note("s")
            for _ in range(batch):
                note.note(area="physical", notes="Climbed the frame.", observer="KP")
            return note

        def ours_aggregate(child_id: UUID) -> ChildRecord:
            envelope = draft.seal(now=records.clock(), skew=records.skew)
            child = ChildRecord.register(
                envelope,
                child_id=child_id,
                given_name="Bench",
                family_name="Mark",
                date_of_birth=date(2023, 1, 1),
                setting_id="bench-setting",
            )
            for _ in range(batch):
                child.record_observation(
                    envelope, area="physical", notes="Climbed the frame.", observer="KP"
                )
            return child

        def ours_batch() -> None:
            envelope = draft.seal(now=records.clock(), skew=records.skew)
            child = ChildRecord.register(
                envelope,
                child_id=UUID(int=children + 1),
                given_name="Bench",
                family_name="Mark",
                date_of_birth=date(2023, 1, 1),
                setting_id="bench-setting",
            )
            for _ in range(batch):
                child.record_observation(
                    envelope, area="physical", notes="Climbed the frame.", observer="KP"
                )
            records.save(child)

        results = {
            "single": (_rate(n, bare_single), _rate(n, ours_single)),
            "batched": (_rate(batch, bare_batch), _rate(batch + 1, ours_batch)),
        }
        for mode, (bare_rate, ours_rate) in results.items():
            print(
                f"{kind:8} {mode:8} bare {bare_rate:9.0f} ev/s   sendtrail {ours_rate:9.0f} "
                f"ev/s   ratio {ours_rate / bare_rate:5.2f}x"
            )
        # One event a transaction is bound by each commit's flush to disk, which a shared
        # disk makes vary by a half from one pass to the next: the sides alternate, and the
        # medians of the wall clock and of this process's CPU time are printed.
        singles: dict[str, list[tuple[float, float]]] = {"bare": [], "ours": []}
        for _ in range(repeat):
            for side, run in (("bare", bare_single), ("ours", ours_single)):
                wall, cpu, _ = _cpu_wall(run)
                singles[side].append((wall, cpu))
        wall_ratio, cpu_ratio = (
            statistics.median(w[i] for w in singles["bare"])
            / statistics.median(w[i] for w in singles["ours"])
            for i in (0, 1)
        )
        print(
            f"{kind:8} single   x{repeat}: median wall ratio {wall_ratio:4.2f}x, CPU ratio "
            f"{cpu_ratio:4.2f}x ({n} events a pass, each side)"
        )
        # Repeated batches, each side's time split into domain, mapper and store.
        parts: dict[str, list[tuple[float, float, float, float]]] = {"bare": [], "ours": []}
        for n in range(repeat):
            note_wall, note_cpu, note = _cpu_wall(bare_aggregate)
            mapped = bare_aggregate().collect_events()  # never saved: the mapper alone
            _, bare_mapper, _ = _cpu_wall(partial(_map_all, bare.mapper, mapped))
            save_wall, save_cpu, _ = _cpu_wall(partial(bare.save, cast(Note, note)))
            parts["bare"].append(
                (note_wall + save_wall, note_cpu, bare_mapper, save_cpu - bare_mapper)
            )
            child_wall, child_cpu, child = _cpu_wall(
                partial(ours_aggregate, UUID(int=children + 2 + 2 * n))
            )
            events = ours_aggregate(UUID(int=children + 3 + 2 * n)).collect_events()
            _, ours_mapper, _ = _cpu_wall(partial(_map_all, records.mapper, events))
            save_wall, save_cpu, _ = _cpu_wall(partial(records.save, cast(ChildRecord, child)))
            parts["ours"].append(
                (child_wall + save_wall, child_cpu, ours_mapper, save_cpu - ours_mapper)
            )
        medians = {
            side: [statistics.median(run[i] for run in runs) for i in range(4)]
            for side, runs in parts.items()
        }
        bare_cpu, ours_cpu = sum(medians["bare"][1:]), sum(medians["ours"][1:])
        print(
            f"{kind:8} batched x{repeat}: median wall ratio "
            f"{medians['bare'][0] / medians['ours'][0]:4.2f}x, CPU ratio "
            f"{bare_cpu / ours_cpu:4.2f}x; CPU us an event (domain + mapper + store):"
        )
        for side, (_, domain, mapper, store) in medians.items():
            per = 1e6 / batch
            print(
                f"{kind:8}   {side:4} {domain * per:5.1f} + {mapper * per:5.1f} + "
                f"{store * per:5.1f} = {(domain + mapper + store) * per:5.1f}"
            )
        records.close()
        bare.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=100)
    parser.add_argument("--per-child", type=int, default=10)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print("append throughput (one run; ratio = sendtrail / bare eventsourcing, same database)")
    for kind in kinds():
        bench_store(kind, args.children, args.per_child, args.batch, args.repeat)


if __name__ == "__main__":
    main()
