"""Invitations: a one-time link an admin passes on, with which a person sets their own
user name and password (issue 19).

As with tokens, the link's secret is 256 random bits and only its SHA-256 is stored. An
invitation fixes the role and setting, and for a parent the child and the linked person
they will write as; it can be used once, within its days, and an admin may withdraw it.
The email address (if any) is kept only until the invitation is used or withdrawn.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from api.users import User, UserError, UserStore
from ledger.log import LedgerBackend
from ledger.sql import Row, create_tables

DAYS = 7
# A person's account lasts until an admin revokes it (ten years bounds a forgotten one);
# a token-only user's keeps the CLI's one year.
ACCOUNT_DAYS = 3650
CREATE_INVITATIONS = (
    "CREATE TABLE IF NOT EXISTS {p}api_invitations (invitation_sha256 TEXT PRIMARY KEY, "
    "invitation_id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, role TEXT NOT NULL, "
    "setting_id TEXT NOT NULL, child_id TEXT, person_id TEXT, email TEXT, "
    "invited_by TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, "
    "used_at TEXT, user_id TEXT)"
)


@dataclass(frozen=True)
class Invitation:
    invitation_id: str
    name: str
    role: str
    setting_id: str
    child_id: str | None
    person_id: str | None
    email: str | None
    expires_at: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _invitation(row: Row) -> Invitation:
    return Invitation(
        str(row["invitation_id"]),
        str(row["name"]),
        str(row["role"]),
        str(row["setting_id"]),
        row["child_id"],
        row["person_id"],
        row["email"],
        str(row["expires_at"]),
    )


class InvitationStore:
    """Invitations in the same database as the users (table api_invitations)."""

    def __init__(self, backend: LedgerBackend, users: UserStore) -> None:
        self.backend = backend
        self.tables = backend.tables
        self.users = users
        with backend.ledger_cursor(commit=True) as cursor:
            create_tables(cursor, self.tables, [CREATE_INVITATIONS])

    def create(
        self,
        name: str,
        *,
        role: str,
        setting_id: str,
        invited_by: str,
        child_id: str | None = None,
        person_id: str | None = None,
        email: str | None = None,
        now: datetime | None = None,
    ) -> tuple[Invitation, str]:
        """A new invitation and its secret (shown once, inside the link)."""
        if role not in ("admin", "senco", "practitioner", "parent"):
            raise UserError("an invitation is for an admin, a SENCO, a practitioner or a parent")
        if role == "parent" and not (child_id and person_id):
            raise UserError("a parent's invitation names their child and linked person")
        moment = now or datetime.now(tz=UTC)
        token = f"inv_{secrets.token_urlsafe(32)}"
        found = Invitation(
            f"i-{uuid.uuid4().hex[:12]}",
            name.strip(),
            role,
            setting_id,
            child_id if role == "parent" else None,
            person_id if role == "parent" else None,
            email or None,
            (moment + timedelta(days=DAYS)).isoformat(),
        )
        with self.backend.ledger_cursor(commit=True) as cursor:
            cursor.execute(
                self.tables.q(
                    "INSERT INTO {p}api_invitations (invitation_sha256, invitation_id, name, "
                    "role, setting_id, child_id, person_id, email, invited_by, created_at, "
                    "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                [
                    _digest(token),
                    found.invitation_id,
                    found.name,
                    role,
                    setting_id,
                    found.child_id,
                    found.person_id,
                    found.email,
                    invited_by,
                    moment.isoformat(),
                    found.expires_at,
                ],
            )
        return found, token

    def find(self, token: str, *, now: datetime | None = None) -> Invitation | None:
        """The open invitation of this secret, or None (unknown, used, withdrawn, expired)."""
        with self.backend.ledger_cursor() as cursor:
            cursor.execute(
                self.tables.q(
                    "SELECT * FROM {p}api_invitations WHERE invitation_sha256 = ? "
                    "AND used_at IS NULL AND expires_at > ?"
                ),
                [_digest(token), (now or datetime.now(tz=UTC)).isoformat()],
            )
            row = cursor.fetchone()
        return None if row is None else _invitation(row)

    def accept(self, token: str, *, login: str, password_hash: str) -> User | None:
        """Use the invitation once: the user it describes, signing in as `login` with the
        password of `password_hash`. None if it was no longer open (used by someone else
        a moment before, withdrawn, expired); UserError if the user name is taken."""
        invitation = self.find(token)
        if invitation is None:
            return None
        now = datetime.now(tz=UTC).isoformat()
        try:
            return self._claim(token, invitation, now, login, password_hash)
        except InvitationTaken:
            return None

    def _claim(
        self, token: str, invitation: Invitation, now: str, login: str, password_hash: str
    ) -> User:
        with self.backend.ledger_cursor(commit=True) as cursor:
            user, _ = self.users.insert(
                cursor,
                invitation.name,
                role=invitation.role,
                setting_id=invitation.setting_id,
                child_id=invitation.child_id,
                person_id=invitation.person_id,
                login=login,
                password_hash=password_hash,
                days=ACCOUNT_DAYS,
            )
            # Only one acceptance wins: the row is claimed only while still unused.
            cursor.execute(
                self.tables.q(
                    "UPDATE {p}api_invitations SET used_at = ?, user_id = ?, email = NULL "
                    "WHERE invitation_sha256 = ? AND used_at IS NULL AND expires_at > ?"
                ),
                [now, user.user_id, _digest(token), now],
            )
            cursor.execute(
                self.tables.q("SELECT user_id FROM {p}api_invitations WHERE invitation_sha256 = ?"),
                [_digest(token)],
            )
            row = cursor.fetchone()
            if row is None or row["user_id"] != user.user_id:
                raise InvitationTaken
        return user

    def open_in(self, setting_id: str) -> list[Invitation]:
        """The setting's invitations not yet used, withdrawn or expired."""
        with self.backend.ledger_cursor() as cursor:
            cursor.execute(
                self.tables.q(
                    "SELECT * FROM {p}api_invitations WHERE setting_id = ? AND used_at IS NULL "
                    "AND expires_at > ? ORDER BY created_at"
                ),
                [setting_id, datetime.now(tz=UTC).isoformat()],
            )
            return [_invitation(row) for row in cursor.fetchall()]

    def withdraw(self, invitation_id: str, *, setting_id: str) -> bool:
        """Close an open invitation of this setting (its link opens nothing any more)."""
        with self.backend.ledger_cursor(commit=True) as cursor:
            cursor.execute(
                self.tables.q(
                    "UPDATE {p}api_invitations SET used_at = ?, email = NULL "
                    "WHERE invitation_id = ? AND setting_id = ? AND used_at IS NULL"
                ),
                [datetime.now(tz=UTC).isoformat(), invitation_id, setting_id],
            )
            cursor.execute(
                self.tables.q(
                    "SELECT user_id FROM {p}api_invitations WHERE invitation_id = ? "
                    "AND setting_id = ?"
                ),
                [invitation_id, setting_id],
            )
            row = cursor.fetchone()
        return row is not None and row["user_id"] is None

    def remove_for_child(self, child_id: str) -> None:
        """Delete an erased child's parent invitations (names and addresses go with it)."""
        with self.backend.ledger_cursor(commit=True) as cursor:
            cursor.execute(
                self.tables.q("DELETE FROM {p}api_invitations WHERE child_id = ?"), [child_id]
            )


class InvitationTaken(Exception):
    """Another acceptance of the same invitation won: this one is rolled back."""
