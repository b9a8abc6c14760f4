"""One writer where there must be one: which of several app servers signs checkpoints,
submits them to witnesses and runs scheduled work.

On PostgreSQL the holder of a session-level advisory lock is the leader. The lock lives as
long as the connection that took it: a server that dies (SIGKILL included) drops its
connection, PostgreSQL releases the lock, and the next server to ask takes it over — within
one polling interval of the others. On SQLite (one machine) an exclusive `flock` on a file
beside the store plays the same part, and the kernel releases it when the process dies.

    leader = Leadership.postgres(conninfo, "sendtrail-checkpoints|<schema>")
    if leader.holds():   # cheap; asks again only when not the leader
        sign_a_checkpoint()
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from pathlib import Path
from typing import Any

import psycopg


class Leadership:
    """Whether this process is the one that does a named piece of work."""

    def __init__(self, take: Any, still: Any, release: Any) -> None:
        self._take, self._still, self._release = take, still, release
        self._lock = threading.Lock()
        self._held = False

    @classmethod
    def postgres(cls, conninfo: str, name: str, *, connect_timeout: int = 10) -> Leadership:
        """Leadership by `pg_try_advisory_lock(hashtext(name))` on a connection of its own."""
        state: dict[str, psycopg.Connection[Any] | None] = {"conn": None}

        def take() -> bool:
            conn = state["conn"]
            if conn is None or conn.closed or conn.broken:
                conn = state["conn"] = psycopg.connect(
                    conninfo, autocommit=True, connect_timeout=connect_timeout
                )
            row = conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [name]).fetchone()
            return bool(row and row[0])

        def still() -> bool:
            conn = state["conn"]
            if conn is None or conn.closed or conn.broken:
                return False
            try:
                conn.execute("SELECT 1")
            except psycopg.Error:
                return False
            return True

        def release() -> None:
            conn, state["conn"] = state["conn"], None
            if conn is not None:
                with contextlib.suppress(psycopg.Error):
                    # Unlocked now: a closed session's locks go only once the server has
                    # noticed, a moment later, and the next server must not miss its turn.
                    conn.execute("SELECT pg_advisory_unlock_all()")
                with contextlib.suppress(psycopg.Error):
                    conn.close()

        return cls(take, still, release)

    @classmethod
    def file(cls, path: Path) -> Leadership:
        """Leadership by an exclusive, non-blocking `flock` on `path` (made 0600)."""
        state: dict[str, int | None] = {"fd": None}

        def take() -> bool:
            fd = state["fd"]
            if fd is None:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = state["fd"] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        def release() -> None:
            fd, state["fd"] = state["fd"], None
            if fd is not None:
                os.close(fd)  # releases the lock

        return cls(take, lambda: state["fd"] is not None, release)

    def holds(self) -> bool:
        """Whether this process is the leader now: keeps the lead while its lock lives,
        else tries to take it (never waits)."""
        with self._lock:
            try:
                if self._held and self._still():
                    return True
                self._held = False
                self._held = bool(self._take())
            except (psycopg.Error, OSError):
                self._release()
                self._held = False
            return self._held

    def release(self) -> None:
        """Give the lead up (at shutdown): another server takes it at its next ask."""
        with self._lock:
            self._held = False
            self._release()
