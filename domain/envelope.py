"""The envelope every event carries (DOMAIN.md): when, how precisely, who, on what basis."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from domain.errors import FutureDate, InvalidValue
from domain.rules import plain
from domain.vocabulary import BASES, PRECISIONS, ROLES, SENSITIVITIES

MAX_ATTACHMENTS = 50
# An attached file: its digest alone (entries written before files were stored), or what
# is known of the stored file, bound into the entry's leaf with it.
Attachment = str | dict[str, Any]
ATTACHMENT_KEYS = {"sha256", "name", "media_type", "size"}
MEDIA_TYPE = re.compile(r"[a-z]+/[a-z0-9.+-]{1,100}")


def _is_digest(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )


def attachment_digest(attachment: Attachment) -> str:
    """The SHA-256 of an attached file, whichever form the entry holds."""
    return attachment if isinstance(attachment, str) else str(attachment["sha256"])


def check_attachment(attachment: Attachment) -> None:
    """A digest, or {sha256, name, media_type, size} of a stored file."""
    if isinstance(attachment, str):
        if not _is_digest(attachment):
            raise InvalidValue(
                "attachments must be lower-case hex SHA-256 digests", field="attachments"
            )
        return
    if not isinstance(attachment, dict) or set(attachment) != ATTACHMENT_KEYS:
        raise InvalidValue(
            "attachments: each is a digest or {sha256, name, media_type, size}",
            field="attachments",
        )
    name, size, media = attachment["name"], attachment["size"], attachment["media_type"]
    if not _is_digest(attachment["sha256"]):
        raise InvalidValue(
            "attachments.sha256 must be a lower-case hex SHA-256", field="attachments"
        )
    if not isinstance(name, str) or not 1 <= len(name) <= 200:
        raise InvalidValue("attachments.name must be 1-200 characters", field="attachments")
    plain(name, "attachments.name")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise InvalidValue("attachments.size must be a whole number of bytes", field="attachments")
    if not isinstance(media, str) or not MEDIA_TYPE.fullmatch(media):
        raise InvalidValue("attachments.media_type must be a media type", field="attachments")


@dataclass(frozen=True)
class RecordedBy:
    """Who recorded an event: a user id (never a name), their role and their setting."""

    user: str
    role: str
    setting: str


@dataclass(frozen=True)
class Envelope:
    """When it happened (valid time) and who says so. Record time is set by the store."""

    occurred_at: datetime
    precision: str
    recorded_by: RecordedBy
    basis: str
    sensitivity: str
    attachments: list[Attachment]
    # Where an imported entry came from (source system, file SHA-256, sheet, row, row key,
    # who imported it and when). Optional and keyword-only, so events stored before it
    # existed still decode (they read None) and other entries store nothing extra.
    provenance: dict[str, Any] | None = field(default=None, kw_only=True)

    def as_fields(self) -> dict[str, Any]:
        """The envelope as event keyword arguments (provenance only when there is one)."""
        out = {name: getattr(self, name) for name in _ENVELOPE_NAMES}
        if self.provenance is not None:
            out["provenance"] = self.provenance
        return out

    @property
    def occurred_on(self) -> date:
        """The (UTC) calendar day it happened."""
        return self.occurred_at.astimezone(UTC).date()


# The envelope's fields but provenance, in order (read once: `fields()` on every event was
# a tenth of recording one).
_ENVELOPE_NAMES = tuple(f.name for f in fields(Envelope) if f.name != "provenance")


@dataclass(frozen=True)
class EnvelopeDraft:
    """What a caller supplies; `seal` validates it into an Envelope."""

    occurred_at: datetime | date
    recorded_by: RecordedBy
    basis: str = "fact"
    precision: str | None = None
    sensitivity: str = "normal"
    attachments: Sequence[Attachment] = field(default_factory=list)
    provenance: dict[str, Any] | None = None

    def seal(self, *, now: datetime, skew: timedelta) -> Envelope:
        """Validate against the vocabularies and the clock; normalise to UTC."""
        precision = self.precision
        occurred = self.occurred_at
        if isinstance(occurred, datetime):
            if occurred.tzinfo is None:
                raise InvalidValue("occurred_at must carry a time zone", field="occurred_at")
            occurred = occurred.astimezone(UTC)
            precision = precision or "minute"
        else:
            occurred = datetime.combine(occurred, time(0, 0), tzinfo=UTC)
            precision = precision or "day"
        PRECISIONS.check(precision, field_name="precision")
        if precision == "month":  # a month-only date from an imported source
            occurred = occurred.replace(day=1)
        if precision in ("day", "month"):
            occurred = occurred.replace(hour=0, minute=0, second=0, microsecond=0)
            latest = datetime.combine(now.astimezone(UTC).date(), time(0, 0), tzinfo=UTC)
            if occurred > latest + skew:
                raise FutureDate("occurred_at is after today", field="occurred_at")
        elif occurred > now + skew:
            raise FutureDate(
                f"occurred_at is in the future beyond the allowed clock skew of "
                f"{int(skew.total_seconds())} s",
                field="occurred_at",
            )
        BASES.check(self.basis, field_name="basis")
        SENSITIVITIES.check(self.sensitivity, field_name="sensitivity")
        ROLES.check(self.recorded_by.role, field_name="recorded_by.role")
        for name in ("user", "setting"):
            value = getattr(self.recorded_by, name)
            if not value or len(value) > 100:
                raise InvalidValue(
                    f"recorded_by.{name} must be 1-100 characters", field=f"recorded_by.{name}"
                )
        if len(self.attachments) > MAX_ATTACHMENTS:
            raise InvalidValue(f"at most {MAX_ATTACHMENTS} attachments", field="attachments")
        for attachment in self.attachments:
            check_attachment(attachment)
        if (self.basis == "imported") != (self.provenance is not None):
            raise InvalidValue(
                "an imported entry (basis imported) and only it carries provenance",
                field="provenance",
            )
        return Envelope(
            occurred_at=occurred,
            precision=precision,
            recorded_by=self.recorded_by,
            basis=self.basis,
            sensitivity=self.sensitivity,
            attachments=list(self.attachments),
            provenance=None if self.provenance is None else dict(self.provenance),
        )
