"""/v1/dashboard: the cohort read models of the user's own setting (caught up on read)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, cast

from fastapi import APIRouter, Query

from api.deps import ServicesDep, UserDep, permit
from api.errors import documented
from api.schemas import WorldDay
from ledger.log import LedgerBackend
from projections.cohort import CohortProjection
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
    without parent notification, EHC deadlines due within `days`, cost by funding source.
    Ids, codes, dates and amounts only: no names."""
    permit(user, "read.dashboard")
    cohort = _cohort(svc)
    day = today or svc.records.clock().date()
    setting = user.setting_id
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
        "cost_by_funding_source": _rows(cohort.cost_by_funding_source(setting_id=setting)),
    }
