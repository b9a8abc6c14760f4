"""Disposal at the end of retention, shared by `sendtrail retention dispose` (an admin
confirms) and `serve`'s housekeeping (with retention_dispose=auto): the records due, and
each disposed of in turn as `api.erasure.dispose_child` does it (RetentionDisposed, then
its keys destroyed), a refusal (a legal hold placed meanwhile, say) keeping that record
and never stopping the others."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast
from uuid import UUID

from api.crash_points import Step, no_crash
from api.erasure import ErasureRefused, dispose_child
from domain.application import ChildRecords
from domain.envelope import EnvelopeDraft, RecordedBy
from domain.errors import DomainError
from domain.retention import RetentionPolicy
from ledger.log import LedgerBackend
from projections.retention import RetentionRow, retention_report


@dataclass
class Disposed:
    """Whose records were disposed of, and which were kept with the reason."""

    disposed: list[UUID] = field(default_factory=list)
    kept: list[tuple[UUID, str]] = field(default_factory=list)


def due_for_disposal(records: ChildRecords, policy: RetentionPolicy) -> list[RetentionRow]:
    """The records whose retention period is over today (legal holds are not due)."""
    today = records.clock().date()
    return [r for r in retention_report(records, policy, today=today) if r.status == "due"]


def dispose_each(
    records: ChildRecords,
    rows: list[RetentionRow],
    policy: RetentionPolicy,
    *,
    user_id: str,
    step: Step = no_crash,
) -> Disposed:
    """Dispose of each record of `rows`, recorded by `user_id` as the setting's admin."""
    done = Disposed()
    for row in rows:
        try:
            dispose_child(
                records,
                cast(LedgerBackend, records.recorder),
                row.child_id,
                draft=lambda setting: EnvelopeDraft(
                    records.clock(), RecordedBy(user_id, "admin", setting)
                ),
                policy=policy,
                step=step,
            )
        except (DomainError, ErasureRefused) as error:
            message = error.message if isinstance(error, DomainError) else str(error)
            done.kept.append((row.child_id, message))
        else:
            done.disposed.append(row.child_id)
    return done
