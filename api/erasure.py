"""Erasing a child: record it, destroy the data keys, purge what read models still hold.

The order makes every interruption safe to finish by running the same command again:
1. `RecordErased` (or, at the end of retention, `RetentionDisposed`) is appended (refused
   under a legal hold; skipped if already there);
2. the data keys of everything stored about the child (record, access log) are destroyed,
   with tombstones, in one key-store transaction — from here on nothing can be read;
3. the cohort rows, the parent users linked to the child and this process's caches go,
   and on SQLite the WAL is checkpointed and truncated so deleted rows linger in no file.
The events, audit leaves, chain and Merkle tree stay: `sendtrail audit` still passes, and
bundles exported earlier still verify (they carry their own plaintext).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from api.bootstrap import open_key_store
from api.users import UserStore
from domain.application import ChildRecords
from domain.envelope import EnvelopeDraft
from domain.retention import RetentionPolicy
from ledger.framing import parse
from ledger.log import LedgerBackend
from projections.cohort import CohortProjection


class ErasureRefused(Exception):
    """Destroying the keys would not make this record unreadable."""


@dataclass(frozen=True)
class Erasure:
    """What one erasure did."""

    child_id: UUID
    erased_version: int | None  # None: the erasure was already recorded (a re-run)
    keys_destroyed: int
    users_removed: int


def erase_child(
    records: ChildRecords,
    backend: LedgerBackend,
    child_id: UUID,
    *,
    draft: Callable[[str], EnvelopeDraft],
    reason: str,
    forget: Callable[[UUID], None] | None = None,
) -> Erasure:
    """Erase one child (see the module docstring). `draft(setting_id)` makes the envelope
    of the RecordErased event; `forget` drops the child from other in-memory caches."""
    return shred_child(
        records,
        backend,
        child_id,
        record=lambda setting: records.erase(child_id, draft(setting), reason=reason),
        forget=forget,
    )


def dispose_child(
    records: ChildRecords,
    backend: LedgerBackend,
    child_id: UUID,
    *,
    draft: Callable[[str], EnvelopeDraft],
    policy: RetentionPolicy,
    forget: Callable[[UUID], None] | None = None,
) -> Erasure:
    """Dispose of one child's record at the end of its retention period: RetentionDisposed
    (refused under a legal hold or before the date), then as an erasure."""
    return shred_child(
        records,
        backend,
        child_id,
        record=lambda setting: records.dispose(child_id, draft(setting), policy=policy),
        forget=forget,
    )


def shred_child(
    records: ChildRecords,
    backend: LedgerBackend,
    child_id: UUID,
    *,
    record: Callable[[str], int],
    forget: Callable[[UUID], None] | None = None,
) -> Erasure:
    """`record(setting_id)` appends the record's last event (unless one is there from an
    interrupted run); then the keys, caches, read-model rows and parent users go."""
    version = None
    if not records.is_erased(child_id):
        child = records.get_child(child_id)  # ChildNotFound for an unknown id
        if _written_in_clear(records, child_id):
            raise ErasureRefused(
                "this record was written before per-child encryption (clear frames): "
                "destroying keys would not make it unreadable"
            )
        version = record(child.setting_id)
    destroyed = open_key_store(records).destroy(records.stored_ids(child_id))
    records.forget(child_id)
    if forget is not None:
        forget(child_id)
    CohortProjection(records, backend).forget(child_id)
    removed = UserStore(backend).remove_for_child(str(child_id))
    backend.scrub()
    return Erasure(child_id, version, destroyed, removed)


def _written_in_clear(records: ChildRecords, child_id: UUID) -> bool:
    # A record is sealed from its first event on, or (written before encryption) not.
    first = records.recorder.select_events(child_id, limit=1)
    return bool(first) and not parse(first[0].state).sealed
