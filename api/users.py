"""API users and bearer tokens.

Tokens are 256-bit random secrets shown once; only their SHA-256 is stored. (A slow hash
such as argon2 protects low-entropy passwords; a random 256-bit token cannot be guessed,
and a fast hash lets every request find its user by an index.) Users expire and can be
revoked; staff names live only here, never in events or logs.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from api.passwords import code_step
from api.permissions import ROLES
from domain.application import ChildRecords
from domain.errors import DomainError
from ledger.log import LedgerBackend
from ledger.sql import Cursor, Row, create_tables, may_create

API_ROLES = ROLES  # the permission table's roles
STAFF_ROLES = ("admin", "senco", "practitioner")
MAX_LOGIN = 254


def normal_login(login: str) -> str:
    """User names and email addresses match whatever their case and surrounding spaces."""
    return login.strip().lower()


class UserError(ValueError):
    """A user cannot be added as asked."""


def check_parent_binding(
    records: ChildRecords, setting_id: str, child_id: str | None, person_id: str | None
) -> None:
    """A parent account names an existing child of its own setting and a person linked to
    that child (the person the parent writes as); UserError otherwise (never saying
    whether a child of another setting exists)."""
    if not child_id:
        raise UserError("a parent user needs the id of their child (--child)")
    if not person_id:
        raise UserError("a parent user needs their linked person's id (--person)")
    try:
        child = records.get_child(UUID(child_id), read_only=True)
    except (ValueError, DomainError):
        child = None
    if child is None or child.setting_id != setting_id:
        raise UserError("--child names no child of this setting")
    if person_id not in child.people:
        raise UserError("--person names no person linked to that child")


@dataclass(frozen=True)
class User:
    user_id: str
    name: str
    role: str
    setting_id: str
    child_id: str | None
    expires_at: str
    revoked: bool
    person_id: str | None = None  # a parent: the linked person they write as
    organisation: str | None = None  # an inspector / LA caseworker: the body shares name
    login: str | None = None  # the user name they sign in with (None: a token only)
    totp: bool = False  # whether sign-in asks for a code from their authenticator app


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _user(row: Row) -> User:
    return User(
        str(row["user_id"]),
        str(row["name"]),
        str(row["role"]),
        str(row["setting_id"]),
        row["child_id"],
        str(row["expires_at"]),
        row["revoked_at"] is not None,
        row["person_id"],
        row["organisation"],
        row["login"],
        bool(row["totp_secret"]),
    )


def _live(row: Row | None, now: datetime | None) -> User | None:
    """The user of a table row, unless there is none, or it is revoked or expired."""
    if row is None or row["revoked_at"] is not None:
        return None
    if datetime.fromisoformat(str(row["expires_at"])) <= (now or datetime.now(tz=UTC)):
        return None
    return _user(row)


CREATE_USERS = (
    "CREATE TABLE IF NOT EXISTS {p}api_users (user_id TEXT PRIMARY KEY, "
    "name TEXT NOT NULL, role TEXT NOT NULL, setting_id TEXT NOT NULL, "
    "child_id TEXT, token_sha256 TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, "
    "expires_at TEXT NOT NULL, revoked_at TEXT, person_id TEXT, organisation TEXT)"
)
# Columns added after the table's first version (issue 14): a parent's linked person, an
# inspector's body; (issue 19) the user name, the argon2id hash of the password and the
# TOTP secret of a user who signs in with a password.
ADDED_COLUMNS = (
    "person_id",
    "organisation",
    "login",
    "password_hash",
    "totp_secret",
    "totp_last_step",
    "totp_claim",
)
CREATE_LOGIN_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS api_users_login ON {p}api_users (login)"


class UserStore:
    """Users in the same database as the record (table api_users)."""

    def __init__(self, backend: LedgerBackend) -> None:
        self.backend = backend
        self.tables = backend.tables
        with backend.ledger_cursor(commit=True) as cursor:
            create_tables(cursor, self.tables, [CREATE_USERS])
            if may_create(cursor, self.tables):
                self._add_columns(cursor)
                cursor.execute(self.tables.q(CREATE_LOGIN_INDEX))

    def _add_columns(self, cursor: Cursor) -> None:
        """Bring a table made by an earlier version up to date (new columns, NULL)."""
        if self.tables.schema is not None:
            for column in ADDED_COLUMNS:
                cursor.execute(
                    self.tables.q(
                        f"ALTER TABLE {{p}}api_users ADD COLUMN IF NOT EXISTS {column} TEXT"
                    )
                )
            return
        cursor.execute("PRAGMA table_info(api_users)")
        present = {str(row["name"]) for row in cursor.fetchall()}
        for column in ADDED_COLUMNS:
            if column not in present:
                cursor.execute(f"ALTER TABLE api_users ADD COLUMN {column} TEXT")

    def add(
        self,
        name: str,
        *,
        role: str,
        setting_id: str,
        child_id: str | None = None,
        person_id: str | None = None,
        organisation: str | None = None,
        days: int = 365,
        now: datetime | None = None,
    ) -> tuple[User, str]:
        """Create a user; returns it and its token (the only time the token is shown).
        A parent names their child (and the linked person they write as); an inspector or
        LA caseworker names the body that shares are made with."""
        with self.backend.ledger_cursor(commit=True) as cursor:
            return self.insert(
                cursor,
                name,
                role=role,
                setting_id=setting_id,
                child_id=child_id,
                person_id=person_id,
                organisation=organisation,
                days=days,
                now=now,
            )

    def insert(
        self,
        cursor: Cursor,
        name: str,
        *,
        role: str,
        setting_id: str,
        child_id: str | None = None,
        person_id: str | None = None,
        organisation: str | None = None,
        login: str | None = None,
        password_hash: str | None = None,
        days: int = 365,
        now: datetime | None = None,
    ) -> tuple[User, str]:
        """`add` inside the caller's transaction; a user with a `login` signs in with it
        and the password whose argon2id hash is `password_hash` (their token is still made,
        and never shown to them)."""
        if role not in API_ROLES:
            raise UserError(f"role must be one of {', '.join(API_ROLES)}")
        if role == "parent" and not child_id:
            raise UserError("a parent user needs the id of their child")
        if role != "parent" and (child_id or person_id):
            raise UserError("only a parent user names a child (--child) or a person (--person)")
        if role != "inspector" and organisation:
            raise UserError("only an inspector user names a body (--org)")
        if not name.strip() or not setting_id.strip():
            raise UserError("name and setting must not be empty")
        if login is not None and self.login_taken(cursor, login):
            raise UserError("that user name is taken: choose another")
        moment = now or datetime.now(tz=UTC)
        user_id = f"u-{uuid.uuid4().hex[:12]}"
        token = f"st_{secrets.token_urlsafe(32)}"
        expires = (moment + timedelta(days=days)).isoformat()
        cursor.execute(
            self.tables.q(
                "INSERT INTO {p}api_users (user_id, name, role, setting_id, child_id, "
                "token_sha256, created_at, expires_at, person_id, organisation, login, "
                "password_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            [
                user_id,
                name.strip(),
                role,
                setting_id,
                child_id,
                _digest(token),
                moment.isoformat(),
                expires,
                person_id,
                organisation,
                normal_login(login) if login else None,
                password_hash,
            ],
        )
        user = User(
            user_id,
            name.strip(),
            role,
            setting_id,
            child_id,
            expires,
            False,
            person_id,
            organisation,
            normal_login(login) if login else None,
        )
        return user, token

    def login_taken(self, cursor: Cursor, login: str) -> bool:
        cursor.execute(
            self.tables.q("SELECT user_id FROM {p}api_users WHERE login = ?"), [normal_login(login)]
        )
        return cursor.fetchone() is not None

    def credentials(self, login: str) -> tuple[User, str, str | None] | None:
        """The live user signing in as `login`, their password hash and TOTP secret."""
        with self.backend.ledger_cursor() as cursor:
            cursor.execute(
                self.tables.q("SELECT * FROM {p}api_users WHERE login = ?"), [normal_login(login)]
            )
            row = cursor.fetchone()
        user = _live(row, None)
        if user is None or row is None or not row["password_hash"]:
            return None
        return user, str(row["password_hash"]), row["totp_secret"]

    def password_hash(self, user_id: str) -> str | None:
        """The argon2id hash of the user's password (None: they have none)."""
        with self.backend.ledger_cursor() as cursor:
            cursor.execute(
                self.tables.q("SELECT password_hash FROM {p}api_users WHERE user_id = ?"),
                [user_id],
            )
            row = cursor.fetchone()
        return None if row is None else row["password_hash"]

    def set_password(self, user_id: str, password_hash: str) -> None:
        with self.backend.ledger_cursor(commit=True) as cursor:
            cursor.execute(
                self.tables.q("UPDATE {p}api_users SET password_hash = ? WHERE user_id = ?"),
                [password_hash, user_id],
            )

    def totp_secret(self, user_id: str) -> str | None:
        """The user's TOTP secret (None: no second factor)."""
        with self.backend.ledger_cursor() as cursor:
            cursor.execute(
                self.tables.q("SELECT totp_secret FROM {p}api_users WHERE user_id = ?"), [user_id]
            )
            row = cursor.fetchone()
        return None if row is None else row["totp_secret"]

    def set_totp(self, user_id: str, secret: str | None, step: int | None = None) -> None:
        """Turn the second factor on (with its secret and the step of the code that
        confirmed it, which is then used up) or off (None)."""
        with self.backend.ledger_cursor(commit=True) as cursor:
            cursor.execute(
                self.tables.q(
                    "UPDATE {p}api_users SET totp_secret = ?, totp_last_step = ? WHERE user_id = ?"
                ),
                [secret, None if step is None else str(step), user_id],
            )

    def use_code(self, user_id: str, code: str) -> bool:
        """Whether `code` is the user's current TOTP code and not used before: a code is
        accepted once (a later use of the same or an earlier step is refused), also when
        two servers check it at the same moment."""
        step = code_step(self.totp_secret(user_id), code)
        if step is None:
            return False
        claim = secrets.token_hex(16)  # which check's update won, read back below
        with self.backend.ledger_cursor(commit=True) as cursor:
            cursor.execute(
                self.tables.q(
                    "UPDATE {p}api_users SET totp_last_step = ?, totp_claim = ? WHERE user_id = ? "
                    "AND (totp_last_step IS NULL OR CAST(totp_last_step AS BIGINT) < ?)"
                ),
                [str(step), claim, user_id, step],
            )
            cursor.execute(
                self.tables.q("SELECT totp_claim FROM {p}api_users WHERE user_id = ?"), [user_id]
            )
            row = cursor.fetchone()
        return row is not None and row["totp_claim"] == claim

    def set_role(self, user_id: str, role: str, *, setting_id: str) -> bool:
        """Change a staff user's role (admin, senco, practitioner) within their setting;
        False if there is no such live staff user there."""
        if role not in STAFF_ROLES:
            raise UserError(f"role must be one of {', '.join(STAFF_ROLES)}")
        found = self.live(user_id)
        if found is None or found.setting_id != setting_id or found.role not in STAFF_ROLES:
            return False
        with self.backend.ledger_cursor(commit=True) as cursor:
            cursor.execute(
                self.tables.q("UPDATE {p}api_users SET role = ? WHERE user_id = ?"),
                [role, user_id],
            )
        return True

    def of_setting(self, setting_id: str) -> list[User]:
        """Every user of a setting, revoked ones included, by name."""
        with self.backend.ledger_cursor() as cursor:
            cursor.execute(
                self.tables.q("SELECT * FROM {p}api_users WHERE setting_id = ? ORDER BY name"),
                [setting_id],
            )
            return [_user(row) for row in cursor.fetchall()]

    def authenticate(self, token: str, *, now: datetime | None = None) -> User | None:
        """The live user holding `token`, or None (unknown, expired or revoked)."""
        with self.backend.ledger_cursor() as cursor:
            cursor.execute(
                self.tables.q("SELECT * FROM {p}api_users WHERE token_sha256 = ?"), [_digest(token)]
            )
            row = cursor.fetchone()
        return _live(row, now)

    def live(self, user_id: str, *, now: datetime | None = None) -> User | None:
        """The user with this id if still live (not expired, not revoked), else None."""
        with self.backend.ledger_cursor() as cursor:
            cursor.execute(self.tables.q("SELECT * FROM {p}api_users WHERE user_id = ?"), [user_id])
            row = cursor.fetchone()
        return _live(row, now)

    def names(self, user_ids: Iterable[str]) -> dict[str, str]:
        """The names of these users, revoked and expired ones too (an entry keeps its
        author); an id no user holds is left out."""
        wanted = set(user_ids)
        if not wanted:
            return {}
        # The table holds a setting's staff and parents: read whole, it is one small query.
        with self.backend.ledger_cursor() as cursor:
            cursor.execute(self.tables.q("SELECT user_id, name FROM {p}api_users"))
            rows = cursor.fetchall()
        return {str(r["user_id"]): str(r["name"]) for r in rows if r["user_id"] in wanted}

    def revoke(self, user_id: str) -> bool:
        """Revoke a user's token; False if there is no such user."""
        with self.backend.ledger_cursor(commit=True) as cursor:
            cursor.execute(
                self.tables.q(
                    "UPDATE {p}api_users SET revoked_at = ? "
                    "WHERE user_id = ? AND revoked_at IS NULL"
                ),
                [datetime.now(tz=UTC).isoformat(), user_id],
            )
            cursor.execute(
                self.tables.q("SELECT revoked_at FROM {p}api_users WHERE user_id = ?"), [user_id]
            )
            return cursor.fetchone() is not None

    def remove_for_child(self, child_id: str) -> int:
        """Delete the parent users of an erased child (their names go with the record);
        returns how many."""
        with self.backend.ledger_cursor(commit=True) as cursor:
            cursor.execute(
                self.tables.q("SELECT COUNT(*) AS n FROM {p}api_users WHERE child_id = ?"),
                [child_id],
            )
            row = cursor.fetchone()
            cursor.execute(self.tables.q("DELETE FROM {p}api_users WHERE child_id = ?"), [child_id])
        return 0 if row is None else int(row["n"])
