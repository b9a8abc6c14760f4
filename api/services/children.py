"""The children a user may see, and registering a child."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api import name_search
from api.deps import Services, may_see, permit
from api.schemas import OccurredAt, WorldDay
from api.services.recording import recorded_at
from api.users import User
from domain import commands as cmd
from domain.child import ChildRecord
from domain.envelope import EnvelopeDraft, RecordedBy
from domain.errors import ChildErased


class ChildSummary(BaseModel):
    child_id: UUID
    given_name: str
    family_name: str
    date_of_birth: date | None
    setting_id: str
    status: str
    sen_status: str
    primary_need: str | None
    ehc_stage: str
    version: int


class ChildList(BaseModel):
    children: list[ChildSummary]
    count: int = Field(description="How many children this answer lists.")
    total: int = Field(description="How many children match, on every page.")
    next_offset: int | None = Field(
        default=None, description="Where the next page starts (with `limit`); None after the last."
    )


class ChildCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "given_name": "Ada",
                    "family_name": "Example",
                    "date_of_birth": "2023-03-01",
                    "occurred_at": "2025-09-02",
                }
            ]
        },
    )

    given_name: str = Field(min_length=1, max_length=200)
    family_name: str = Field(min_length=1, max_length=200)
    date_of_birth: WorldDay | None = None
    occurred_at: OccurredAt


class Created(BaseModel):
    child_id: UUID
    version: int
    recorded_at: datetime = Field(description="When the store committed the registration.")


def summary_of(child: ChildRecord) -> ChildSummary:
    """What a list shows of one child."""
    return ChildSummary(
        child_id=child.id,
        given_name=child.given_name,
        family_name=child.family_name,
        date_of_birth=child.date_of_birth,
        setting_id=child.setting_id,
        status=child.status,
        sen_status=child.sen_status,
        primary_need=child.primary_need,
        ehc_stage=child.ehc_stage,
        version=child.version,
    )


def children_for(
    svc: Services,
    user: User,
    *,
    name: str = "",
    sen_status: str | None = None,
    status: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> ChildList:
    """The children `user` may see (staff: their setting; an inspector: those shared with
    their body; a parent: their own) that match, by family then given name, a page at a
    time; each child shown is logged in its access log (view `list`), never the words
    searched for."""
    permit(user, "read.children")
    found = matching_children(svc, user, name=name, sen_status=sen_status, status=status)
    end = len(found) if limit is None else min(len(found), offset + limit)
    shown = found[offset:end]
    log_listed(svc, user, shown)
    return ChildList(
        children=shown,
        count=len(shown),
        total=len(found),
        next_offset=end if end < len(found) else None,
    )


def matching_children(
    svc: Services,
    user: User,
    *,
    name: str = "",
    sen_status: str | None = None,
    status: str | None = None,
) -> list[ChildSummary]:
    """The children `user` may see that match, by family then given name. Not logged: the
    caller logs the children it shows (`log_listed`)."""
    found = [
        summary_of(child)
        for child in visible_children(svc, user)
        if not (sen_status and child.sen_status != sen_status)
        and not (status and child.status != status)
        and not (name and not name_search.matches(name, child.given_name, child.family_name))
    ]
    return sorted(found, key=by_name)


def by_name(child: ChildSummary) -> tuple[str, str, str]:
    """The order children are listed in: family name, then given name (any case or accent)."""
    return (
        name_search.folded(child.family_name),
        name_search.folded(child.given_name),
        str(child.child_id),
    )


def log_listed(svc: Services, user: User, shown: list[ChildSummary]) -> None:
    """Names, dates of birth and needs are personal data: a list read is logged on each
    child shown (ids only, never the words searched for), in one transaction, as every
    read of one child is."""
    log_shown(svc, user, [c.child_id for c in shown], "list")


def log_shown(svc: Services, user: User, child_ids: list[UUID], view: str) -> None:
    """One read of `view` in the access log of each child a list or summary shows, all in
    one transaction (ids only)."""
    svc.records.note_list_access(
        child_ids, user=user.user_id, role=user.role, setting=user.setting_id, view=view
    )


def visible_children(svc: Services, user: User) -> Iterator[ChildRecord]:
    """Every child `user` may see, in registration order (not logged: the caller logs
    what it shows)."""
    for child_id in svc.records.child_ids():
        if user.role == "parent" and str(child_id) != user.child_id:
            continue
        try:
            child = svc.records.get_child(child_id, read_only=True)
        except ChildErased:
            continue  # erased since the ids were listed
        if may_see(user, child):
            yield child


def register(svc: Services, user: User, body: ChildCreate) -> Created:
    """Open a record in the user's own setting (SENCO or admin)."""
    permit(user, "child.register")
    child_id = svc.records.register(
        cmd.RegisterChild(
            given_name=body.given_name,
            family_name=body.family_name,
            date_of_birth=body.date_of_birth,
            setting_id=user.setting_id,
        ),
        EnvelopeDraft(body.occurred_at, RecordedBy(user.user_id, user.role, user.setting_id)),
    )
    return Created(child_id=child_id, version=1, recorded_at=recorded_at(svc, child_id, 1))
