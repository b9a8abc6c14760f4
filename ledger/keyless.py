"""The event store opened without eventsourcing's application: no mapper, so no key.

`sendtrail audit` must run on a copy kept apart from its KEK, and must neither create nor
change anything; `sendtrail backup` must read one consistent state while writers go on.
Both open the store here: a `LedgerBackend` whose cursors all share one connection and one
read transaction (a snapshot: every query of one audit or backup sees the same state),
read-only unless asked otherwise, that never creates a missing database. Storage failures
are raised as `StoreUnavailable` naming the file (or database) and the cause, and the last
one seen is kept in `fault`, so the CLI can tell "could not read the store" from "the
store is wrong".
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ledger.faults import CANNOT_OPEN, DAMAGED, READ_ONLY, StoreFault, classify, in_folder
from ledger.sql import Cursor, Tables


class StoreUnavailable(Exception):
    """The event store could not be opened, read or written: `cause` in `ledger.faults`
    words, `where` the file or database."""

    def __init__(self, cause: str, *, where: str, retry_after: int = 60) -> None:
        super().__init__(f"{cause}: {where}")
        self.cause = cause
        self.where = where
        self.retry_after = retry_after


_ERRORS = (sqlite3.Error, psycopg.Error, OSError)


class _Snapshot:
    """One connection, one transaction for the outermost cursor; nested cursors share it."""

    tables: Tables
    where: str
    read_only: bool = True

    def __init__(self) -> None:
        self._depth = 0
        self.fault: StoreFault | None = None

    def _begin(self, commit: bool) -> None:
        raise NotImplementedError

    def _end(self, commit: bool) -> None:
        raise NotImplementedError

    def _abandon(self) -> None:
        raise NotImplementedError

    def _cursor(self) -> Cursor:
        raise NotImplementedError

    def _unavailable(self, error: BaseException) -> StoreUnavailable:
        self.fault = classify(error) or StoreFault(DAMAGED, 300)
        return StoreUnavailable(
            self.fault.cause, where=self.where, retry_after=self.fault.retry_after
        )

    @contextmanager
    def ledger_cursor(self, *, commit: bool = False) -> Iterator[Cursor]:
        """A cursor in the shared transaction (committed at the end only if `commit`)."""
        if commit and self.read_only:
            raise StoreUnavailable(READ_ONLY, where=f"{self.where} (opened read-only)")
        if self._depth:
            self._depth += 1
            try:
                yield self._cursor()
            finally:
                self._depth -= 1
            return
        try:
            self._begin(commit)
        except _ERRORS as error:
            raise self._unavailable(error) from error
        self._depth = 1
        try:
            yield self._cursor()
        except _ERRORS as error:
            self._abandon()
            raise self._unavailable(error) from error
        except BaseException:
            self._abandon()
            raise
        finally:
            self._depth = 0
        try:
            self._end(commit)
        except _ERRORS as error:
            self._abandon()
            raise self._unavailable(error) from error

    def scrub(self) -> None:
        """Nothing to do: this access never deletes rows."""


class KeylessSQLite(_Snapshot):
    """An SQLite event store file, read-only by default, never created."""

    def __init__(self, path: Path, *, read_only: bool = True) -> None:
        super().__init__()
        self.tables = Tables.sqlite()
        self.where = str(path)
        self.read_only = read_only
        if not path.is_file():
            raise StoreUnavailable(CANNOT_OPEN, where=f"{path} (no such file)")
        try:
            self._db = _connect(path, read_only=read_only)
            self._db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as error:
            fault = in_folder(classify(error) or StoreFault(DAMAGED, 300), path.parent)
            raise StoreUnavailable(fault.cause, where=str(path)) from error
        self._db.row_factory = sqlite3.Row

    @property
    def connection(self) -> sqlite3.Connection:
        """The connection (inside `ledger_cursor`, its snapshot): for SQLite's backup API."""
        return self._db

    def _begin(self, commit: bool) -> None:
        self._db.execute("BEGIN IMMEDIATE" if commit else "BEGIN")

    def _end(self, commit: bool) -> None:
        self._db.execute("COMMIT" if commit else "ROLLBACK")

    def _abandon(self) -> None:
        if self._db.in_transaction:  # SQLite may have rolled back by itself (disk full)
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    def _cursor(self) -> Cursor:
        return self._db.cursor()

    def close(self) -> None:
        self._db.close()


def _connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    uri = path.resolve().as_uri()
    if not read_only:
        return sqlite3.connect(f"{uri}?mode=rw", uri=True, isolation_level=None, timeout=30)
    try:
        db = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None, timeout=30)
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError:
        # A WAL database in a folder we cannot write (a read-only mount, a copy on a
        # CD): SQLite cannot make its shared-memory file. With no write-ahead log beside
        # it, nobody can be writing (a writer needs the folder too), so the main file is
        # the whole state and may be read as immutable.
        wal = path.with_name(path.name + "-wal")
        if os.access(path.parent, os.W_OK) or (wal.exists() and wal.stat().st_size > 0):
            raise
        return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None)


class KeylessPostgres(_Snapshot):
    """A PostgreSQL event store (one schema); read-only transactions by default. Its
    snapshot is REPEATABLE READ, so every query of one audit or backup sees one state."""

    def __init__(
        self,
        conninfo: str,
        *,
        schema: str,
        events_table: str,
        connect_timeout: int,
        read_only: bool = True,
    ) -> None:
        super().__init__()
        self.tables = Tables.postgres(schema, events_table)
        self.where = f"PostgreSQL schema {schema}"
        self.read_only = read_only
        try:
            self._db: psycopg.Connection[dict[str, Any]] = psycopg.connect(
                conninfo, connect_timeout=connect_timeout, autocommit=True, row_factory=dict_row
            )
        except psycopg.Error as error:
            fault = classify(error) or StoreFault(DAMAGED, 60)
            raise StoreUnavailable(fault.cause, where="PostgreSQL") from error

    @property
    def connection(self) -> psycopg.Connection[dict[str, Any]]:
        return self._db

    def _begin(self, commit: bool) -> None:
        mode = "READ WRITE" if commit else "READ ONLY"
        self._db.execute(f"BEGIN ISOLATION LEVEL REPEATABLE READ {mode}")

    def _end(self, commit: bool) -> None:
        self._db.execute("COMMIT" if commit else "ROLLBACK")

    def _abandon(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self._db.execute("ROLLBACK")

    def _cursor(self) -> Cursor:
        return self._db.cursor()

    def close(self) -> None:
        self._db.close()
