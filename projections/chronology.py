"""The chronology: every entry in the order it happened, with both times.

Corrections sit beside the entry they correct (the original stays, marked), entries
marked as mistaken stay with the reason, a parent's dispute sits beside the opinion it
disputes, and entries recorded long after they happened are flagged as late.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from projections.jsonable import jsonable
from projections.timeline import Entry, flags

LATE_AFTER = timedelta(days=7)


def chronology(entries: Sequence[Entry], *, late_after: timedelta = LATE_AFTER) -> dict[str, Any]:
    """The admitted entries in world order (ties broken by version), each with its flags."""
    marks = flags(entries)
    rows = []
    for entry in sorted(entries, key=lambda e: (e.occurred_at, e.version)):
        mark = marks.get(entry.version)
        event = entry.event
        lag = entry.recorded_at - entry.occurred_at
        rows.append(
            {
                "version": entry.version,
                "kind": entry.kind,
                "occurred_at": entry.occurred_at.isoformat(),
                "precision": event.precision,
                "recorded_at": entry.recorded_at.isoformat(),
                "late": lag
                > late_after + (timedelta(days=1) if event.precision == "day" else timedelta(0)),
                "recorded_by": jsonable(event.recorded_by),
                "basis": event.basis,
                "sensitivity": event.sensitivity,
                "attachments": list(event.attachments),
                "details": jsonable(entry.payload()),
                "corrected_by": mark.corrections if mark else [],
                "mistaken": mark.mistaken if mark else None,
                "disputes": mark.disputes if mark else [],
            }
        )
    return {"entries": rows, "count": len(rows), "late_entries": sum(1 for r in rows if r["late"])}
