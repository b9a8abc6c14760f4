"""Questions a SENCO asks of the whole cohort, answered from the cohort tables.

Every query counts children on roll only (a row closed as left or erased is not part of
the cohort) and takes an optional `setting_id`: `setting_id = ?` when one is given (the
per-setting indexes of `cohort_tables` serve a dashboard's questions), no filter otherwise.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from uuid import UUID

from ledger.sql import Cursor, Row, Tables


@dataclass(frozen=True)
class StatusNeedCount:
    """How many children have this SEN status and primary need."""

    sen_status: str
    primary_need: str | None
    children: int


@dataclass(frozen=True)
class CohortChild:
    """A child picked out by a query: its id, setting and the dates that matter."""

    child_id: UUID
    setting_id: str
    sen_status: str
    primary_need: str | None
    plan_review_date: date | None


@dataclass(frozen=True)
class OverdueReview:
    """A support plan whose review date has passed."""

    child_id: UUID
    setting_id: str
    review_date: date
    days_overdue: int


@dataclass(frozen=True)
class EhcDeadline:
    """The next EHC statutory deadline of a child (negative `days_left`: missed)."""

    child_id: UUID
    setting_id: str
    ehc_stage: str
    kind: str
    due: date
    days_left: int


@dataclass(frozen=True)
class ProvisionPastEnd:
    """A provision whose planned weeks are over with no end recorded: for review."""

    child_id: UUID
    setting_id: str
    provision_id: str
    planned_end: date
    days_past: int


@dataclass(frozen=True)
class FundingTotal:
    """The recorded cost of provisions, by who pays."""

    funding_source: str
    amount: Decimal
    provisions: int
    children: int


@lru_cache(maxsize=1 << 16)
def child_uuid(text: str) -> UUID:
    """The child id as a UUID, parsed once per child (a query can list every child)."""
    return UUID(text)


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _child(row: Row) -> CohortChild:
    return CohortChild(
        child_id=child_uuid(row["child_id"]),
        setting_id=str(row["setting_id"]),
        sen_status=str(row["sen_status"]),
        primary_need=row["primary_need"],
        plan_review_date=_day(row["plan_review_date"]),
    )


class CohortQueries:
    """The cohort questions, read on one cursor."""

    def __init__(self, cursor: Cursor, tables: Tables) -> None:
        self.cursor, self.tables = cursor, tables

    def _rows(self, sql: str, setting_id: str | None, *params: object) -> list[Row]:
        """`sql` with `{setting}` in its WHERE: `= ?` for one setting (so the per-setting
        indexes serve it), nothing for the whole installation."""
        if setting_id is None:
            sql, given = sql.replace("{setting}", "IS NOT NULL"), list(params)
        else:
            sql, given = sql.replace("{setting}", "= ?"), [setting_id, *params]
        self.cursor.execute(self.tables.q(sql), given)
        return list(self.cursor.fetchall())

    def by_status_and_need(self, setting_id: str | None) -> list[StatusNeedCount]:
        rows = self._rows(
            "SELECT sen_status, primary_need, COUNT(*) AS children FROM {p}cohort_children "
            "WHERE closed IS NULL AND setting_id {setting} "
            "GROUP BY sen_status, primary_need",
            setting_id,
        )
        counts = [
            StatusNeedCount(str(r["sen_status"]), r["primary_need"], int(r["children"]))
            for r in rows
        ]
        # Sorted here: SQLite and PostgreSQL put NULLs at opposite ends.
        return sorted(counts, key=lambda c: (c.sen_status, c.primary_need or ""))

    def overdue_reviews(self, today: date, setting_id: str | None) -> list[OverdueReview]:
        rows = self._rows(
            "SELECT child_id, setting_id, plan_review_date FROM {p}cohort_children "
            "WHERE closed IS NULL AND setting_id {setting} "
            "AND has_plan = 1 AND plan_review_date < ? "
            "ORDER BY plan_review_date, child_id",
            setting_id,
            today.isoformat(),
        )
        found = []
        for r in rows:
            due = date.fromisoformat(r["plan_review_date"])
            child_id, setting = child_uuid(r["child_id"]), str(r["setting_id"])
            found.append(OverdueReview(child_id, setting, due, (today - due).days))
        return found

    def high_concern_without_plan(self, setting_id: str | None) -> list[CohortChild]:
        rows = self._rows(
            "SELECT child_id, setting_id, sen_status, primary_need, plan_review_date "
            "FROM {p}cohort_children "
            "WHERE closed IS NULL AND setting_id {setting} "
            "AND high_concern = 1 AND has_plan = 0 ORDER BY child_id",
            setting_id,
        )
        return [_child(r) for r in rows]

    def plans_without_parent_notification(self, setting_id: str | None) -> list[CohortChild]:
        rows = self._rows(
            "SELECT child_id, setting_id, sen_status, primary_need, plan_review_date "
            "FROM {p}cohort_children "
            "WHERE closed IS NULL AND setting_id {setting} "
            "AND has_plan = 1 AND parent_notified = 0 ORDER BY child_id",
            setting_id,
        )
        return [_child(r) for r in rows]

    def ehc_deadlines_due(
        self, today: date, days: int, setting_id: str | None
    ) -> list[EhcDeadline]:
        rows = self._rows(
            "SELECT child_id, setting_id, ehc_stage, ehc_deadline, ehc_deadline_kind "
            "FROM {p}cohort_children "
            "WHERE closed IS NULL AND setting_id {setting} "
            "AND ehc_deadline IS NOT NULL AND ehc_deadline <= ? "
            "ORDER BY ehc_deadline, child_id",
            setting_id,
            (today + timedelta(days=days)).isoformat(),
        )
        found = []
        for r in rows:
            due = date.fromisoformat(r["ehc_deadline"])
            child_id, setting = child_uuid(r["child_id"]), str(r["setting_id"])
            stage, kind = str(r["ehc_stage"]), str(r["ehc_deadline_kind"])
            found.append(EhcDeadline(child_id, setting, stage, kind, due, (due - today).days))
        return found

    def provisions_past_planned_end(
        self, today: date, setting_id: str | None
    ) -> list[ProvisionPastEnd]:
        rows = self._rows(
            "SELECT c.child_id, k.setting_id, c.provision_id, c.planned_end "
            "FROM {p}cohort_costs c JOIN {p}cohort_children k ON k.child_id = c.child_id "
            "WHERE k.closed IS NULL AND k.setting_id {setting} "
            "AND c.end_date IS NULL AND c.planned_end < ? "
            "ORDER BY c.planned_end, c.child_id, c.provision_id",
            setting_id,
            today.isoformat(),
        )
        found = []
        for r in rows:
            last_day = date.fromisoformat(r["planned_end"])
            child_id, setting = child_uuid(r["child_id"]), str(r["setting_id"])
            provision, days = str(r["provision_id"]), (today - last_day).days
            found.append(ProvisionPastEnd(child_id, setting, provision, last_day, days))
        return found

    def cost_by_funding_source(self, setting_id: str | None) -> list[FundingTotal]:
        rows = self._rows(
            "SELECT c.funding_source, SUM(c.amount_pence) AS pence, COUNT(*) AS provisions, "
            "COUNT(DISTINCT c.child_id) AS children FROM {p}cohort_costs c "
            "JOIN {p}cohort_children k ON k.child_id = c.child_id "
            "WHERE k.closed IS NULL AND k.setting_id {setting} "
            "GROUP BY c.funding_source ORDER BY c.funding_source",
            setting_id,
        )
        return [
            FundingTotal(
                funding_source=str(r["funding_source"]),
                amount=Decimal(int(r["pence"])).scaleb(-2),
                provisions=int(r["provisions"]),
                children=int(r["children"]),
            )
            for r in rows
        ]


class CohortQuestions(ABC):
    """The cohort questions, on whichever cohort tables `_queries` opens (the live ones
    beside the events, or a cohort folded as it stood at a past date)."""

    @abstractmethod
    def _queries(self) -> AbstractContextManager[CohortQueries]:
        """The queries on a cursor of this cohort's tables."""

    def by_status_and_need(self, *, setting_id: str | None = None) -> list[StatusNeedCount]:
        """Children on roll counted by SEN status and primary need."""
        with self._queries() as queries:
            return queries.by_status_and_need(setting_id)

    def overdue_reviews(self, today: date, *, setting_id: str | None = None) -> list[OverdueReview]:
        """Open support plans whose review date is before `today`, most overdue first."""
        with self._queries() as queries:
            return queries.overdue_reviews(today, setting_id)

    def high_concern_without_plan(self, *, setting_id: str | None = None) -> list[CohortChild]:
        """Children with a high concern and no open support plan."""
        with self._queries() as queries:
            return queries.high_concern_without_plan(setting_id)

    def plans_without_parent_notification(
        self, *, setting_id: str | None = None
    ) -> list[CohortChild]:
        """Children with an open support plan whose parents were never formally notified."""
        with self._queries() as queries:
            return queries.plans_without_parent_notification(setting_id)

    def ehc_deadlines_due(
        self, today: date, days: int = 30, *, setting_id: str | None = None
    ) -> list[EhcDeadline]:
        """EHC statutory deadlines on or before `today + days`, missed ones included."""
        with self._queries() as queries:
            return queries.ehc_deadlines_due(today, days, setting_id)

    def provisions_past_planned_end(
        self, today: date, *, setting_id: str | None = None
    ) -> list[ProvisionPastEnd]:
        """Provisions whose planned weeks ended before `today` with no end recorded."""
        with self._queries() as queries:
            return queries.provisions_past_planned_end(today, setting_id)

    def cost_by_funding_source(self, *, setting_id: str | None = None) -> list[FundingTotal]:
        """The recorded cost of provisions of children on roll, by funding source."""
        with self._queries() as queries:
            return queries.cost_by_funding_source(setting_id)
