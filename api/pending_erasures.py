"""Erasures that were recorded but not finished, found and finished.

An erasure is recorded first and its keys destroyed last (`api.erasure`), so a record
whose last event is `RecordErased` or `RetentionDisposed` while a data key of it still
exists was interrupted: it looks erased, yet its events still decrypt. Such records are
*pending*. `serve` and every erasure command finish them before anything else;
`keys status` and `audit` report them. Finding them needs no key: the topics are in the
ledger in clear, and the key store says which originators still hold a key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol
from uuid import UUID

from api.crash_points import Step, no_crash
from api.erasure import finish_erasure
from domain.access import access_log_id
from domain.application import ERASURE_TOPICS, ChildRecords
from ledger.log import LedgerBackend


class HoldsKeys(Protocol):
    """The key store, read-write or read-only."""

    def with_keys(self, originator_ids: Sequence[UUID]) -> set[UUID]: ...


def stored_ids(child_id: UUID) -> list[UUID]:
    """What an erasure destroys keys of (as `ChildRecords.stored_ids`, without opening the
    application: the record and its access log)."""
    return [child_id, access_log_id(child_id)]


def erased_children(backend: LedgerBackend) -> list[UUID]:
    """Children whose record ends with an erasure or a disposal."""
    with backend.ledger_cursor() as cursor:
        cursor.execute(
            backend.tables.q(
                "SELECT h.child_id, l.topic FROM {p}ledger_heads h JOIN {p}ledger_leaves l "
                "ON l.leaf_index = h.leaf_index ORDER BY h.child_id"
            )
        )
        rows = cursor.fetchall()
    return [UUID(str(row["child_id"])) for row in rows if row["topic"] in ERASURE_TOPICS]


def pending_erasures(backend: LedgerBackend, keys: HoldsKeys) -> list[UUID]:
    """Erased children some of whose data keys still exist."""
    return [c for c in erased_children(backend) if keys.with_keys(stored_ids(c))]


def finish_pending_erasures(
    records: ChildRecords,
    backend: LedgerBackend,
    keys: HoldsKeys,
    *,
    forget: Callable[[UUID], None] | None = None,
    step: Step = no_crash,
) -> list[UUID]:
    """Finish every pending erasure (read models, parent users, keys); returns whose."""
    pending = pending_erasures(backend, keys)
    for child_id in pending:
        finish_erasure(records, backend, child_id, forget=forget, step=step)
    return pending
