"""/v1/children: the children a user may see, and registering a child
(the use cases are api/services/children.py)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from api import name_search
from api.deps import ServicesDep, UserDep, log_read, permit, role_action, visible_child
from api.errors import documented
from api.services.children import (
    ChildCreate,
    ChildList,
    ChildSummary,
    Created,
    children_for,
    register,
    summary_of,
)

router = APIRouter(tags=["children"], responses=documented(401))


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
    return children_for(
        svc,
        user,
        name=q or "",
        sen_status=sen_status,
        status=status,
        limit=limit,
        offset=offset,
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
    return register(svc, user, body)


@router.get(
    "/children/{child_id}",
    response_model=ChildSummary,
    responses=documented(404, 410, 422),
    summary="One child",
    openapi_extra={"x-permission": "read.record"},
)
def get_child(child_id: UUID, svc: ServicesDep, user: UserDep) -> ChildSummary:
    child = visible_child(svc, user, child_id)
    permit(user, "read.record")
    log_read(svc, user, child_id, "summary")
    return summary_of(child)
