"""Web sessions: signing in to the pages with the same users (and tokens) as the API.

A session id is a 256-bit random secret held only in the browser's cookie; the table keeps
its SHA-256 (as `api_users` keeps the token's), so a copy of the database opens no
session. Every lookup also asks the user table, so revoking or expiring a user ends their
sessions at once. The per-session CSRF token is derived from the session id (a keyed,
one-way function of it), so it needs no column and reveals nothing about the id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from api.users import User, UserStore
from ledger.log import LedgerBackend
from ledger.sql import create_tables

LIFETIME = timedelta(hours=12)
CREATE_SESSIONS = (
    "CREATE TABLE IF NOT EXISTS {p}web_sessions (session_sha256 TEXT PRIMARY KEY, "
    "user_id TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL)"
)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def csrf_token(session_id: str) -> str:
    """The CSRF token every POST form of this session carries."""
    return hashlib.sha256(b"sendtrail-csrf\0" + session_id.encode()).hexdigest()


def same_token(sent: str | None, expected: str) -> bool:
    """Constant-time comparison of a token sent with the one expected."""
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())


class WebSessions:
    """Sessions in the same database as the record (table web_sessions)."""

    def __init__(self, backend: LedgerBackend, users: UserStore) -> None:
        self.backend = backend
        self.tables = backend.tables
        self.users = users
        with backend.ledger_cursor(commit=True) as cursor:
            create_tables(cursor, self.tables, [CREATE_SESSIONS])

    def open(self, user: User, *, now: datetime | None = None) -> str:
        """A new session for `user`; returns its id (the cookie's value, shown only here)."""
        moment = now or datetime.now(tz=UTC)
        session_id = secrets.token_urlsafe(32)
        with self.backend.ledger_cursor(commit=True) as cursor:
            # Expired sessions go whenever someone signs in: the table never grows stale.
            cursor.execute(
                self.tables.q("DELETE FROM {p}web_sessions WHERE expires_at <= ?"),
                [moment.isoformat()],
            )
            cursor.execute(
                self.tables.q(
                    "INSERT INTO {p}web_sessions (session_sha256, user_id, created_at, "
                    "expires_at) VALUES (?, ?, ?, ?)"
                ),
                [
                    _digest(session_id),
                    user.user_id,
                    moment.isoformat(),
                    (moment + LIFETIME).isoformat(),
                ],
            )
        return session_id

    def user(self, session_id: str, *, now: datetime | None = None) -> User | None:
        """The live user of a live session, or None (unknown, expired, or user revoked)."""
        moment = now or datetime.now(tz=UTC)
        with self.backend.ledger_cursor() as cursor:
            cursor.execute(
                self.tables.q(
                    "SELECT user_id, expires_at FROM {p}web_sessions WHERE session_sha256 = ?"
                ),
                [_digest(session_id)],
            )
            row = cursor.fetchone()
        if row is None or datetime.fromisoformat(str(row["expires_at"])) <= moment:
            return None
        return self.users.live(str(row["user_id"]), now=moment)

    def close(self, session_id: str) -> None:
        """Sign out: the session is deleted, so its cookie opens nothing any more."""
        with self.backend.ledger_cursor(commit=True) as cursor:
            cursor.execute(
                self.tables.q("DELETE FROM {p}web_sessions WHERE session_sha256 = ?"),
                [_digest(session_id)],
            )
