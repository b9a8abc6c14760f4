"""/v1/children: the children a user may see, and registering a child."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api import name_search
from api.deps import ServicesDep, UserDep, log_read, may_see, permit, role_action, visible_child
from api.errors import documented
from api.schemas import OccurredAt, WorldDay
from api.users import User
from domain.child import ChildRecord
from domain.envelope import EnvelopeDraft, RecordedBy
from domain.errors import ChildErased

router = APIRouter(tags=["children"], responses=documented(401))


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


def summary(svc: Any, child_id: UUID) -> ChildSummary:
    return _summary(svc.records.get_child(child_id, read_only=True))


def _summary(child: ChildRecord) -> ChildSummary:
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


def visible_children(
    svc: Any,
    user: User,
    *,
    name: str = "",
    sen_status: str | None = None,
    status: str | None = None,
) -> list[ChildSummary]:
    """The children `user` may see that match, by family then given name. Not logged: the
    caller logs the children it shows (`log_listed`)."""
    found = []
    for child_id in svc.records.child_ids():
        if user.role == "parent" and str(child_id) != user.child_id:
            continue
        try:
            child = svc.records.get_child(child_id, read_only=True)
        except ChildErased:
            continue  # erased since the ids were listed
        if not may_see(user, child):
            continue
        if (sen_status and child.sen_status != sen_status) or (status and child.status != status):
            continue
        if name and not name_search.matches(name, child.given_name, child.family_name):
            continue
        found.append(_summary(child))
    return sorted(
        found,
        key=lambda c: (
            name_search.folded(c.family_name),
            name_search.folded(c.given_name),
            str(c.child_id),
        ),
    )


def log_listed(svc: Any, user: User, shown: list[ChildSummary]) -> None:
    """Names, dates of birth and needs are personal data: a list read is logged on each
    child shown (ids only, never the words searched for), in one transaction, as every
    read of one child is."""
    svc.records.note_list_access(
        [c.child_id for c in shown],
        user=user.user_id,
        role=user.role,
        setting=user.setting_id,
        view="list",
    )


@router.get(
    "/children",
    response_model=ChildList,
    responses=documented(422),
    summary="Children you may see",
    openapi_extra={"x-permission": "read.children"},
)
def list_children(
    svc: ServicesDep,
    user: UserDep,
    sen_status: Annotated[str | None, Query(pattern="^[NKE]$")] = None,
    status: Annotated[str | None, Query(pattern="^(active|left)$")] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=name_search.MAX_QUERY,
            description="Only children whose name has every word of this (any case or accent).",
        ),
    ] = None,
    limit: Annotated[
        int | None, Query(ge=1, le=500, description="At most this many children (a page).")
    ] = None,
    offset: Annotated[int, Query(ge=0, description="Skip this many children.")] = 0,
) -> ChildList:
    """Setting-scoped for staff; an inspector sees only children shared with them; a
    parent sees only their own child. Each child listed is logged in its access log
    (view `list`); the words searched for are never logged."""
    permit(user, "read.children")
    found = visible_children(svc, user, name=q or "", sen_status=sen_status, status=status)
    end = len(found) if limit is None else min(len(found), offset + limit)
    shown = found[offset:end]
    log_listed(svc, user, shown)
    return ChildList(
        children=shown,
        count=len(shown),
        total=len(found),
        next_offset=end if end < len(found) else None,
    )


@router.post(
    "/children",
    response_model=Created,
    status_code=201,
    responses=documented(400, 403, 422),
    summary="Register a child",
    openapi_extra={"x-permission": "child.register"},
    dependencies=[role_action("child.register")],
)
def register_child(body: ChildCreate, svc: ServicesDep, user: UserDep) -> Created:
    """Open a record in your own setting (SENCO or admin)."""
    permit(user, "child.register")
    child_id = svc.records.register_child(
        EnvelopeDraft(body.occurred_at, RecordedBy(user.user_id, user.role, user.setting_id)),
        given_name=body.given_name,
        family_name=body.family_name,
        date_of_birth=body.date_of_birth,
        setting_id=user.setting_id,
    )
    return Created(child_id=child_id, version=1)


@router.get(
    "/children/{child_id}",
    response_model=ChildSummary,
    responses=documented(404, 410, 422),
    summary="One child",
    openapi_extra={"x-permission": "read.record"},
)
def get_child(child_id: UUID, svc: ServicesDep, user: UserDep) -> ChildSummary:
    visible_child(svc, user, child_id)
    permit(user, "read.record")
    log_read(svc, user, child_id, "summary")
    return summary(svc, child_id)
