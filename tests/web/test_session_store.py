"""Web sessions on both stores: only the hash kept, ended by sign-out, by the user's
revocation or expiry, and by their own twelve hours."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import cast

from api.bootstrap import open_records
from api.session_store import WebSessions, csrf_token
from api.settings import Settings
from api.users import UserStore
from ledger.log import LedgerBackend


def test_a_session_lives_until_signed_out_revoked_or_expired(settings: Settings) -> None:
    records = open_records(settings)
    try:
        backend = cast(LedgerBackend, records.recorder)
        users = UserStore(backend)
        sessions = WebSessions(backend, users)
        user, _ = users.add("Key person", role="practitioner", setting_id="s-1")
        start = datetime.now(tz=UTC)
        first = sessions.open(user, now=start)
        found = sessions.user(first, now=start)
        assert found is not None
        assert found.user_id == user.user_id
        with backend.ledger_cursor() as cursor:
            cursor.execute(backend.tables.q("SELECT session_sha256 FROM {p}web_sessions"))
            stored = {row["session_sha256"] for row in cursor.fetchall()}
        assert stored == {hashlib.sha256(first.encode()).hexdigest()}
        assert sessions.user(first, now=start + timedelta(hours=12, seconds=1)) is None
        sessions.close(first)
        assert sessions.user(first, now=start) is None
        second = sessions.open(user, now=start)
        assert csrf_token(second) != csrf_token(first)
        users.revoke(user.user_id)
        assert sessions.user(second) is None
        assert sessions.user("not-a-session") is None
    finally:
        records.close()
