"""Sign-in failures counted per account and per client address, in the users' database
(table api_signin_failures), so every app server sees the same counts.

After FAILURES failed sign-ins within WINDOW, by one user name or from one address, more
attempts are refused (429 with Retry-After) until the oldest of them leaves the window.
Subjects are stored only as a keyed SHA-256 ("account:" or "address:" and the value), so
the table holds no user name or address in clear.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta

from api.users import normal_login
from ledger.log import LedgerBackend
from ledger.sql import create_tables

FAILURES = 5
WINDOW = timedelta(minutes=15)
CREATE_FAILURES = (
    "CREATE TABLE IF NOT EXISTS {p}api_signin_failures (subject_sha256 TEXT NOT NULL, "
    "failed_at TEXT NOT NULL)"
)
CREATE_INDEX = (
    "CREATE INDEX IF NOT EXISTS api_signin_failures_subject "
    "ON {p}api_signin_failures (subject_sha256, failed_at)"
)


def subjects(login: str | None, address: str | None) -> list[str]:
    """The hashed subjects an attempt counts against: its account and its address."""
    found = []
    if login and login.strip():
        found.append("account:" + normal_login(login))
    if address:
        found.append("address:" + address)
    return [hashlib.sha256(b"sendtrail-signin\0" + s.encode()).hexdigest() for s in found]


class SignInLimits:
    def __init__(self, backend: LedgerBackend) -> None:
        self.backend = backend
        self.tables = backend.tables
        with backend.ledger_cursor(commit=True) as cursor:
            create_tables(cursor, self.tables, [CREATE_FAILURES, CREATE_INDEX])

    def retry_after(self, keys: list[str], *, now: datetime | None = None) -> int | None:
        """Seconds until another attempt is allowed for these subjects (None: allowed now)."""
        moment = now or datetime.now(tz=UTC)
        since = (moment - WINDOW).isoformat()
        wait = 0.0
        with self.backend.ledger_cursor() as cursor:
            for key in keys:
                cursor.execute(
                    self.tables.q(
                        "SELECT failed_at FROM {p}api_signin_failures WHERE subject_sha256 = ? "
                        "AND failed_at > ? ORDER BY failed_at DESC"
                    ),
                    [key, since],
                )
                times = [str(row["failed_at"]) for row in cursor.fetchall()]
                if len(times) >= FAILURES:
                    # Allowed again once all but FAILURES - 1 of them have left the window.
                    freed = datetime.fromisoformat(times[FAILURES - 1]) + WINDOW
                    wait = max(wait, (freed - moment).total_seconds())
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, keys: list[str], *, now: datetime | None = None) -> None:
        """Count a failed attempt against each subject (and forget failures out of date)."""
        moment = now or datetime.now(tz=UTC)
        with self.backend.ledger_cursor(commit=True) as cursor:
            cursor.execute(
                self.tables.q("DELETE FROM {p}api_signin_failures WHERE failed_at <= ?"),
                [(moment - WINDOW).isoformat()],
            )
            cursor.executemany(
                self.tables.q(
                    "INSERT INTO {p}api_signin_failures (subject_sha256, failed_at) VALUES (?, ?)"
                ),
                [[key, moment.isoformat()] for key in keys],
            )

    def succeeded(self, keys: list[str]) -> None:
        """A correct sign-in clears its account's count (never its address's)."""
        with self.backend.ledger_cursor(commit=True) as cursor:
            cursor.executemany(
                self.tables.q("DELETE FROM {p}api_signin_failures WHERE subject_sha256 = ?"),
                [[key] for key in keys],
            )
