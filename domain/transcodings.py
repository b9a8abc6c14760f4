"""JSON transcodings for the value types our events carry."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.persistence import Transcoding

from domain.envelope import RecordedBy


class DateAsISO(Transcoding):
    """`datetime.date` as 'YYYY-MM-DD'."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class RecordedByAsDict(Transcoding):
    """`RecordedBy` as {user, role, setting}."""

    type = RecordedBy
    name = "recorded_by"

    def encode(self, obj: RecordedBy) -> dict[str, str]:
        return {"user": obj.user, "role": obj.role, "setting": obj.setting}

    def decode(self, data: dict[str, Any]) -> RecordedBy:
        return RecordedBy(user=data["user"], role=data["role"], setting=data["setting"])
