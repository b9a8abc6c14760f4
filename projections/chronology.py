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
    marks = flags(entries)
    ordered = sorted(entries, key=lambda e: (e.occurred_at, e.version))
    late = [_late(entry, late_after) for entry in ordered]
    picked = [n for n, e in enumerate(ordered) if only.admits(e)] if only else range(len(ordered))
    end = len(picked) if limit is None else min(len(picked), offset + limit)
    rows = [_row(ordered[n], marks, late[n]) for n in picked[offset:end]]
    result: dict[str, Any] = {"entries": rows, "count": len(ordered), "late_entries": sum(late)}
    if only:
        result["matched"] = len(picked)
    if limit is not None:
        result |= {
            "offset": offset,
            "limit": limit,
            "next_offset": end if end < len(picked) else None,
        }
    return result


def _late(entry: Entry, late_after: timedelta) -> bool:
    slack = {"day": timedelta(days=1), "month": timedelta(days=31)}
    day = slack.get(entry.event.precision, timedelta(0))
    return _first_recorded(entry) - entry.occurred_at > late_after + day


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


_FIXED = "_chronology_fixed"
_SEARCHABLE = "_chronology_searchable"
