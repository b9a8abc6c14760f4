"""Who looked at a child's record: an append-only log per child, stored (and so audited)
through the same ledger as the record itself, without reloading it on every read."""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import DomainEvent

# Fixed namespace: the access log's id is derived from the child's random id, never from
# anything about the child.
ACCESS_NAMESPACE = UUID("6a1d3c50-9a8e-4e52-9f0c-5d2f8c1b7e10")


def access_log_id(child_id: UUID) -> UUID:
    """The id of a child's access log."""
    return uuid5(ACCESS_NAMESPACE, str(child_id))


class RecordViewed(DomainEvent):
    """One read of a child's record: who (user id, role, setting), which view, which times."""

    user: str
    role: str
    setting: str
    view: str
    as_of: str | None
    known_at: str | None
