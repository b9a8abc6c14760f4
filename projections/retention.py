"""The retention report: for every record, until when it is kept and whether it is due.

A report, never an action: disposal is a `RetentionDisposed` event followed by the
destruction of the record's keys (`sendtrail retention dispose`), and a legal hold or a
missing date of birth (under the "review" policy) always keeps a record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.application import ChildRecords
from domain.errors import ChildNotFound
from domain.retention import RetentionPolicy

# In the order the report lists them: what needs doing first.
STATUSES = ("due", "needs_review", "legal_hold", "retained")


@dataclass(frozen=True)
class RetentionRow:
    """One record's place in the retention schedule."""

    child_id: UUID
    setting_id: str
    retain_until: date | None
    status: str
    basis: str


def retention_report(
    records: ChildRecords, policy: RetentionPolicy, *, today: date
) -> list[RetentionRow]:
    """Every record not yet erased: due ones first, then those needing a person's review,
    those under a legal hold, and the rest by date."""
    rows = []
    for child_id in records.child_ids():
        try:
            child = records.get_child(child_id)
        except ChildNotFound:  # erased since the ids were listed
            continue
        until = policy.retain_until(child.date_of_birth, child.registered_on)
        if child.legal_hold:
            status = "legal_hold"
        elif until is None:
            status = "needs_review"
        elif until <= today:
            status = "due"
        else:
            status = "retained"
        rows.append(
            RetentionRow(
                child_id, child.setting_id, until, status, policy.basis(child.date_of_birth)
            )
        )
    return sorted(
        rows, key=lambda r: (STATUSES.index(r.status), r.retain_until or date.max, str(r.child_id))
    )
