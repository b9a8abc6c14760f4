"""The cohort as it stood at a past date: rows folded from what had happened by then, in
cohort tables of their own (an in-memory SQLite database), asked the same questions as the
live ones so that an answer at a date and an answer today are the same SQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import date
from typing import Any

from ledger.sql import Tables
from projections.cohort_fold import ChildRow, replay
from projections.cohort_queries import CohortQueries, CohortQuestions
from projections.cohort_tables import CohortStore
from projections.timeline import Entry, admit


def row_as_of(child_id: str, history: Sequence[Any], day: date) -> ChildRow | None:
    """The child's cohort row at the end of `day` (None: nothing of it had happened yet,
    or it was erased). Entries are admitted as a child's own views admit them; the
    registration always opens the row, as it does in the live fold."""
    if not history:
        return None
    # Only the dates count here: record time plays no part in an as-of view.
    admitted = admit([Entry(e, e.occurred_at) for e in history], as_of=day)
    if not admitted:
        return None
    events = [history[0]] + [a.event for a in admitted if a.version != 1]
    row = replay(child_id, events)
    return None if row.closed == "erased" else row


class CohortAsOf(CohortQuestions):
    """Cohort questions answered from rows folded at a past date."""

    def __init__(self, rows: Sequence[ChildRow]) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        with closing(self._db.cursor()) as cursor:
            store = CohortStore(cursor, Tables.sqlite())
            store.create()
            store.save(rows, 0)
        self._db.commit()

    @contextmanager
    def _queries(self) -> Iterator[CohortQueries]:
        with closing(self._db.cursor()) as cursor:
            yield CohortQueries(cursor, Tables.sqlite())

    def close(self) -> None:
        """Let the in-memory tables go."""
        self._db.close()
