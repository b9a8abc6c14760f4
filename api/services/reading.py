"""Reading a child's views: the one use case behind every read of a child, for the API
and the pages alike. Visibility first (404 as for an unknown id), then each view the
caller shows logged in the child's access log with the times it was read for, then the
views built without what the user may not receive, each listing what it withheld."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from api.deps import Services, log_read, visible_child, withheld_from, withheld_listing
from api.users import User
from domain.child import ChildRecord


def read_views(
    svc: Services,
    user: User,
    child_id: UUID,
    names: tuple[str, ...],
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
    logged: tuple[str, ...] | None = None,
) -> tuple[ChildRecord, dict[str, dict[str, Any]]]:
    """The child and the named views. Each view shown is logged (`logged`, default all: a
    view read only for the names of people and provisions in another is part of that
    one's read)."""
    child = visible_child(svc, user, child_id)
    for name in names if logged is None else logged:
        log_read(svc, user, child_id, name, as_of=as_of, known_at=known_at)
    hidden = withheld_from(svc, user, child_id)
    found = {
        name: svc.views.view(name, child_id, as_of=as_of, known_at=known_at, withhold=hidden.keys())
        for name in names
    }
    listed = withheld_listing(svc, child_id, hidden, as_of=as_of, known_at=known_at)
    for view in found.values():
        view["withheld"] = listed  # listed as withheld, never silently left out
    return child, found


def read_view(
    svc: Services,
    user: User,
    child_id: UUID,
    name: str,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> dict[str, Any]:
    """One view of the child, logged."""
    return read_views(svc, user, child_id, (name,), as_of=as_of, known_at=known_at)[1][name]
