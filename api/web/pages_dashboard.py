"""The cohort dashboard of the user's own setting, with the children's names."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import ServicesDep
from api.services.dashboard import dashboard as cohort_dashboard
from api.web.reads import day_asked
from api.web.render import page
from api.web.session import VisitorDep
from domain.errors import ChildNotFound

router = APIRouter(include_in_schema=False)
LISTS = (
    "overdue_reviews",
    "high_concern_without_plan",
    "plans_without_parent_notification",
    "ehc_deadlines_due",
    "provisions_past_planned_end",
)


@router.get("/dashboard")
def dashboard(request: Request, svc: ServicesDep, who: VisitorDep, today: str = "") -> Response:
    """Overdue reviews, EHC deadlines, high concern without a plan (SENCO, admin,
    inspector: the same roles as GET /v1/dashboard); `?today=YYYY-MM-DD` shows the cohort
    as it stood on that date, using only what had happened by then."""
    day, problem = day_asked(today)
    board = cohort_dashboard(svc, who.user, today=day, days=30)
    names: dict[str, str] = {}
    for key in (*LISTS, "caseload"):
        for row in board.get(key, []):
            names.setdefault(row["child_id"], _name(svc, row["child_id"]))
    # Settings by their names where the record knows them (a setting id is not for people).
    settings = {row.get("setting_id") for row in board.get("caseload", [])}
    return page(
        request,
        "dashboard.html",
        {
            "title": "Cohort dashboard",
            "board": board,
            "asked_day": today if problem else (day.isoformat() if day else ""),
            "day_problem": problem,
            "names": names,
            "setting_names": {s: _setting_name(svc, s) for s in settings if s},
        },
    )


def _name(svc: ServicesDep, child_id: str) -> str:
    try:
        child = svc.records.get_child(UUID(child_id), read_only=True)
    except ChildNotFound:  # erased since the read model was caught up
        return "(record erased)"
    return f"{child.given_name} {child.family_name}"


def _setting_name(svc: ServicesDep, setting_id: str) -> str:
    """A setting as people call it: its display name if configured, else its id in words."""
    configured = getattr(svc.settings, "setting_names", {}) or {}
    return str(configured.get(setting_id) or setting_id.replace("-", " ").capitalize())
