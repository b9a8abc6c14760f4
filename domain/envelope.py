"""The envelope every event carries (DOMAIN.md): when, how precisely, who, on what basis."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from domain.errors import FutureDate, InvalidValue
from domain.vocabulary import BASES, PRECISIONS, ROLES, SENSITIVITIES

MAX_ATTACHMENTS = 50


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
    attachments: list[str]

    def as_fields(self) -> dict[str, Any]:
        """The envelope as event keyword arguments."""
        return {f.name: getattr(self, f.name) for f in fields(Envelope)}

    @property
    def occurred_on(self) -> date:
        """The (UTC) calendar day it happened."""
        return self.occurred_at.astimezone(UTC).date()


@dataclass(frozen=True)
class EnvelopeDraft:
    """What a caller supplies; `seal` validates it into an Envelope."""

    occurred_at: datetime | date
    recorded_by: RecordedBy
    basis: str = "fact"
    precision: str | None = None
    sensitivity: str = "normal"
    attachments: list[str] = field(default_factory=list)

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
        if precision == "day":
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
        for digest in self.attachments:
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise InvalidValue(
                    "attachments must be lower-case hex SHA-256 digests", field="attachments"
                )
        return Envelope(
            occurred_at=occurred,
            precision=precision,
            recorded_by=self.recorded_by,
            basis=self.basis,
            sensitivity=self.sensitivity,
            attachments=list(self.attachments),
        )
