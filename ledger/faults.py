"""What went wrong with the storage, in words an operator can act on.

Storage errors reach us wrapped (eventsourcing turns sqlite3 and psycopg errors into its
own `PersistenceError`s) and sometimes masked: on a full disk SQLite rolls the transaction
back by itself, so the rollback that follows fails with "cannot rollback - no transaction
is active" and the real cause is only in the exception's context. `classify` walks the
whole chain and names the first cause it recognises, from SQLite's result codes, PostgreSQL's
SQLSTATEs and errno — never from the message alone, which may quote data.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import psycopg_pool

DISK_FULL = "disk full"
UNREACHABLE = "database unreachable"
READ_ONLY = "read-only"
BUSY = "database busy"
DAMAGED = "damaged"
CANNOT_OPEN = "cannot open"
IO_ERROR = "I/O error"


@dataclass(frozen=True)
class StoreFault:
    """A storage failure: `cause` is one of the constants above; `retry_after` is how many
    seconds a client should wait (what HTTP sends as Retry-After)."""

    cause: str
    retry_after: int


# SQLite primary result codes (extended codes carry the primary one in the low byte).
_SQLITE = {
    13: (DISK_FULL, 300),  # SQLITE_FULL
    8: (READ_ONLY, 300),  # SQLITE_READONLY
    3: (READ_ONLY, 300),  # SQLITE_PERM
    5: (BUSY, 5),  # SQLITE_BUSY
    6: (BUSY, 5),  # SQLITE_LOCKED
    14: (CANNOT_OPEN, 60),  # SQLITE_CANTOPEN
    11: (DAMAGED, 300),  # SQLITE_CORRUPT
    26: (DAMAGED, 300),  # SQLITE_NOTADB
    10: (IO_ERROR, 60),  # SQLITE_IOERR
}
# PostgreSQL SQLSTATE classes and codes.
_SQLSTATE = {
    "53100": (DISK_FULL, 300),  # disk_full
    "25006": (READ_ONLY, 60),  # read_only_sql_transaction (a standby, or a read-only role)
    "57P01": (UNREACHABLE, 10),  # admin_shutdown
    "57P02": (UNREACHABLE, 10),  # crash_shutdown
    "57P03": (UNREACHABLE, 10),  # cannot_connect_now (starting up)
    "55P03": (BUSY, 5),  # lock_not_available (lock_timeout)
    "08": (UNREACHABLE, 10),  # connection exceptions
    "53": (BUSY, 10),  # insufficient resources
}
_ERRNO = {
    errno.ENOSPC: (DISK_FULL, 300),
    errno.EDQUOT: (DISK_FULL, 300),
    errno.EROFS: (READ_ONLY, 300),
    errno.EACCES: (READ_ONLY, 300),
    errno.EPERM: (READ_ONLY, 300),
    errno.EIO: (IO_ERROR, 60),
}


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException] = [error]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def _one(error: BaseException) -> StoreFault | None:
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        found = _SQLITE.get(code & 0xFF) if isinstance(code, int) else None
        return StoreFault(*found) if found else None
    if isinstance(error, psycopg.Error):
        state = error.sqlstate or ""
        found = _SQLSTATE.get(state) or _SQLSTATE.get(state[:2])
        if found:
            return StoreFault(*found)
        if isinstance(error, psycopg_pool.PoolTimeout | psycopg.OperationalError):
            return StoreFault(UNREACHABLE, 10)  # no connection within the timeout
        return None
    if isinstance(error, OSError) and error.errno in _ERRNO:
        return StoreFault(*_ERRNO[error.errno])
    return None


def classify(error: BaseException) -> StoreFault | None:
    """The storage fault behind `error` (looking through causes and contexts), or None
    when it is not a storage fault."""
    for link in _chain(error):
        fault = _one(link)
        if fault is not None:
            return fault
    return None


def in_folder(fault: StoreFault, folder: Path) -> StoreFault:
    """`fault` as seen from the folder of the file: SQLite says "cannot open" when it may
    not create its journal beside a database in a folder that is read-only."""
    if fault.cause == CANNOT_OPEN and folder.is_dir() and not os.access(folder, os.W_OK):
        return StoreFault(READ_ONLY, fault.retry_after)
    return fault
