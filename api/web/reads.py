"""Reading a child for a page: visibility as in the API, every view read logged, and the
as-of control ("the record as it stood on D", optionally "as it was known on D")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID

from fastapi import Request

from api.deps import Services, log_read, visible_child
from api.schemas import EARLIEST_DAY, LATEST_DAY
from api.services.reading import read_views
from api.users import User
from domain.child import ChildRecord


@dataclass(frozen=True)
class Times:
    """Which times a page shows the record for (both None: now, everything known)."""

    as_of: date | None = None
    known_at: datetime | None = None
    error: str | None = None

    @property
    def query(self) -> str:
        """The same times as a query string, for links between a child's pages."""
        if self.as_of is None:
            return ""
        known = "&known=1" if self.known_at else ""
        return f"?as_of={self.as_of.isoformat()}{known}"


def day_asked(raw: str) -> tuple[date | None, str | None]:
    """A page's date from its query (None: none asked, or one it cannot read, with the
    reason to show; the value itself is never repeated)."""
    if not raw.strip():
        return None, None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        return None, "Enter a real date, for example 2025-03-10"
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        return None, "Enter a date between 1900 and 2999"
    return day, None


def times(request: Request) -> Times:
    """The as-of date and the "as known then" box from the query (a bad date is named,
    never repeated, and the page shows the record now)."""
    day, error = day_asked(request.query_params.get("as_of", ""))
    if day is None:
        return Times(error=error)
    known = request.query_params.get("known") == "1"
    # "As known then" means: only entries recorded by the end of that day (UTC).
    return Times(day, datetime.combine(day, time.max, tzinfo=UTC) if known else None)


def read(
    svc: Services,
    user: User,
    child_id: UUID,
    names: tuple[str, ...],
    when: Times,
    *,
    logged: tuple[str, ...] | None = None,
) -> tuple[ChildRecord, dict[str, dict[str, Any]]]:
    """The child (404 unless visible) and the named views at the page's times, each view
    shown logged as the API logs it (api/services/reading.py, the one read for both)."""
    return read_views(
        svc, user, child_id, names, as_of=when.as_of, known_at=when.known_at, logged=logged
    )


def summary_read(svc: Services, user: User, child_id: UUID) -> ChildRecord:
    """The child for a form's heading (logged as the API's one-child summary)."""
    child = visible_child(svc, user, child_id)
    log_read(svc, user, child_id, "summary")
    return child
