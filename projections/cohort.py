"""Cohort read models kept up to date by a pull catch-up loop, exactly once per event.

The loop reads the notifications after the tracking position (in the events table's
order), folds them into rows in memory (`projections.cohort_fold` has the rules), then
writes the changed rows *and* the new position in one transaction. A crash before the
commit leaves both as they were, a crash after leaves both moved: every event is folded
in exactly once, and the next catch-up resumes where the last commit stopped. Two
catch-ups running at once serialise on the tracking row; the one that finds the position
moved under it throws its batch away and reads again.

The position is the id of the last notification actually processed, never a count:
PostgreSQL notification ids can have gaps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic

from domain import events as ev
from domain.application import ChildRecords
from ledger.key_errors import DataKeyErased
from ledger.log import LedgerBackend
from projections.cohort_fold import ChildRow, fold, folds, replay, replays
from projections.cohort_past import CohortAsOf, row_as_of
from projections.cohort_queries import (
    CohortChild,
    CohortQueries,
    CohortQuestions,
    EhcDeadline,
    FundingTotal,
    OverdueReview,
    ProvisionPastEnd,
    StatusNeedCount,
)
from projections.cohort_tables import CohortStore, child_values

Progress = Callable[[int], None]


@dataclass(frozen=True, eq=False)
class Notice:
    """One notification as the fold sees it (`event` is None when not decoded)."""

    child_id: str
    version: int
    event: Any | None
    erased: bool = False  # the child's data key is destroyed: nothing of it may be kept


@dataclass(frozen=True)
class CohortContents:
    """Everything in the cohort tables, in a stable order (for comparisons)."""

    position: int
    children: list[tuple[Any, ...]]
    costs: list[tuple[str, str, str, int]]


class CohortProjection(CohortQuestions):
    """Materialised cohort tables beside the events, and the questions they answer."""

    def __init__(self, records: ChildRecords, backend: LedgerBackend) -> None:
        self.records = records
        self.backend = backend
        self._folded_topics: dict[str, bool] = {}
        with backend.ledger_cursor(commit=True) as cursor:
            CohortStore(cursor, backend.tables).create()

    # --- keeping up ----------------------------------------------------------------------

    def position(self) -> int:
        """The id of the last notification folded into the tables (0: none yet)."""
        with self.backend.ledger_cursor() as cursor:
            return CohortStore(cursor, self.backend.tables).position()

    def pending(self) -> int:
        """How far the position is behind the newest notification id (an upper bound of
        the events still to fold: ids can have gaps)."""
        newest = self.records.recorder.max_notification_id() or 0
        return max(0, newest - self.position())

    def catch_up(self, progress: Progress | None = None, batch: int = 2000) -> int:
        """Fold in every event after the tracking position; returns how many.

        `progress(n)` is called after each committed batch with how far the position
        moved (notification ids: the same as events unless PostgreSQL left gaps).
        """
        if batch < 1:
            raise ValueError("batch must be at least 1")
        processed = 0
        while True:
            start = self.position()
            notifications = self.records.recorder.select_notifications(start + 1, batch)
            if not notifications:
                return processed
            notices = [self._notice(n) for n in notifications]
            end = notifications[-1].id
            if self._commit(start, end, notices):
                processed += len(notices)
                if progress is not None:
                    progress(end - start)
                if len(notifications) < batch:
                    return processed

    def _folds(self, topic: str) -> bool:
        """Whether events of this topic change a row (cached per topic)."""
        if topic not in self._folded_topics:
            self._folded_topics[topic] = folds(resolve_topic(topic))
        return self._folded_topics[topic]

    def _notice(self, notification: Notification) -> Notice:
        """Decode the event only when the fold uses its kind (the topic is in clear): most
        events (sessions, observations) change nothing here but the row's version."""
        child_id, version = str(notification.originator_id), notification.originator_version
        if not self._folds(notification.topic):
            return Notice(child_id, version, None)
        try:
            event = self.records.mapper.to_domain_event(notification)
        except DataKeyErased:
            return Notice(child_id, version, None, erased=True)
        return Notice(child_id, version, event)

    def _commit(self, start: int, end: int, notices: Sequence[Notice]) -> bool:
        """Fold one batch and store it with position `end`, if the position is still
        `start`; False when another catch-up got there first."""
        histories = self._histories_for_marks(notices)
        with self.backend.ledger_cursor(commit=True) as cursor:
            store = CohortStore(cursor, self.backend.tables)
            if store.lock() != start:
                return False
            rows = store.load(list(dict.fromkeys(n.child_id for n in notices)))
            gone: set[str] = set()
            for notice in notices:
                if notice.erased or notice.child_id in gone:
                    gone.add(notice.child_id)
                    continue
                row = rows.get(notice.child_id)
                if row is None:
                    # Rows open with a registration: anything else without a row is not a
                    # child's record (an access log) or belongs to an erased child.
                    if not isinstance(notice.event, ev.ChildRegistered):
                        continue
                    row = rows[notice.child_id] = ChildRow(notice.child_id)
                if notice.version <= row.last_version:
                    continue  # already folded in (cannot happen while tracking holds)
                if notice.event is None:
                    row.last_version = notice.version
                elif replays(notice.event):
                    rows[notice.child_id] = replay(notice.child_id, histories[notice])
                else:
                    fold(row, notice.event)
                if row.closed == "erased":
                    gone.add(notice.child_id)
            store.save([r for c, r in rows.items() if c not in gone], end, removed=sorted(gone))
        return True

    def forget(self, child_id: UUID) -> None:
        """Remove an erased child's rows now (catch-up and rebuild keep them out too)."""
        with self.backend.ledger_cursor(commit=True) as cursor:
            CohortStore(cursor, self.backend.tables).remove([str(child_id)])

    def _histories_for_marks(self, notices: Sequence[Notice]) -> dict[Notice, list[Any]]:
        """Each marked (or value-corrected) child's history up to that entry (never
        beyond: later events are folded in order, and must not be counted twice)."""
        return {
            notice: list(self.records.events.get(UUID(notice.child_id), lte=notice.version))
            for notice in notices
            if replays(notice.event)
        }

    def rebuild(self, progress: Progress | None = None, batch: int = 2000) -> int:
        """Empty the tables and fold in every event from the start; returns how many.

        The tables are emptied and the position reset in one transaction, so a crash
        part-way leaves a consistent, partly rebuilt state that `catch_up` completes.
        """
        with self.backend.ledger_cursor(commit=True) as cursor:
            store = CohortStore(cursor, self.backend.tables)
            store.lock()
            store.clear()
        return self.catch_up(progress, batch)

    def contents(self) -> CohortContents:
        """The whole of the cohort tables (ids, codes, dates, amounts), sorted."""
        with self.backend.ledger_cursor() as cursor:
            store = CohortStore(cursor, self.backend.tables)
            position = store.position()
            cursor.execute(self.backend.tables.q("SELECT child_id FROM {p}cohort_children"))
            rows = store.load([str(r["child_id"]) for r in cursor.fetchall()])
        children = sorted(child_values(row) for row in rows.values())
        costs = sorted(
            (row.child_id, pid, p.funding_source, p.amount_pence)
            for row in rows.values()
            for pid, p in row.provisions.items()
        )
        return CohortContents(position, children, costs)

    @contextmanager
    def _queries(self) -> Iterator[CohortQueries]:
        with self.backend.ledger_cursor() as cursor:
            yield CohortQueries(cursor, self.backend.tables)

    # --- the cohort at a past date -------------------------------------------------------

    def as_of(self, day: date) -> CohortAsOf:
        """The cohort as it stood at the end of `day`: each child's row folded from the
        entries that had happened by then (`projections.timeline.admit`, as a child's own
        views at that date), so a plan issued later is not in it. Reads every child's
        history: for looking back, not for today (the tables answer that)."""
        with self.backend.ledger_cursor() as cursor:
            cursor.execute(self.backend.tables.q("SELECT child_id FROM {p}cohort_children"))
            child_ids = sorted(str(r["child_id"]) for r in cursor.fetchall())
        rows = []
        for child_id in child_ids:
            try:
                # Only the kinds the fold uses are decoded, as in catch-up: sessions and
                # observations, most of a history, change no row.
                history = [
                    self.records.mapper.to_domain_event(stored)
                    for stored in self.records.recorder.select_events(UUID(child_id))
                    if self._folds(stored.topic)
                ]
            except DataKeyErased:
                continue  # erased since the tables were caught up
            row = row_as_of(child_id, history, day)
            if row is not None:
                rows.append(row)
        return CohortAsOf(rows)


__all__ = [
    "CohortAsOf",
    "CohortChild",
    "CohortContents",
    "CohortProjection",
    "EhcDeadline",
    "FundingTotal",
    "OverdueReview",
    "ProvisionPastEnd",
    "StatusNeedCount",
]
