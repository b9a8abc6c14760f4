"""Group work: one session for a provision's whole group, and a class's attendance over a
period, in one submission. Each child gets its own event in its own record (and its own
ledger leaf); the submission is stored in one transaction or not at all, and the answer
says, per child, what was stored or which rule refused it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api import schemas as s
from api.catalogue import BY_SLUG, WriteKind
from api.deps import Services, permit, recorder, visible_child
from api.users import User
from domain import commands as cmd
from domain.application import Together
from domain.envelope import EnvelopeDraft
from domain.errors import ChildNotFound, DomainError, GroupRefused, InvalidValue

MAX_GROUP = 60


class GroupSessionEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    child_id: UUID
    expected_version: s.Version | None = Field(
        default=None, description="The child's record version, if the caller knows it."
    )
    delivered: bool
    minutes: int | None = Field(default=None, strict=True, ge=1, le=600)
    notes: s.OptionalLongText = ""
    reason: s.ShortText | None = None


class GroupSessionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "provision_id": "prov-talk",
                    "session_date": "2025-03-10",
                    "entries": [
                        {
                            "child_id": "3f2c9a4e-7b1d-4c8e-9a0f-2b6d5e8c1a7f",
                            "delivered": True,
                            "minutes": 20,
                        },
                        {
                            "child_id": "8d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a",
                            "delivered": False,
                            "reason": "Absent",
                        },
                    ],
                }
            ]
        },
    )

    provision_id: s.Ident = Field(description="The provision the group's children share.")
    session_date: s.Day
    entries: list[GroupSessionEntry] = Field(min_length=1, max_length=MAX_GROUP)


class ClassAttendanceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    child_id: UUID
    expected_version: s.Version | None = None
    sessions_possible: int = Field(strict=True, ge=0, le=1000)
    sessions_attended: int = Field(strict=True, ge=0, le=1000)


class ClassAttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    occurred_at: s.OccurredAt
    period_start: s.Day
    period_end: s.Day
    entries: list[ClassAttendanceEntry] = Field(min_length=1, max_length=MAX_GROUP * 5)


class ChildResult(BaseModel):
    child_id: UUID
    status: Literal["stored", "refused", "not_stored"] = Field(
        description="`not_stored`: accepted on its own, but another child's entry was refused."
    )
    version: int | None = None
    field: str | None = None
    rule: str | None = None


class GroupOutcome(BaseModel):
    stored: bool
    results: list[ChildResult]


def group_session(svc: Services, user: User, body: GroupSessionIn) -> GroupOutcome:
    """One session of `provision_id` on `session_date`, for each child of the group."""
    write = BY_SLUG["session"]

    def entry(e: GroupSessionEntry) -> s.Entry:
        return s.SessionIn(
            occurred_at=body.session_date,
            provision_id=body.provision_id,
            session_date=body.session_date,
            delivered=e.delivered,
            minutes=e.minutes,
            notes=e.notes,
            reason=e.reason,
        )

    return _together(
        svc,
        user,
        write,
        [(e.child_id, e.expected_version, partial(entry, e)) for e in body.entries],
    )


def class_attendance(svc: Services, user: User, body: ClassAttendanceIn) -> GroupOutcome:
    """Sessions possible and attended over one period, for each child of a class."""
    write = BY_SLUG["attendance"]
    built: Entries = [
        (
            e.child_id,
            e.expected_version,
            partial(
                s.AttendanceIn,
                occurred_at=body.occurred_at,
                period_start=body.period_start,
                period_end=body.period_end,
                sessions_possible=e.sessions_possible,
                sessions_attended=e.sessions_attended,
            ),
        )
        for e in body.entries
    ]
    return _together(svc, user, write, built)


Entries = list[tuple[UUID, int | None, Callable[[], s.Entry]]]


def _built(make: Callable[[], s.Entry]) -> s.Entry:
    """One child's entry as the single write's model: a rule it breaks is that child's
    refusal (InvalidValue naming the field), not the group's error."""
    try:
        return make()
    except ValidationError as error:
        first = error.errors(include_input=False, include_url=False)[0]
        name = ".".join(str(p) for p in first["loc"]) or "entries"
        raise InvalidValue(f"{name}: {first['msg']}", field=name) from None


def _together(svc: Services, user: User, write: WriteKind, entries: Entries) -> GroupOutcome:
    permit(user, write.action)
    items: list[Together] = []
    early: dict[int, DomainError] = {}
    for i, (child_id, expected, make) in enumerate(entries):
        try:
            child = visible_child(svc, user, child_id)
            body = _built(make)
            command: cmd.Command = write.command_for(body, {})
        except DomainError as error:  # unknown or not yours; a rule of the body itself
            early[i] = (
                error
                if not isinstance(error, ChildNotFound)
                else ChildNotFound("no such child", field="child_id")
            )
            continue
        draft = EnvelopeDraft(body.occurred_at, recorder(user, child))
        items.append((child_id, command, draft, expected))
    if early:
        return _refused(entries, early)
    try:
        versions = svc.records.handle_together(items)
    except GroupRefused as refused:
        return _refused(entries, refused.refusals)
    return GroupOutcome(
        stored=True,
        results=[
            ChildResult(child_id=child_id, status="stored", version=version)
            for (child_id, _, _), version in zip(entries, versions, strict=True)
        ],
    )


def _refused(entries: Entries, refusals: dict[int, DomainError]) -> GroupOutcome:
    return GroupOutcome(
        stored=False,
        results=[
            ChildResult(
                child_id=child_id,
                status="refused" if i in refusals else "not_stored",
                field=refusals[i].field if i in refusals else None,
                rule=refusals[i].message if i in refusals else None,
            )
            for i, (child_id, _, _) in enumerate(entries)
        ],
    )
