"""A child's pages: the list of children, the overview (support plan, readiness, EHC
timeline, export), the chronology and the costed provision map, each at any as-of date."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api import la_requests
from api.deps import STAFF, Services, ServicesDep
from api.permissions import actions_of, allows
from api.routes.children import list_children
from api.web.forms import FormState
from api.web.provision_chart import cost_per_term_chart
from api.web.reads import Times, read, times
from api.web.render import page
from api.web.session import Visitor, VisitorDep
from domain.child import ChildRecord
from exporters.report import readable_chronology

router = APIRouter(include_in_schema=False)

# Confirmations after a write (post/redirect/get): fixed texts, chosen by a code.
SAVED = {
    "observation": "Observation saved",
    "discussion": "Discussion outcome saved",
    "session": "Session saved",
    "review": "Review saved",
    "parent-view": "Your view was added to the record",
    "dispute": "Your comment was added beside the entry",
}
# Kinds a parent can sensibly dispute: the setting's statements, not the record's plumbing.
NOT_DISPUTABLE = frozenset({"EntryDisputed", "RecordCorrected", "EvidenceBundleExported"})
EHC_STAGES = {
    "none": "No EHC request",
    "requested": "EHC needs assessment requested",
    "assessing": "The local authority is assessing",
    "refused": "The local authority decided not to assess",
    "draft": "Draft EHC plan issued",
    "plan": "EHC plan issued",
    "not_issued": "The local authority decided not to issue a plan",
}


def _saved(request: Request) -> str | None:
    message = SAVED.get(request.query_params.get("saved", ""))
    version = request.query_params.get("v", "")
    if message and version.isdigit() and len(version) < 10:
        return f"{message} (entry {int(version)})."
    return f"{message}." if message else None


def heading(plan: dict[str, Any]) -> dict[str, Any]:
    """The heading's status line from the plan view the page was read at: at a past date,
    the status, need, EHC stage and whether the child had left are those of that date."""
    status, stage = plan["sen_status"], plan["ehc_stage"]
    return {
        "sen_status": status["status"],
        "primary_need": status["primary_need"],
        "ehc_stage": EHC_STAGES.get(stage, stage.replace("_", " ")),
        "left": plan["child"].get("status") == "left",
    }


def child_context(
    request: Request, who: Visitor, child: ChildRecord, when: Times, tab: str, plan: dict[str, Any]
) -> dict[str, Any]:
    """What every page of one child shows around its own content (`plan`: the plan view
    read at the page's times, for the heading)."""
    name = f"{child.given_name} {child.family_name}"
    return {
        "title": f"{name}: {tab}",
        "child": child,
        "child_id": str(child.id),
        "child_name": name,
        "heading": heading(plan),
        "when": when,
        "tab": tab,
        "saved": _saved(request),
        "role": who.role,
        "is_staff": who.role in STAFF,
        "is_parent": who.role == "parent",
        "may_export": allows(who.role, "export.bundle"),
        "can": actions_of(who.role),
    }


@router.get("/children")
def children(request: Request, svc: ServicesDep, who: VisitorDep) -> Response:
    """The children of your setting (a parent goes straight to their own child)."""
    if who.role == "parent":
        return RedirectResponse(f"/children/{who.user.child_id}", status_code=303)
    listed = list_children(svc, who.user)
    return page(
        request,
        "children.html",
        {
            "title": "Children",
            "children": listed.children,
            "is_staff": who.role in STAFF,
            "can": actions_of(who.role),
        },
    )


def export_defaults(svc: Services, when: Times) -> FormState:
    """The export form as the page shows it: the record as of the page's own date."""
    day = when.as_of or svc.records.clock().date()
    return FormState(values={"as_of": day.isoformat()})


def overview_page(
    request: Request,
    svc: Services,
    who: Visitor,
    child_id: UUID,
    *,
    export: FormState | None = None,
    status: int = 200,
) -> Response:
    when = times(request)
    child, views = read(svc, who.user, child_id, ("plan", "readiness", "ehc-timeline"), when)
    context = child_context(request, who, child, when, "Overview", views["plan"])
    return page(
        request,
        "child.html",
        {
            **context,
            "plan": views["plan"],
            "readiness": views["readiness"],
            "ehc": views["ehc-timeline"],
            "export": export or export_defaults(svc, when),
            "la_choices": la_requests.choices(svc.settings),
        },
        status=status,
    )


@router.get("/children/{child_id}")
def overview(child_id: UUID, request: Request, svc: ServicesDep, who: VisitorDep) -> Response:
    """The child's support plan, readiness hints and EHC timeline."""
    return overview_page(request, svc, who, child_id)


@router.get("/children/{child_id}/chronology")
def chronology(child_id: UUID, request: Request, svc: ServicesDep, who: VisitorDep) -> Response:
    """Every entry in the order it happened, as a sentence, with both times."""
    when = times(request)
    child, views = read(
        svc,
        who.user,
        child_id,
        ("chronology", "plan", "provision-map"),
        when,
        logged=("chronology",),
    )
    rows = readable_chronology(views)
    viewed_by = svc.records.accesses(child_id)[-20:] if allows(who.role, "read.access_log") else []
    return page(
        request,
        "chronology.html",
        {
            **child_context(request, who, child, when, "Chronology", views["plan"]),
            "rows": list(reversed(rows)),
            "late": views["chronology"]["late_entries"],
            "withheld": views["chronology"]["withheld"],
            "viewed_by": list(reversed(viewed_by)),
            "not_disputable": NOT_DISPUTABLE,
        },
    )


@router.get("/children/{child_id}/provision-map")
def provision_map(child_id: UUID, request: Request, svc: ServicesDep, who: VisitorDep) -> Response:
    """The costed provision map, with cost per term drawn over time."""
    when = times(request)
    child, views = read(
        svc, who.user, child_id, ("provision-map", "plan"), when, logged=("provision-map",)
    )
    pmap = views["provision-map"]
    per_term = pmap["totals"]["per_term"]
    chart = (
        cost_per_term_chart(per_term, title="Cost of provision per school term, in pounds")
        if per_term
        else None
    )
    return page(
        request,
        "provision_map.html",
        {
            **child_context(request, who, child, when, "Provision map", views["plan"]),
            "pmap": pmap,
            "chart": chart,
        },
    )
