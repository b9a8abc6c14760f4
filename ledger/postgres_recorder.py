"""PostgreSQL application recorder that writes audit leaves in the event transaction.

Configure with APPLICATION_RECORDER_TOPIC=ledger.postgres_recorder:AuditedPostgresRecorder
and keep POSTGRES_ENABLE_DB_FUNCTIONS off (that path bypasses these hooks). The leaves are
written after the events' INSERT has been synced, inside the same transaction and while
eventsourcing's EXCLUSIVE lock on the events table is held, so leaf order is commit order.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import ProgrammingError, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from psycopg import Cursor as PgCursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from ledger.appender import LAST_LEAF, Clock, TipCache, append_leaves, wall_clock
from ledger.sql import Cursor, Tables


def insert_columns(datastore: PostgresDatastore, table: str, suffix: str = "") -> Composed:
    """An INSERT of stored events' rows sent as one binary array per column. eventsourcing
    sends an array of its composite type, whose text form psycopg writes by running a
    regular expression over each state's hex: a sealed event's state is about four times
    a bare one's, and a snapshot of a long record is hundreds of kilobytes, so that was
    most of a batch's client time. The rows stored are the same."""
    return SQL(
        "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
        "SELECT * FROM unnest(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[])"
        "{suffix}"
    ).format(
        schema=Identifier(datastore.schema),
        table=Identifier(table),
        id_type=SQL(datastore.originator_id_type),
        suffix=SQL(suffix),
    )


def columns(datastore: PostgresDatastore, stored_events: Sequence[StoredEvent]) -> list[list[Any]]:
    """The parameters of `insert_columns`: the stored events' values, column by column."""
    as_text = datastore.originator_id_type == "text"
    return [
        [str(e.originator_id) if as_text else e.originator_id for e in stored_events],
        [e.originator_version for e in stored_events],
        [e.topic for e in stored_events],
        [e.state for e in stored_events],
    ]


class ColumnsAggregateRecorder(PostgresAggregateRecorder):
    """The snapshots' recorder: eventsourcing's, with the rows sent as column arrays."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self._insert_rows = insert_columns(datastore, self.events_table_name)

    def _insert_stored_events(
        self, curs: PgCursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        curs.execute(self._insert_rows, columns(self.datastore, stored_events))


class LedgerPostgresFactory(PostgresFactory):
    """eventsourcing's PostgreSQL factory with the snapshots' recorder above
    (PERSISTENCE_MODULE=ledger.postgres_recorder:LedgerPostgresFactory)."""

    aggregate_recorder_class = ColumnsAggregateRecorder


class AuditedPostgresRecorder(PostgresApplicationRecorder):
    """Stores events and their audit leaves atomically."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        if datastore.enable_db_functions:
            raise ProgrammingError("POSTGRES_ENABLE_DB_FUNCTIONS bypasses the audit ledger")
        super().__init__(datastore, events_table_name=events_table_name)
        self.tables = Tables.postgres(datastore.schema, self.events_table_name)
        self.clock: Clock = wall_clock  # replaced only by demo data and tests
        self.tips = TipCache()
        self._last_leaf = threading.local()  # the cursor reading it, per writing thread
        self.sql_create_statements.extend(
            Composed([SQL(s)]) for s in self.tables.create_statements()
        )
        self._insert_event_rows = insert_columns(
            datastore, self.events_table_name, " RETURNING notification_id"
        )

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        try:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
        except BaseException:
            self.tips.discard()
            raise
        self.tips.committed()
        return ids

    def _insert_stored_events(
        self, curs: PgCursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        # What eventsourcing's own does (lock the table, notify, insert), with the rows
        # sent as binary column arrays (see `insert_columns`).
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(self._insert_event_rows, columns(self.datastore, stored_events))
        # Queued behind the table lock and the events' INSERT, so its answer comes back
        # with eventsourcing's own pipeline sync: one round trip fewer per write.
        reader = curs.connection.cursor()
        reader.execute(self.tables.q(LAST_LEAF))
        self._last_leaf.reader = reader

    def _fetch_ids_after_insert_events(
        self, curs: PgCursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        reader = self._last_leaf.reader
        self._last_leaf.reader = None
        with reader:
            last = reader.fetchone()
        append_leaves(curs, self.tables, stored_events, self.clock, self.tips, (last,))
        return ids

    @contextmanager
    def ledger_cursor(self, *, commit: bool = False) -> Iterator[Cursor]:
        """A cursor in a transaction (committed on exit only if `commit`)."""
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def scrub(self) -> None:
        """Nothing to do: deleted rows are invisible to every reader and to pg_dump, and
        autovacuum reclaims their space."""
