"""The chronology: every entry in the order it happened, with both times.

Corrections sit beside the entry they correct (the original stays, marked), entries
marked as mistaken stay with the reason, a parent's dispute sits beside the opinion it
disputes, and entries recorded long after they happened are flagged as late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain import events as ev
from ledger.leaf import parse_time
from projections.jsonable import jsonable
from projections.search import folded, strings
from projections.timeline import Entry, Flags, flags

LATE_AFTER = timedelta(days=7)
# Every kind of entry a chronology may hold (what `Only.kinds` may name).
KINDS = frozenset(
    name
    for name, kind in vars(ev).items()
    if isinstance(kind, type)
    and issubclass(kind, ev.ChildEvent | ev.ChildRegistered)
    and kind is not ev.ChildEvent
)


@dataclass(frozen=True)
class Only:
    """Which entries a filtered chronology lists: of these kinds (any, if none named), by
    this author (a user id), with every word of `text` in their details."""

    kinds: frozenset[str] = frozenset()
    author: str | None = None
    text: str = ""

    def __bool__(self) -> bool:
        return bool(self.kinds or self.author or self.text.strip())

    def admits(self, entry: Entry) -> bool:
        if self.kinds and entry.kind not in self.kinds:
            return False
        if self.author and entry.event.recorded_by.user != self.author:
            return False
        words = folded(self.text).split()
        return all(word in _searchable(entry) for word in words) if words else True


def _searchable(entry: Entry) -> str:
    """An entry's details as a search reads them, folded once and kept with the entry (an
    entry is immutable, and the timeline keeps entries between reads)."""
    cached: str | None = entry.__dict__.get(_SEARCHABLE)
    if cached is None:
        cached = folded(" ".join(strings(entry.payload())))
        entry.__dict__[_SEARCHABLE] = cached
    return cached


def chronology(
    entries: Sequence[Entry],
    *,
    late_after: timedelta = LATE_AFTER,
    offset: int = 0,
    limit: int | None = None,
    only: Only | None = None,
) -> dict[str, Any]:
    """The admitted entries in world order (ties broken by version), each with its flags.
    With `only`, just the entries it admits (`matched` counts them). With `limit`, one
    page of them from `offset` (`count` and `late_entries` are of every entry, and
    `next_offset` says where the next page starts, None after the last)."""
    return Chronology(entries, late_after=late_after).page(offset=offset, limit=limit, only=only)


class Chronology:
    """The chronology of one set of admitted entries, put in order and flagged once: each
    page after that writes out only its own rows, and keeps them (entries are immutable,
    so a row written once is the same on every later read of the same entries). Hold one
    per (child, version, as_of, known_at, withheld) and every page of it is cheap. The
    rows it gives are shared between reads: read them, never change them."""

    def __init__(self, entries: Sequence[Entry], *, late_after: timedelta = LATE_AFTER) -> None:
        self.marks = flags(entries)
        self.ordered = sorted(entries, key=_world_order)
        self.late = [_late(entry, late_after) for entry in self.ordered]
        self.late_entries = sum(self.late)
        self._rows: list[dict[str, Any] | None] = [None] * len(self.ordered)

    def page(
        self, *, offset: int = 0, limit: int | None = None, only: Only | None = None
    ) -> dict[str, Any]:
        """The body of the view: every entry, or those `only` admits, or a page of them
        (see `chronology`)."""
        ordered = self.ordered
        picked = [n for n, e in enumerate(ordered) if only.admits(e)] if only else None
        total = len(ordered) if picked is None else len(picked)
        end = total if limit is None else min(total, offset + limit)
        wanted = range(offset, end) if picked is None else picked[offset:end]
        result: dict[str, Any] = {
            "entries": [self._row(n) for n in wanted],
            "count": len(ordered),
            "late_entries": self.late_entries,
        }
        if only:
            result["matched"] = total
        if limit is not None:
            result |= {
                "offset": offset,
                "limit": limit,
                "next_offset": end if end < total else None,
            }
        return result

    def _row(self, n: int) -> dict[str, Any]:
        row = self._rows[n]
        if row is None:  # two readers may both write it: the same row, either kept
            row = self._rows[n] = _row(self.ordered[n], self.marks, self.late[n])
        return row


def _world_order(entry: Entry) -> tuple[datetime, int]:
    return entry.event.occurred_at, entry.event.originator_version


def _late(entry: Entry, late_after: timedelta) -> bool:
    """Whether the entry was recorded more than `late_after` (plus its precision's slack)
    after it happened; kept with the entry, as `_fixed` is, for the usual `late_after`."""
    if late_after == LATE_AFTER and _LATE in entry.__dict__:
        return bool(entry.__dict__[_LATE])
    day = _SLACK.get(entry.event.precision, _NO_SLACK)
    late = _first_recorded(entry) - entry.occurred_at > late_after + day
    if late_after == LATE_AFTER:
        entry.__dict__[_LATE] = late
    return late


def _first_recorded(entry: Entry) -> datetime:
    """When the entry was first recorded: here, or, for an entry taken in from another
    sendtrail (whose leaf, checked on import, says when that log recorded it), there. An
    entry recorded on time stays on time when a setting moves its records."""
    provenance = entry.event.provenance
    source = provenance.get("source_recorded_at") if provenance else None
    if isinstance(source, str):
        try:
            return parse_time(source)
        except ValueError:
            pass
    return entry.recorded_at


def _row(entry: Entry, marks: dict[int, Flags], late: bool) -> dict[str, Any]:
    mark = marks.get(entry.version)
    head, tail = _fixed(entry)
    return {
        **head,
        "late": late,
        **tail,
        "corrected_by": mark.corrections if mark else [],
        "mistaken": mark.mistaken if mark else None,
        "disputes": mark.disputes if mark else [],
    }


def _fixed(entry: Entry) -> tuple[dict[str, Any], dict[str, Any]]:
    """The parts of an entry's row that never change (an entry is immutable), written out
    once per entry and kept with it: the timeline keeps entries between reads, so a
    2,000-entry chronology is not rewritten field by field on every read."""
    cached: tuple[dict[str, Any], dict[str, Any]] | None = entry.__dict__.get(_FIXED)
    if cached is None:
        event = entry.event
        cached = (
            {
                "version": entry.version,
                "kind": entry.kind,
                "occurred_at": entry.occurred_at.isoformat(),
                "precision": event.precision,
                "recorded_at": entry.recorded_at.isoformat(),
            },
            {
                "recorded_by": jsonable(event.recorded_by),
                "basis": event.basis,
                "sensitivity": event.sensitivity,
                "attachments": list(event.attachments),
                "details": jsonable(entry.payload()),
            },
        )
        if event.provenance is not None:  # an imported entry says where it came from
            cached[1]["provenance"] = jsonable(event.provenance)
        entry.__dict__[_FIXED] = cached  # a frozen dataclass's own cache slot
    return cached


_SLACK = {"day": timedelta(days=1), "month": timedelta(days=31)}
_NO_SLACK = timedelta(0)
_FIXED = "_chronology_fixed"
_LATE = "_chronology_late"
_SEARCHABLE = "_chronology_searchable"
