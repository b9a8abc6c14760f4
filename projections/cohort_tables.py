"""The cohort tables, in the same database as the events, on SQLite and PostgreSQL.

`cohort_children` has one row per child (ids, codes, ISO dates, 0/1 flags),
`cohort_costs` one row per provision (amounts in whole pence, so sums are exact on both
backends; its start, the last day of its planned weeks and its end as ISO dates),
`cohort_tracking` one row: the id of the last notification folded in. Rows
are written with the tracking position in one transaction (see `CohortStore.save`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from ledger.sql import Cursor, Row, Tables, create_tables, may_create
from projections.cohort_fold import ChildRow, Provision

CREATE = [
    "CREATE TABLE IF NOT EXISTS {p}cohort_children ("
    "child_id TEXT PRIMARY KEY, setting_id TEXT NOT NULL, closed TEXT, "
    "sen_status TEXT NOT NULL, primary_need TEXT, need_codes TEXT NOT NULL, "
    "high_concern SMALLINT NOT NULL, has_plan SMALLINT NOT NULL, plans TEXT NOT NULL, "
    "plan_review_date TEXT, last_review_date TEXT, parent_notified SMALLINT NOT NULL, "
    "ehc_stage TEXT NOT NULL, ehc_request_date TEXT, ehc_decision_date TEXT, "
    "ehc_deadline TEXT, ehc_deadline_kind TEXT, last_version BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {p}cohort_costs ("
    "child_id TEXT NOT NULL, provision_id TEXT NOT NULL, funding_source TEXT NOT NULL, "
    "amount_pence BIGINT NOT NULL, start_date TEXT, planned_end TEXT, end_date TEXT, "
    "PRIMARY KEY (child_id, provision_id))",
    # What a dashboard asks, per setting (and the whole installation for an LA): the
    # children on roll of one setting by review date, by EHC deadline, by status and need.
    "CREATE INDEX IF NOT EXISTS cohort_children_review ON {p}cohort_children "
    "(setting_id, plan_review_date)",
    "CREATE INDEX IF NOT EXISTS cohort_children_deadline ON {p}cohort_children "
    "(setting_id, ehc_deadline)",
    "CREATE INDEX IF NOT EXISTS cohort_children_status ON {p}cohort_children "
    "(setting_id, sen_status, primary_need)",
    "CREATE INDEX IF NOT EXISTS cohort_children_any_review ON {p}cohort_children "
    "(plan_review_date)",
    "CREATE INDEX IF NOT EXISTS cohort_children_any_deadline ON {p}cohort_children (ehc_deadline)",
    "CREATE TABLE IF NOT EXISTS {p}cohort_tracking ("
    "id SMALLINT PRIMARY KEY, last_notification_id BIGINT NOT NULL)",
    "INSERT INTO {p}cohort_tracking (id, last_notification_id) VALUES (1, 0) "
    "ON CONFLICT (id) DO NOTHING",
]

CHILD_COLUMNS = (
    "child_id, setting_id, closed, sen_status, primary_need, need_codes, high_concern, "
    "has_plan, plans, plan_review_date, last_review_date, parent_notified, ehc_stage, "
    "ehc_request_date, ehc_decision_date, ehc_deadline, ehc_deadline_kind, last_version"
)
INSERT_CHILD = (
    "INSERT INTO {p}cohort_children (" + CHILD_COLUMNS + ") "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_COST = (
    "INSERT INTO {p}cohort_costs (child_id, provision_id, funding_source, amount_pence, "
    "start_date, planned_end, end_date) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
# Columns added to cohort_costs after its first release: a table without them gets them,
# and the cohort is folded again from the start to fill them in.
ADDED_COST_COLUMNS = ("start_date", "planned_end", "end_date")
CHUNK = 500  # ids per IN (...) list: well under SQLite's 32,766 parameters


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def child_values(row: ChildRow) -> tuple[Any, ...]:
    """The row as INSERT_CHILD parameters."""
    plans = {plan: _iso(review) for plan, review in sorted(row.plans.items())}
    return (
        row.child_id,
        row.setting_id,
        row.closed,
        row.sen_status,
        row.primary_need,
        ",".join(row.need_codes),
        int(row.high_concern),
        int(row.has_plan),
        json.dumps(plans, separators=(",", ":")),
        _iso(row.plan_review_date),
        _iso(row.last_review_date),
        int(row.parent_notified),
        row.ehc_stage,
        _iso(row.ehc_request_date),
        _iso(row.ehc_decision_date),
        _iso(row.ehc_deadline),
        row.ehc_deadline_kind,
        row.last_version,
    )


def child_row(stored: Row, provisions: dict[str, Provision]) -> ChildRow:
    """A stored child row (and its provisions) back as a `ChildRow`."""
    plans = json.loads(stored["plans"])
    return ChildRow(
        child_id=str(stored["child_id"]),
        setting_id=str(stored["setting_id"]),
        closed=stored["closed"],
        sen_status=str(stored["sen_status"]),
        need_codes=tuple(c for c in str(stored["need_codes"]).split(",") if c),
        primary_need=stored["primary_need"],
        high_concern=bool(stored["high_concern"]),
        plans={plan: _day(review) for plan, review in plans.items()},
        last_review_date=_day(stored["last_review_date"]),
        parent_notified=bool(stored["parent_notified"]),
        ehc_stage=str(stored["ehc_stage"]),
        ehc_request_date=_day(stored["ehc_request_date"]),
        ehc_decision_date=_day(stored["ehc_decision_date"]),
        ehc_deadline=_day(stored["ehc_deadline"]),
        ehc_deadline_kind=stored["ehc_deadline_kind"],
        provisions=provisions,
        last_version=int(stored["last_version"]),
    )


class CohortStore:
    """Reads and writes the cohort tables on one cursor (inside the caller's transaction)."""

    def __init__(self, cursor: Cursor, tables: Tables) -> None:
        self.cursor, self.tables = cursor, tables

    def _run(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(self.tables.q(sql), list(params))

    def create(self) -> None:
        """Create the tables and the tracking row if they are missing; bring a
        `cohort_costs` from before its dates up to date (refolded from the start)."""
        create_tables(self.cursor, self.tables, CREATE)
        if not may_create(self.cursor, self.tables):
            return
        missing = [c for c in ADDED_COST_COLUMNS if not self._has_column("cohort_costs", c)]
        for column in missing:
            self._run(f"ALTER TABLE {{p}}cohort_costs ADD COLUMN {column} TEXT")
        if missing:
            self.clear()

    def _has_column(self, table: str, column: str) -> bool:
        if self.tables.schema is None:
            self.cursor.execute(
                "SELECT COUNT(*) AS found FROM pragma_table_info(?) WHERE name = ?",
                [table, column],
            )
        else:
            self.cursor.execute(
                "SELECT COUNT(*) AS found FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s AND column_name = %s",
                [self.tables.schema, table, column],
            )
        return bool(self.cursor.fetchone()["found"])

    def lock(self) -> int:
        """Take the write lock on the tracking row; return the last folded notification id.

        The no-op UPDATE makes a second catch-up wait here (SQLite: the writer lock;
        PostgreSQL: the row lock) and then see the position the first one committed.
        """
        self._run(
            "UPDATE {p}cohort_tracking SET last_notification_id = last_notification_id WHERE id = 1"
        )
        return self.position()

    def position(self) -> int:
        """The id of the last notification folded into the tables (0: none yet)."""
        self._run("SELECT last_notification_id FROM {p}cohort_tracking WHERE id = 1")
        found = self.cursor.fetchone()
        return 0 if found is None else int(found["last_notification_id"])

    def _select_in(self, sql: str, ids: Sequence[str]) -> list[Row]:
        found: list[Row] = []
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            marks = ", ".join("?" * len(chunk))
            self._run(sql + " WHERE child_id IN (" + marks + ")", chunk)
            found.extend(self.cursor.fetchall())
        return found

    def load(self, child_ids: Sequence[str]) -> dict[str, ChildRow]:
        """The stored rows of these children (missing ones are left out)."""
        provisions: dict[str, dict[str, Provision]] = {}
        for cost in self._select_in("SELECT * FROM {p}cohort_costs", child_ids):
            provisions.setdefault(str(cost["child_id"]), {})[str(cost["provision_id"])] = Provision(
                int(cost["amount_pence"]),
                str(cost["funding_source"]),
                _day(cost["start_date"]),
                _day(cost["planned_end"]),
                _day(cost["end_date"]),
            )
        return {
            str(stored["child_id"]): child_row(stored, provisions.get(str(stored["child_id"]), {}))
            for stored in self._select_in("SELECT * FROM {p}cohort_children", child_ids)
        }

    def remove(self, child_ids: Sequence[str]) -> None:
        """Delete these children's rows and costs (an erased child keeps none)."""
        ids = [[child_id] for child_id in child_ids]
        q = self.tables.q
        self.cursor.executemany(q("DELETE FROM {p}cohort_costs WHERE child_id = ?"), ids)
        self.cursor.executemany(q("DELETE FROM {p}cohort_children WHERE child_id = ?"), ids)

    def save(self, rows: Iterable[ChildRow], position: int, *, removed: Sequence[str] = ()) -> None:
        """Replace these children's rows and costs, delete those of `removed`, and move
        the tracking position."""
        rows = list(rows)
        q = self.tables.q
        self.remove([row.child_id for row in rows] + list(removed))
        self.cursor.executemany(q(INSERT_CHILD), [child_values(row) for row in rows])
        costs = [
            [
                row.child_id,
                pid,
                p.funding_source,
                p.amount_pence,
                _iso(p.start_date),
                _iso(p.planned_end),
                _iso(p.end_date),
            ]
            for row in rows
            for pid, p in sorted(row.provisions.items())
        ]
        if costs:
            self.cursor.executemany(q(INSERT_COST), costs)
        self._run("UPDATE {p}cohort_tracking SET last_notification_id = ? WHERE id = 1", [position])

    def clear(self) -> None:
        """Empty the tables and reset the tracking position (inside one transaction)."""
        self._run("DELETE FROM {p}cohort_costs")
        self._run("DELETE FROM {p}cohort_children")
        self._run("UPDATE {p}cohort_tracking SET last_notification_id = 0 WHERE id = 1")
