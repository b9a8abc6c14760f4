"""Append throughput: sendtrail commands vs bare eventsourcing on the same database.

Both sides follow the same pattern: one event per transaction (get the aggregate, trigger
one event, save) across many aggregates; and batched (many events of one aggregate saved
in one transaction). Prints events/s and the ratio sendtrail / bare.

    python -m bench.append [--children 100] [--per-child 10] [--batch 2000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

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


def bench_store(kind: str, children: int, per_child: int, batch: int) -> None:
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
        records.close()
        bare.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=100)
    parser.add_argument("--per-child", type=int, default=10)
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args()
    print("append throughput (one run; ratio = sendtrail / bare eventsourcing, same database)")
    for kind in kinds():
        bench_store(kind, args.children, args.per_child, args.batch)


if __name__ == "__main__":
    main()
