"""Group work in one form: a session for every child of a provision's group, attendance
for a whole class. Each child's entry goes into its own record; the form is stored all
together or not at all, and the page says per child what happened."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.deps import Services, ServicesDep, permit
from api.services.children import (
    ChildSummary,
    by_name,
    children_for,
    log_listed,
    summary_of,
    visible_children,
)
from api.services.groups import (
    ClassAttendanceIn,
    GroupOutcome,
    GroupSessionIn,
    class_attendance,
    group_session,
)
from api.web.forms import FormState, typed
from api.web.render import page
from api.web.session import CheckedForm, Visitor, VisitorDep

router = APIRouter(include_in_schema=False)


def _groups(svc: Services, who: Visitor) -> dict[str, list[ChildSummary]]:
    """The running provisions of the setting's children, each with its children."""
    found: dict[str, list[ChildSummary]] = {}
    shown = []
    # Each child read once: the records the listing itself loads carry their provisions.
    for child in visible_children(svc, who.user):
        if child.status != "active":
            continue
        summary = summary_of(child)
        shown.append(summary)
        for provision_id, row in child.provisions.items():
            if row.get("end_date") is None:
                found.setdefault(provision_id, []).append(summary)
    log_listed(svc, who.user, sorted(shown, key=by_name))
    return {p: sorted(children, key=by_name) for p, children in sorted(found.items())}


def _description(svc: Services, children: list[ChildSummary], provision_id: str) -> str:
    rows = svc.views.view("provision-map", children[0].child_id)["provisions"]
    return next(
        (str(r["description"]) for r in rows if r["provision_id"] == provision_id), provision_id
    )


@router.get("/group-session")
def group_form(
    request: Request, svc: ServicesDep, who: VisitorDep, provision: str = ""
) -> Response:
    """Choose a provision, then mark each child of its group delivered or missed."""
    permit(who.user, "record.session")
    return _group_page(request, svc, who, provision, FormState(), None)


def _group_page(
    request: Request,
    svc: Services,
    who: Visitor,
    provision: str,
    state: FormState,
    outcome: GroupOutcome | None,
    *,
    status: int = 200,
) -> Response:
    groups = _groups(svc, who)
    chosen = groups.get(provision, [])
    today = svc.records.clock().date().isoformat()
    names = {str(c.child_id): f"{c.given_name} {c.family_name}" for c in chosen}
    return page(
        request,
        "group_session.html",
        {
            "title": "Group session",
            "groups": [(p, _description(svc, cs, p), len(cs)) for p, cs in groups.items()],
            "provision": provision if chosen else "",
            "description": _description(svc, chosen, provision) if chosen else "",
            "children": chosen,
            "names": names,
            "s": state,
            "today": state.value("session_date", today),
            "outcome": outcome,
            "saved": request.query_params.get("saved", ""),
        },
        status=status,
    )


@router.post("/group-session")
def group_record(
    request: Request, svc: ServicesDep, who: VisitorDep, posted: CheckedForm
) -> Response:
    """All the group's sessions in one transaction, or none (with each child's problem)."""
    permit(who.user, "record.session")
    state = FormState(values=typed(posted))
    provision = state.value("provision_id")
    chosen = _groups(svc, who).get(provision, [])
    entries: list[dict[str, Any]] = []
    for child in chosen:
        key = str(child.child_id)
        done = state.value(f"{key}.done")
        if done == "delivered":
            entries.append(
                {
                    "child_id": key,
                    "delivered": True,
                    "minutes": _int(state.value(f"{key}.minutes") or state.value("minutes")),
                    "notes": state.value(f"{key}.notes"),
                }
            )
        elif done == "missed":
            reason = state.value(f"{key}.reason").strip() or None
            entries.append({"child_id": key, "delivered": False, "reason": reason})
    if not entries:
        state.add(None, "Mark at least one child as delivered or missed")
        return _group_page(request, svc, who, provision, state, None, status=422)
    try:
        body = GroupSessionIn.model_validate(
            {
                "provision_id": provision,
                "session_date": state.value("session_date"),
                "entries": entries,
            }
        )
    except ValidationError as error:
        _problems(error, entries, state, {str(c.child_id): c for c in chosen})
        return _group_page(request, svc, who, provision, state, None, status=422)
    outcome = group_session(svc, who.user, body)
    if not outcome.stored:
        return _group_page(request, svc, who, provision, state, outcome, status=422)
    return RedirectResponse(
        f"/group-session?provision={provision}&saved={len(outcome.results)}", status_code=303
    )


@router.get("/class-attendance")
def attendance_form(request: Request, svc: ServicesDep, who: VisitorDep) -> Response:
    """Sessions possible and attended over one period, for every child of the setting."""
    permit(who.user, "record.attendance")
    return _attendance_page(request, svc, who, FormState(), None)


def _attendance_page(
    request: Request,
    svc: Services,
    who: Visitor,
    state: FormState,
    outcome: GroupOutcome | None,
    *,
    status: int = 200,
) -> Response:
    children = children_for(svc, who.user, status="active").children
    return page(
        request,
        "class_attendance.html",
        {
            "title": "Class attendance",
            "children": children,
            "names": {str(c.child_id): f"{c.given_name} {c.family_name}" for c in children},
            "s": state,
            "today": svc.records.clock().date().isoformat(),
            "outcome": outcome,
            "saved": request.query_params.get("saved", ""),
        },
        status=status,
    )


@router.post("/class-attendance")
def attendance_record(
    request: Request, svc: ServicesDep, who: VisitorDep, posted: CheckedForm
) -> Response:
    """Everyone's attendance in one transaction, or none."""
    permit(who.user, "record.attendance")
    state = FormState(values=typed(posted))
    entries = []
    for child in children_for(svc, who.user, status="active").children:
        key = str(child.child_id)
        possible, attended = state.value(f"{key}.possible"), state.value(f"{key}.attended")
        if possible.strip() or attended.strip():
            entries.append(
                {
                    "child_id": key,
                    "sessions_possible": _int(possible),
                    "sessions_attended": _int(attended),
                }
            )
    if not entries:
        state.add(None, "Give sessions possible and attended for at least one child")
        return _attendance_page(request, svc, who, state, None, status=422)
    try:
        body = ClassAttendanceIn.model_validate(
            {
                "occurred_at": state.value("period_end") or date.today().isoformat(),
                "period_start": state.value("period_start"),
                "period_end": state.value("period_end"),
                "entries": entries,
            }
        )
    except ValidationError as error:
        known = {str(c.child_id): c for c in children_for(svc, who.user, status="active").children}
        _problems(error, entries, state, known)
        return _attendance_page(request, svc, who, state, None, status=422)
    outcome = class_attendance(svc, who.user, body)
    if not outcome.stored:
        return _attendance_page(request, svc, who, state, outcome, status=422)
    return RedirectResponse(f"/class-attendance?saved={len(outcome.results)}", status_code=303)


def _problems(
    error: ValidationError,
    entries: list[dict[str, Any]],
    state: FormState,
    children: dict[str, ChildSummary],
) -> None:
    """Every problem at once, each naming the child (by name) and the field it is about."""
    for detail in error.errors(include_input=False, include_url=False):
        where = [str(p) for p in detail["loc"]]
        if len(where) >= 3 and where[0] == "entries" and where[1].isdigit():
            child = children.get(str(entries[int(where[1])]["child_id"]))
            who = f"{child.given_name} {child.family_name}" if child else "A child"
            state.add(None, f"{who}: {where[2].replace('_', ' ')}: {detail['msg']}")
        else:
            state.add(where[-1], f"{where[-1].replace('_', ' ').capitalize()}: {detail['msg']}")


def _int(text: str) -> Any:
    """A whole number as an int; anything else as typed (the model names the field)."""
    value = text.strip()
    return int(value) if value.isdigit() and len(value) < 7 else (value or None)
