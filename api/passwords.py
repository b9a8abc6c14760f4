"""Passwords (argon2id, argon2-cffi's defaults) and the TOTP second factor (pyotp).

A password is only ever kept as its argon2id hash; the clear text lives in one request's
memory and is never logged or shown back. Codes are compared in constant time.
"""

from __future__ import annotations

import hmac
import io
from datetime import UTC, datetime

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
ISSUER = "sendtrail"
_hasher = PasswordHasher()  # argon2id, RFC 9106's low-memory profile
# Checked against when the user name is unknown, so an unknown name takes as long as a
# wrong password (a timing difference would tell which user names exist).
_DUMMY = _hasher.hash("sendtrail: no such user")


def password_problem(password: str, *, user_name: str = "") -> str | None:
    """Why a new password is refused, in plain words (None: it is acceptable)."""
    if len(password) < MIN_PASSWORD:
        return f"Enter a password of at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"Enter a password of at most {MAX_PASSWORD} characters"
    if user_name and password.strip().lower() == user_name.strip().lower():
        return "Choose a password that is not your user name"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    """Whether `password` is the one `stored` hashes (always doing the work of a check)."""
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, account: str) -> str:
    """The otpauth:// address an authenticator app reads (from a QR code or typed)."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def totp_qr_svg(uri: str) -> str:
    """That address as a QR code, an inline SVG element an authenticator app scans (the
    page's CSP allows no script and needs none for it)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out, kind="svg", xmldecl=False, svgns=True, scale=5, border=4,
        title="QR code of the key for your authenticator app", svgclass="qr",
    )  # fmt: skip
    return out.getvalue().decode("ascii")


def code_step(secret: str | None, code: str, *, now: datetime | None = None) -> int | None:
    """The time step whose code `code` is, if it is the secret's current code (or the one
    before or after, for clock drift), compared in constant time; None otherwise. Each
    step's code is accepted once (the caller records the step: RFC 6238, 5.2)."""
    code = code.strip().replace(" ", "")
    if not secret or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    moment = now or datetime.now(tz=UTC)
    found = None
    for drift in (-1, 0, 1):
        expected = totp.at(moment, counter_offset=drift)
        if hmac.compare_digest(expected.encode(), code.encode()):
            found = totp.timecode(moment) + drift
    return found
