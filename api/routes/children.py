"""/v1/children: the children a user may see, and registering a child."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ServicesDep, UserDep, log_read, may_see, permit, role_action, visible_child
from api.errors import documented
from api.schemas import OccurredAt, WorldDay
from domain import commands as cmd
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
    count: int


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
    child = svc.records.get_child(child_id)
    return ChildSummary(
        child_id=child_id,
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
) -> ChildList:
    """Setting-scoped for staff; an inspector sees only children shared with them; a
    parent sees only their own child. Each child listed is logged in its access log
    (view `list`)."""
    permit(user, "read.children")
    found = []
    for child_id in svc.records.child_ids():
        if user.role == "parent" and str(child_id) != user.child_id:
            continue
        try:
            child = svc.records.get_child(child_id)
        except ChildErased:
            continue  # erased since the ids were listed
        if not may_see(user, child):
            continue
        if (sen_status and child.sen_status != sen_status) or (status and child.status != status):
            continue
        found.append(summary(svc, child_id))
    # Names, dates of birth and needs are personal data: the list read is logged on each
    # child shown (ids only), in one transaction, as every read of one child is.
    svc.records.note_list_access(
        [c.child_id for c in found],
        user=user.user_id,
        role=user.role,
        setting=user.setting_id,
        view="list",
    )
    return ChildList(children=found, count=len(found))


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
    child_id = svc.records.register(
        cmd.RegisterChild(
            given_name=body.given_name,
            family_name=body.family_name,
            date_of_birth=body.date_of_birth,
            setting_id=user.setting_id,
        ),
        EnvelopeDraft(body.occurred_at, RecordedBy(user.user_id, user.role, user.setting_id)),
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
