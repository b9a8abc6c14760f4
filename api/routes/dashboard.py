"""/v1/dashboard: the cohort read models of the user's own setting
(the use case is api/services/dashboard.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api import view_models as vm
from api.deps import ServicesDep, UserDep
from api.errors import documented
from api.schemas import WorldDay
from api.services.dashboard import dashboard as cohort_dashboard
from api.services.inbox import inbox

router = APIRouter(tags=["dashboard"], responses=documented(401))


@router.get(
    "/dashboard",
    response_model=vm.Dashboard,
    responses=documented(403, 422),
    summary="Cohort dashboard of your setting",
    openapi_extra={"x-permission": "read.dashboard"},
)
def dashboard(
    svc: ServicesDep,
    user: UserDep,
    today: Annotated[
        WorldDay | None, Query(description="Default: today (1900-01-01 to 2999-12-31).")
    ] = None,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> dict[str, Any]:
    """Overdue reviews, children by SEN status and need, high concern without a plan, plans
    without parent notification, EHC deadlines due within `days`, provisions past their
    planned end with no end recorded (for review), cost by funding source. At a past
    `today`, every answer uses only what had happened by then. Ids, codes, dates and
    amounts only: no names."""
    return cohort_dashboard(svc, user, today=today, days=days)


@router.get(
    "/inbox",
    response_model=vm.Inbox,
    responses=documented(403, 422),
    summary="What needs your attention",
    openapi_extra={"x-permission": "read.dashboard"},
)
def inbox_route(
    svc: ServicesDep,
    user: UserDep,
    soon: Annotated[int, Query(ge=1, le=365, description="EHC deadlines within N days.")] = 30,
    room: Annotated[
        str | None, Query(max_length=200, description="Only children in this room or class.")
    ] = None,
    key_person: Annotated[
        str | None, Query(max_length=200, description="Only children with this key person.")
    ] = None,
) -> dict[str, Any]:
    """By child: a parent's dispute or view and a consent withdrawn since you last looked at
    the record, an overdue review, outcomes past their target date, provision past its
    planned end, EHC deadlines overdue or due soon; each with where it is dealt with.
    `room` and `key_person` filter by the children's latest placement (`rooms` and
    `key_people` list what there is to choose from)."""
    return inbox(svc, user, soon=soon, room=room, key_person=key_person)
