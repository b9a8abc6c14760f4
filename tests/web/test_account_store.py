"""Accounts on both stores: invitations used once, user names unique, the password kept
only as its argon2id hash, the second factor, and sign-in failures counted where every
app server sees them (issue 19.3)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import cast

import pyotp
import pytest

from api.bootstrap import open_records
from api.invitations import InvitationStore
from api.passwords import hash_password, password_matches
from api.session_store import WebSessions
from api.settings import Settings
from api.signin_limits import FAILURES, WINDOW, SignInLimits, subjects
from api.users import UserError, UserStore
from ledger.log import LedgerBackend


def test_an_invitation_is_used_once_and_binds_what_it_says(settings: Settings) -> None:
    records = open_records(settings)
    try:
        backend = cast(LedgerBackend, records.recorder)
        users = UserStore(backend)
        invitations = InvitationStore(backend, users)
        made, token = invitations.create(
            "Pat",
            role="parent",
            setting_id="s-1",
            invited_by="u-admin",
            child_id="c-1",
            person_id="p-1",
            email="pat@example.org",
        )
        assert [i.invitation_id for i in invitations.open_in("s-1")] == [made.invitation_id]
        with backend.ledger_cursor() as cursor:
            cursor.execute(backend.tables.q("SELECT invitation_sha256 FROM {p}api_invitations"))
            assert token not in str([dict(r) for r in cursor.fetchall()])
        user = invitations.accept(
            token, login="Pat@Example.org", password_hash=hash_password("x" * 12)
        )
        assert user is not None
        assert (user.role, user.child_id, user.person_id, user.login) == (
            "parent",
            "c-1",
            "p-1",
            "pat@example.org",
        )
        assert (
            invitations.accept(token, login="other", password_hash=hash_password("h" * 12)) is None
        )
        assert invitations.find(token) is None
        with backend.ledger_cursor() as cursor:
            cursor.execute(backend.tables.q("SELECT email FROM {p}api_invitations"))
            assert cursor.fetchone()["email"] is None  # the address is not kept once used
        found = users.credentials(" PAT@example.org ")
        assert found is not None
        assert password_matches(found[1], "x" * 12)
        assert not password_matches(found[1], "y" * 12)
        second, again = invitations.create("Sam", role="senco", setting_id="s-1", invited_by="u")
        with pytest.raises(UserError, match="taken"):
            invitations.accept(
                again, login="pat@example.org", password_hash=hash_password("h" * 12)
            )
        assert invitations.find(again) is not None  # a refused acceptance uses nothing up
        assert invitations.withdraw(second.invitation_id, setting_id="s-1")
        assert invitations.find(again) is None
        invitations.remove_for_child("c-1")
        with backend.ledger_cursor() as cursor:
            cursor.execute(backend.tables.q("SELECT COUNT(*) AS n FROM {p}api_invitations"))
            assert cursor.fetchone()["n"] == 1
    finally:
        records.close()


def test_totp_role_changes_and_revocation(settings: Settings) -> None:
    records = open_records(settings)
    try:
        backend = cast(LedgerBackend, records.recorder)
        users = UserStore(backend)
        sessions = WebSessions(backend, users)
        with backend.ledger_cursor(commit=True) as cursor:
            user, _ = users.insert(
                cursor,
                "Kim",
                role="practitioner",
                setting_id="s-1",
                login="kim",
                password_hash=hash_password("k" * 12),
            )
        secret = pyotp.random_base32()
        users.set_totp(user.user_id, secret)
        now = pyotp.TOTP(secret).now()
        assert users.use_code(user.user_id, now)
        assert not users.use_code(user.user_id, now)  # each code once
        assert users.use_code(user.user_id, pyotp.TOTP(secret).at(time.time() + 30))
        assert not users.use_code(user.user_id, now)  # nor an earlier one after a later
        assert not users.use_code(user.user_id, "12345x")
        live = users.live(user.user_id)
        assert live is not None
        assert live.totp
        assert users.set_role(user.user_id, "senco", setting_id="s-1")
        assert not users.set_role(user.user_id, "admin", setting_id="s-2")
        with pytest.raises(UserError):
            users.set_role(user.user_id, "parent", setting_id="s-1")
        session = sessions.open(user)
        users.revoke(user.user_id)
        assert sessions.user(session) is None
        assert users.credentials("kim") is None
    finally:
        records.close()


def test_failures_are_counted_per_subject_and_forgotten_after_the_window(
    settings: Settings,
) -> None:
    records = open_records(settings)
    try:
        backend = cast(LedgerBackend, records.recorder)
        limits = SignInLimits(backend)
        other_server = SignInLimits(backend)  # another app server on the same store
        keys = subjects("kim", "192.0.2.1")
        start = datetime.now(tz=UTC)
        for n in range(FAILURES):
            assert limits.retry_after(keys, now=start) is None
            limits.failed(keys, now=start + timedelta(seconds=n))
        wait = other_server.retry_after(keys, now=start + timedelta(seconds=10))
        assert wait is not None
        assert 0 < wait <= WINDOW.total_seconds()
        assert other_server.retry_after(subjects("sam", "192.0.2.2")) is None
        assert (
            limits.retry_after(subjects("kim", None), now=start + WINDOW + timedelta(minutes=1))
            is None
        )
        limits.succeeded(subjects("kim", None))
        assert limits.retry_after(subjects("kim", None), now=start) is None
        assert limits.retry_after(subjects(None, "192.0.2.1"), now=start + timedelta(seconds=10))
        with backend.ledger_cursor() as cursor:
            cursor.execute(backend.tables.q("SELECT subject_sha256 FROM {p}api_signin_failures"))
            stored = str([dict(r) for r in cursor.fetchall()])
        assert "kim" not in stored
        assert "192.0.2.1" not in stored
    finally:
        records.close()
