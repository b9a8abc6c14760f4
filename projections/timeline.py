"""A child's entries on both time axes, and which of them a view admits.

- `occurred_at` (valid time): when it happened in the world, from the event envelope.
- `recorded_at` (record time): when the store committed it, from the ledger leaf written
  in the same transaction. It never runs backwards, so the entries known at time T are a
  prefix of the child's versions.

`admit(entries, as_of=D, known_at=T)` keeps what was recorded by T and happened by the
end of D. A correction or a mistake mark restates what happened at its target's date, so
it is admitted with its target: "the record as of D, given what was known at T" shows a
later correction of an entry from before D, as long as the correction itself was known by
T. A parent's dispute (like a parent's view) is a statement of its own date: admitted only
from its own occurred_at, and only with its target.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from threading import Lock
from typing import Any
from uuid import UUID

from domain import events as ev
from domain.application import ChildRecords
from domain.errors import ChildNotFound
from ledger.leaf import parse_time
from ledger.log import Ledger

ENVELOPE_FIELDS = frozenset(
    {
        "occurred_at",
        "precision",
        "recorded_by",
        "basis",
        "sensitivity",
        "attachments",
        "provenance",
        "originator_id",
        "originator_version",
        "timestamp",
        "originator_topic",
    }
)
ABOUT_OTHERS: dict[type, str] = {
    ev.RecordCorrected: "supersedes",
    ev.EntryMarkedMistaken: "target_version",
    ev.EntryDisputed: "target_version",
}

# Entries that restate what happened at their target's date (DOMAIN.md, bitemporal): a
# view at a date admits them with their target, however late they were made, as long as
# they were known by its known_at. Every other entry about an entry (a parent's dispute)
# is a statement of its own date, admitted from its own occurred_at (with its target).
RESTATING: frozenset[type] = frozenset({ev.RecordCorrected, ev.EntryMarkedMistaken})


RecordEvent = ev.ChildEvent | ev.ChildRegistered


@dataclass(frozen=True)
class Entry:
    """One event of a child, with its record time."""

    event: RecordEvent
    recorded_at: datetime

    @property
    def version(self) -> int:
        return int(self.event.originator_version)

    @property
    def kind(self) -> str:
        return type(self.event).__name__

    @property
    def occurred_at(self) -> datetime:
        return self.event.occurred_at

    @property
    def occurred_on(self) -> date:
        return self.event.occurred_at.astimezone(UTC).date()

    def payload(self) -> dict[str, Any]:
        """The event's own fields, without the envelope."""
        return {k: v for k, v in vars(self.event).items() if k not in ENVELOPE_FIELDS}


def target_of(entry: Entry) -> int | None:
    """The version an entry is about, for corrections, mistake marks and disputes."""
    name = ABOUT_OTHERS.get(type(entry.event))
    return None if name is None else int(getattr(entry.event, name))


def end_of(day: date) -> datetime:
    """The last instant of `day` (UTC): an event at 23:59 on D is part of D."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def admit(
    entries: Sequence[Entry], *, as_of: date | None = None, known_at: datetime | None = None
) -> list[Entry]:
    """The entries a view at (as_of, known_at) is built from, in version order."""
    admitted: list[Entry] = []
    admitted_versions: set[int] = set()
    limit = end_of(as_of) if as_of is not None else None
    for entry in entries:
        if known_at is not None and entry.recorded_at > known_at:
            break  # record time is monotonic: nothing later was known either
        target = target_of(entry)
        in_time = limit is None or entry.occurred_at <= limit
        if target is None:
            keep = in_time
        elif type(entry.event) in RESTATING:
            keep = target in admitted_versions  # it speaks of its target's date
        else:
            keep = target in admitted_versions and in_time  # a statement of its own date
        if keep:
            admitted.append(entry)
            admitted_versions.add(entry.version)
    return admitted


def flagged(entries: Sequence[Entry], sensitivity: str) -> set[int]:
    """Versions of the entries flagged with `sensitivity`, and of the entries about them
    (corrections, marks, disputes), which say as much."""
    withheld: set[int] = set()
    for entry in entries:
        target = target_of(entry)
        if entry.event.sensitivity == sensitivity or (target is not None and target in withheld):
            withheld.add(entry.version)
    return withheld


def third_party(entries: Sequence[Entry]) -> set[int]:
    """Versions withheld from a subject access request: third-party information."""
    return flagged(entries, "third_party")


def restricted(entries: Sequence[Entry]) -> set[int]:
    """Versions only a SENCO or an admin may read."""
    return flagged(entries, "restricted")


@dataclass
class Flags:
    """What later entries say about one entry."""

    corrections: list[dict[str, Any]] = field(default_factory=list)
    mistaken: dict[str, Any] | None = None
    disputes: list[dict[str, Any]] = field(default_factory=list)


def flags(entries: Iterable[Entry]) -> dict[int, Flags]:
    """Corrections, mistake marks and disputes, keyed by the version they are about."""
    found: dict[int, Flags] = {}
    for entry in entries:
        target = target_of(entry)
        if target is None:
            continue
        note = {
            "version": entry.version,
            "on": entry.occurred_on.isoformat(),
            "by_role": entry.event.recorded_by.role,
        }
        slot = found.setdefault(target, Flags())
        if isinstance(entry.event, ev.RecordCorrected):
            corrected = {**note, "statement": entry.event.statement}
            if entry.event.values:  # the corrected field values, beside the original
                corrected["values"] = dict(entry.event.values)
            slot.corrections.append(corrected)
        elif isinstance(entry.event, ev.EntryMarkedMistaken):
            slot.mistaken = {**note, "reason": entry.event.reason}
        elif isinstance(entry.event, ev.EntryDisputed):
            slot.disputes.append(
                {**note, "comment": entry.event.comment, "person_id": entry.event.person_id}
            )
    return found


def effective(entries: Sequence[Entry]) -> list[Entry]:
    """Entries that count for derived views: marked mistakes drop out, and an entry whose
    correction carries values counts with them (the chronology still shows the original,
    flagged)."""
    mistaken = {v for v, f in flags(entries).items() if f.mistaken is not None}
    counted = []
    for entry in corrected(entries):
        if entry.version not in mistaken and target_of(entry) is None:
            counted.append(entry)
    return counted


def corrected(entries: Sequence[Entry]) -> list[Entry]:
    """The entries with the values their corrections carry put in (later corrections
    over earlier ones, field by field), in the same order."""
    values: dict[int, dict[str, Any]] = {}
    for entry in entries:
        e = entry.event
        if isinstance(e, ev.RecordCorrected) and e.values:
            values.setdefault(e.supersedes, {}).update(e.values)
    if not values:
        return list(entries)
    return [
        Entry(replace(entry.event, **values[entry.version]), entry.recorded_at)
        if entry.version in values
        else entry
        for entry in entries
    ]


class TimelineCache:
    """Decoded entries per child, extended incrementally: a view of a 2,000-event child
    decodes only the events it has not seen before (the cache never goes stale: events are
    immutable and versions only grow)."""

    def __init__(self, records: ChildRecords, ledger: Ledger, *, max_children: int = 256) -> None:
        self.records = records
        self.ledger = ledger
        self.max_children = max_children
        self._cache: dict[UUID, list[Entry]] = {}
        self._lock = Lock()

    def entries(self, child_id: UUID) -> list[Entry]:
        """Every entry of the child, in version order (ChildNotFound if none)."""
        with self._lock:
            cached = list(self._cache.get(child_id, []))
        after = cached[-1].version if cached else 0
        try:
            fresh = self.records.events_after(child_id, after)
        except ChildNotFound:  # erased since it was cached: its entries must go too
            self.forget(child_id)
            raise
        if fresh:
            times = {
                leaf.version: parse_time(leaf.recorded_at)
                for leaf in self.ledger.leaves(str(child_id), after=after)
            }
            missing = [e.originator_version for e in fresh if e.originator_version not in times]
            if missing:
                raise LookupError(f"events without ledger leaves: versions {missing[:5]}")
            cached.extend(Entry(event, times[event.originator_version]) for event in fresh)
        with self._lock:
            if child_id not in self._cache and len(self._cache) >= self.max_children:
                self._cache.pop(next(iter(self._cache)))
            self._cache[child_id] = cached
        return cached

    def forget(self, child_id: UUID) -> None:
        """Drop a child's decoded entries (after erasure)."""
        with self._lock:
            self._cache.pop(child_id, None)
