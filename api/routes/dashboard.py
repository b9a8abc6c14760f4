"""/v1/dashboard: the cohort read models of the user's own setting (caught up on read)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, cast
from uuid import UUID

from fastapi import APIRouter, Query

from api.deps import ServicesDep, UserDep, may_see, permit
from api.errors import documented
from api.schemas import WorldDay
from domain.errors import ChildNotFound
from ledger.log import LedgerBackend
from projections.cohort import CohortAsOf, CohortProjection
from projections.cohort_queries import CohortQuestions
from projections.jsonable import jsonable

router = APIRouter(tags=["dashboard"], responses=documented(401))


def _cohort(svc: Any) -> CohortProjection:
    cohort = CohortProjection(svc.records, cast(LedgerBackend, svc.records.recorder))
    cohort.catch_up()
    return cohort


def _rows(items: list[Any]) -> list[dict[str, Any]]:
    return [jsonable(dataclasses.asdict(item)) for item in items]


@router.get(
    "/dashboard",
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
    permit(user, "read.dashboard")
    cohort = _cohort(svc)
    now = svc.records.clock().date()
    day = today or now
    setting = user.setting_id
    # `today` in the past: the cohort as it stood then, not today's tables read at a date.
    answers = cohort if day >= now else cohort.as_of(day)
    try:
        found = board(answers, day, setting, days)
    finally:
        if isinstance(answers, CohortAsOf):
            answers.close()
    if user.role == "inspector":
        return _shared_only(svc, user, found)
    return found


def board(cohort: CohortQuestions, day: Any, setting: str, days: int) -> dict[str, Any]:
    """The dashboard of one setting at `day` (`cohort` as it stood then)."""
    return {
        "setting_id": setting,
        "today": day.isoformat(),
        "by_status_and_need": _rows(cohort.by_status_and_need(setting_id=setting)),
        "overdue_reviews": _rows(cohort.overdue_reviews(day, setting_id=setting)),
        "high_concern_without_plan": _rows(cohort.high_concern_without_plan(setting_id=setting)),
        "plans_without_parent_notification": _rows(
            cohort.plans_without_parent_notification(setting_id=setting)
        ),
        "ehc_deadlines_due": _rows(cohort.ehc_deadlines_due(day, days=days, setting_id=setting)),
        "provisions_past_planned_end": _rows(
            cohort.provisions_past_planned_end(day, setting_id=setting)
        ),
        "cost_by_funding_source": _rows(cohort.cost_by_funding_source(setting_id=setting)),
    }


AGGREGATES = ("by_status_and_need", "cost_by_funding_source")


def _shared_only(svc: Any, user: Any, found: dict[str, Any]) -> dict[str, Any]:
    """An inspector's dashboard: only the rows of children shared with their body, and no
    setting-wide totals (they would count children not shared)."""
    seen: dict[str, bool] = {}

    def shared(child_id: str) -> bool:
        if child_id not in seen:
            try:
                child = svc.records.get_child(UUID(child_id), read_only=True)
            except ChildNotFound:
                seen[child_id] = False
            else:
                seen[child_id] = may_see(user, child)
        return seen[child_id]

    for key, rows in found.items():
        if key in AGGREGATES:
            found[key] = []
        elif isinstance(rows, list):
            found[key] = [r for r in rows if shared(str(r["child_id"]))]
    return found
