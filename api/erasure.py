"""Erasing a child: record it, destroy the data keys, purge what read models still hold.

The order makes every interruption finish by itself:
1. `RecordErased` (or, at the end of retention, `RetentionDisposed`) is appended (refused
   under a legal hold; skipped if already there) — from here the erasure is *pending*;
2. the cohort rows, the parent users linked to the child and this process's caches go;
   (the child's attached files are sealed under its data key: step 3 makes them
   unreadable, and their rows are deleted after it);
3. the data keys of everything stored about the child (record, access log) are destroyed,
   with tombstones, in one key-store transaction — from here on nothing can be read;
4. on SQLite the WAL is checkpointed and truncated so deleted rows linger in no file.
Because the keys go last, "the record ends with its erasure and a key of it still exists"
is exactly "not finished" (`api.pending_erasures`): `serve` and every erasure command
finish such records first, and `keys status` and `audit` report them.
The events, audit leaves, chain and Merkle tree stay: `sendtrail audit` still passes, and
bundles exported earlier still verify (they carry their own plaintext).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from api.bootstrap import open_key_store
from api.crash_points import Step, no_crash
from api.invitations import InvitationStore
from api.users import UserStore
from domain import commands as cmd
from domain.application import ChildRecords
from domain.envelope import EnvelopeDraft
from domain.retention import RetentionPolicy
from ledger.documents import DocumentStore
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
    step: Step = no_crash,
) -> Erasure:
    """Erase one child (see the module docstring). `draft(setting_id)` makes the envelope
    of the RecordErased event; `forget` drops the child from other in-memory caches."""
    return shred_child(
        records,
        backend,
        child_id,
        record=lambda setting: records.handle(child_id, cmd.Erase(reason=reason), draft(setting)),
        forget=forget,
        step=step,
    )


def dispose_child(
    records: ChildRecords,
    backend: LedgerBackend,
    child_id: UUID,
    *,
    draft: Callable[[str], EnvelopeDraft],
    policy: RetentionPolicy,
    forget: Callable[[UUID], None] | None = None,
    step: Step = no_crash,
) -> Erasure:
    """Dispose of one child's record at the end of its retention period: RetentionDisposed
    (refused under a legal hold or before the date), then as an erasure."""
    return shred_child(
        records,
        backend,
        child_id,
        record=lambda setting: records.handle(child_id, cmd.Dispose(policy=policy), draft(setting)),
        forget=forget,
        step=step,
    )


def shred_child(
    records: ChildRecords,
    backend: LedgerBackend,
    child_id: UUID,
    *,
    record: Callable[[str], int],
    forget: Callable[[UUID], None] | None = None,
    step: Step = no_crash,
) -> Erasure:
    """`record(setting_id)` appends the record's last event (unless one is there from an
    interrupted run); then the rest is finished as `finish_erasure` does."""
    version = None
    if not records.is_erased(child_id):
        child = records.get_child(child_id)  # ChildNotFound for an unknown id
        if _written_in_clear(records, child_id):
            raise ErasureRefused(
                "this record was written before per-child encryption (clear frames): "
                "destroying keys would not make it unreadable"
            )
        version = record(child.setting_id)
        step("erasure-recorded")
    destroyed, removed = finish_erasure(records, backend, child_id, forget=forget, step=step)
    return Erasure(child_id, version, destroyed, removed)


def finish_erasure(
    records: ChildRecords,
    backend: LedgerBackend,
    child_id: UUID,
    *,
    forget: Callable[[UUID], None] | None = None,
    step: Step = no_crash,
) -> tuple[int, int]:
    """Everything after the erasure event, in an order that a rerun can finish: read
    models and parent users, then the keys, then the files. Returns (keys destroyed,
    parent users removed); idempotent."""
    CohortProjection(records, backend).forget(child_id)
    users = UserStore(backend)
    removed = users.remove_for_child(str(child_id))
    InvitationStore(backend, users).remove_for_child(str(child_id))
    step("read-models-purged")
    destroyed = open_key_store(records).destroy(records.stored_ids(child_id))
    # After the keys: a read racing with us may have cached the record again meanwhile.
    records.forget(child_id)
    if forget is not None:
        forget(child_id)
    step("keys-destroyed")
    DocumentStore(backend).purge(child_id)  # unreadable already; now gone as well
    backend.scrub()
    return destroyed, removed


def _written_in_clear(records: ChildRecords, child_id: UUID) -> bool:
    # A record is sealed from its first event on, or (written before encryption) not.
    first = records.recorder.select_events(child_id, limit=1)
    return bool(first) and not parse(first[0].state).sealed
