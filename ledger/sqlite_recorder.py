"""SQLite application recorder that writes audit leaves in the event transaction.

Configure with APPLICATION_RECORDER_TOPIC=ledger.sqlite_recorder:AuditedSQLiteRecorder.
SQLite has one writer at a time, and the events are inserted (taking the write lock)
before the leaves are numbered, so leaf order is commit order.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from typing import Any

from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore

from ledger.appender import Clock, TipCache, append_leaves, wall_clock
from ledger.sql import Cursor, Tables


class AuditedSQLiteRecorder(SQLiteApplicationRecorder):
    """Stores events and their audit leaves atomically."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        self.tables = Tables.sqlite()
        # The record clock. Only demo data and tests replace it (to lay out a history that
        # was recorded over years); the ledger still never lets it run backwards.
        self.clock: Clock = wall_clock
        self._writer = threading.Lock()
        self.tips = TipCache()
        super().__init__(datastore, events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self.tables.create_statements()]

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # One writer at a time inside this process: SQLite would serialise us anyway, but
        # through its busy handler, whose growing sleeps made 20 concurrent API writers
        # several times slower than taking turns.
        with self._writer:
            try:
                ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            except BaseException:
                self.tips.discard()
                raise
            self.tips.committed()
            return ids

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        returning = super()._insert_events(c, stored_events, **kwargs)
        append_leaves(c, self.tables, stored_events, self.clock, self.tips)
        return returning

    @contextmanager
    def ledger_cursor(self, *, commit: bool = False) -> Iterator[Cursor]:
        """A cursor in a transaction (committed on exit only if `commit`)."""
        with self.datastore.transaction(commit=commit) as cursor:
            if commit:
                # Rows deleted here (an erased child's read-model rows) are overwritten
                # in the file, not left in free pages (most builds default to this).
                cursor.execute("PRAGMA secure_delete = ON")
            yield cursor

    def database_path(self) -> str:
        """The database file (which the audit's worker processes read, read-only)."""
        return str(self.datastore.pool.db_name)

    def scrub(self) -> None:
        """Leave deleted rows in no file: copy the WAL into the database and truncate it
        (old page images of deleted rows otherwise stay in `-wal` until it is reused)."""
        db_name = self.datastore.pool.db_name
        with closing(sqlite3.connect(db_name, uri=True, timeout=30)) as db:
            for _ in range(50):
                busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                if not busy:
                    return
                time.sleep(0.1)  # a reader in another process holds an old snapshot
        raise OperationalError("could not checkpoint the WAL: readers kept it busy")
