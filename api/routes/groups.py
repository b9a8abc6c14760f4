"""Group writes: one session for a provision's group, a class's attendance (the use cases
are api/services/groups.py). All or nothing per submission, with a result per child."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ServicesDep, UserDep, role_action
from api.errors import PROBLEM, documented
from api.schemas import Problem
from api.services.groups import (
    ClassAttendanceIn,
    GroupOutcome,
    GroupSessionIn,
    class_attendance,
    group_session,
)

router = APIRouter(tags=["records"], responses=documented(401))
REFUSED: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "At least one child's entry was refused: nothing was stored; "
        "`results` names each refused child's field and rule (application/json). A body "
        "that breaks the schema itself is a problem (application/problem+json).",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/GroupOutcome"}},
            PROBLEM: {"schema": Problem.model_json_schema()},
        },
    }
}


def _answer(outcome: GroupOutcome) -> JSONResponse:
    return JSONResponse(outcome.model_dump(mode="json"), status_code=201 if outcome.stored else 422)


@router.post(
    "/group-sessions",
    status_code=201,
    response_model=GroupOutcome,
    responses={**documented(400, 403), **REFUSED},
    summary="Log one session for each child of a provision's group",
    openapi_extra={"x-permission": "record.session"},
    dependencies=[role_action("record.session")],
)
def group_sessions(body: GroupSessionIn, svc: ServicesDep, user: UserDep) -> JSONResponse:
    """Each child gets a SessionDelivered or SessionMissed in its own record; stored in one
    transaction, or nothing is."""
    return _answer(group_session(svc, user, body))


@router.post(
    "/class-attendance",
    status_code=201,
    response_model=GroupOutcome,
    responses={**documented(400, 403), **REFUSED},
    summary="Record attendance over a period for a whole class",
    openapi_extra={"x-permission": "record.attendance"},
    dependencies=[role_action("record.attendance")],
)
def class_attendance_route(
    body: ClassAttendanceIn, svc: ServicesDep, user: UserDep
) -> JSONResponse:
    """Each child gets an AttendanceRecorded in its own record; one transaction, or none."""
    return _answer(class_attendance(svc, user, body))
