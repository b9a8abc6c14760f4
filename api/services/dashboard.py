"""A setting's cohort dashboard, from the cohort read models (caught up on read)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any, cast
from uuid import UUID

from api.deps import Services, may_see, permit
from api.services.children import log_shown, visible_children
from api.users import User
from domain.errors import ChildNotFound
from ledger.log import LedgerBackend
from projections.cohort import CohortAsOf, CohortProjection
from projections.cohort_queries import CohortQuestions
from projections.jsonable import jsonable

AGGREGATES = ("by_status_and_need", "cost_by_funding_source")


def dashboard(svc: Services, user: User, *, today: date | None, days: int) -> dict[str, Any]:
    """Overdue reviews, children by SEN status and need, high concern without a plan, plans
    without parent notification, EHC deadlines due within `days`, cost by funding source
    (ids, codes, dates and amounts only: no names). An inspector sees only the rows of
    children shared with their body."""
    permit(user, "read.dashboard")
    cohort = CohortProjection(svc.records, cast(LedgerBackend, svc.records.recorder))
    cohort.catch_up()
    now = svc.records.clock().date()
    day = today or now
    # `today` in the past: the cohort as it stood then, not today's tables read at a date.
    answers = cohort if day >= now else cohort.as_of(day)
    try:
        if user.role != "inspector":
            return board(answers, day, user.setting_id, days)
        # An LA caseworker's (or inspector's) caseload spans every setting sharing with
        # their body: the rows of those children only, whichever setting they are in.
        found = _shared_only(svc, user, board(answers, day, None, days))
    finally:
        if isinstance(answers, CohortAsOf):
            answers.close()
    found["setting_id"] = None
    found["caseload"] = caseload(svc, user, day)
    return found


def caseload(svc: Services, user: User, day: date) -> list[dict[str, Any]]:
    """Each child shared with the user's body, across settings: its setting, EHC stage,
    the next statutory step and readiness (hints met of all); each read is logged."""
    rows = []
    for child in visible_children(svc, user):
        ehc = svc.views.view("ehc-timeline", child.id, as_of=day)
        ready = svc.views.view("readiness", child.id, as_of=day)
        pending = [
            step
            for step in (ehc.get("current") or {}).get("steps", [])
            if step.get("state") == "pending"
        ]
        rows.append(
            {
                "child_id": str(child.id),
                "setting_id": child.setting_id,
                "ehc_stage": child.ehc_stage,
                "request_date": (ehc.get("current") or {}).get("request_date"),
                "next_step": pending[0]["step"] if pending else None,
                "next_due": pending[0]["due"] if pending else None,
                "readiness_applies": ready.get("applies", True),
                "readiness_met": ready.get("met"),
                "readiness_total": ready.get("total"),
            }
        )
    log_shown(svc, user, [UUID(r["child_id"]) for r in rows], "la-caseload")
    return sorted(rows, key=lambda r: (r["next_due"] is None, r["next_due"] or ""))


def _rows(items: list[Any]) -> list[dict[str, Any]]:
    return [jsonable(dataclasses.asdict(item)) for item in items]


def board(cohort: CohortQuestions, day: Any, setting: str | None, days: int) -> dict[str, Any]:
    """The dashboard of one setting (None: of every setting) at `day` (`cohort` as it
    stood then)."""
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
