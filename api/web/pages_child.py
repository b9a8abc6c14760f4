"""A child's pages: the list of children, the overview (support plan, readiness, EHC
timeline, export), the chronology and the costed provision map, each at any as-of date."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api import la_requests, name_search
from api.catalogue import BY_SLUG, NOT_DISPUTABLE
from api.deps import STAFF, Services, ServicesDep, permit
from api.permissions import actions_of, allows
from api.services.children import log_listed, matching_children
from api.web.chronology_search import (
    ChronologySearch,
    author_choices,
    chronology_search,
    kind_choices,
)
from api.web.forms import FormState
from api.web.paging import Paging, paging
from api.web.provision_chart import cost_per_term_chart
from api.web.reads import Times, read, times
from api.web.render import page
from api.web.session import Visitor, VisitorDep
from domain.child import ChildRecord
from exporters.report import readable_chronology

router = APIRouter(include_in_schema=False)

EHC_STAGES = {
    "none": "No EHC request",
    "requested": "EHC needs assessment requested",
    "assessing": "The local authority is assessing",
    "refused": "The local authority decided not to assess",
    "draft": "Draft EHC plan issued",
    "plan": "EHC plan issued",
    "not_issued": "The local authority decided not to issue a plan",
    "ceased": "The local authority ceased to maintain the EHC plan",
}


def _saved(request: Request) -> str | None:
    code = request.query_params.get("saved", "")
    saved = BY_SLUG.get(code)
    message = "Child added" if code == "child" else saved.saved if saved is not None else None
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


CHILDREN_PER_PAGE = 25


@router.get("/children")
def children(request: Request, svc: ServicesDep, who: VisitorDep) -> Response:
    """The children of your setting, a page at a time, found by name (a parent goes
    straight to their own child). The name searched for is never logged."""
    if who.role == "parent":
        return RedirectResponse(f"/children/{who.user.child_id}", status_code=303)
    permit(who.user, "read.children")
    search = request.query_params.get("q", "").strip()
    error = None
    if len(search) > name_search.MAX_QUERY:
        error = f"Enter at most {name_search.MAX_QUERY} characters of a name"
        search = ""
    found = matching_children(svc, who.user, name=search)
    pages = paging(request, len(found), CHILDREN_PER_PAGE, {"q": search})
    shown = found[pages.offset : pages.offset + pages.size]
    log_listed(svc, who.user, shown)
    return page(
        request,
        "children.html",
        {
            "title": "Children",
            "children": shown,
            "search": search,
            "search_error": error,
            "pages": pages,
            "is_staff": who.role in STAFF,
            "can": actions_of(who.role),
        },
    )


def export_defaults(svc: Services, when: Times) -> FormState:
    """The export form as the page shows it: the record as of the page's own date, with
    the PDF report ticked (the report renders fast enough for long records)."""
    day = when.as_of or svc.records.clock().date()
    return FormState(values={"as_of": day.isoformat(), "pdf": "1"})


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


CHRONOLOGY_PER_PAGE = 25
# What a read of the record was, as the access log on the chronology says it.
VIEW_WORDS = {
    "list": "the list of children",
    "summary": "the child's name and status",
    "plan": "the support plan",
    "chronology": "the chronology",
    "events": "every entry, as data",
    "provision-map": "the provision map",
    "readiness": "the readiness hints",
    "la-readiness": "an LA's expectations",
    "ehc-timeline": "the EHC timeline",
}


def _found(
    request: Request,
    when: Times,
    search: ChronologySearch,
    entries: list[dict[str, Any]],
    *,
    describe: Callable[..., list[dict[str, Any]]],
) -> tuple[list[dict[str, Any]], Paging]:
    """The page of entries the search finds, as a reader reads them, and where it is."""
    picked = [e for e in entries if search.admits(e)]
    kept = {
        "as_of": when.as_of.isoformat() if when.as_of else "",
        "known": "1" if when.known_at else "",
        **search.keep,
    }
    if search.text:  # words are searched in what a reader sees: every candidate, described
        found = [row for row in describe(only=picked) if search.reads(row)]
        pages = paging(request, len(found), CHRONOLOGY_PER_PAGE, kept)
        return found[pages.offset : pages.offset + pages.size], pages
    pages = paging(request, len(picked), CHRONOLOGY_PER_PAGE, kept)  # only the page described
    return describe(only=picked[pages.offset : pages.offset + pages.size]), pages


@router.get("/children/{child_id}/chronology")
def chronology(child_id: UUID, request: Request, svc: ServicesDep, who: VisitorDep) -> Response:
    """Every entry, newest first and a page at a time, as a sentence with both times;
    found by kind, by who wrote it and by words in it."""
    when = times(request)
    child, views = read(
        svc,
        who.user,
        child_id,
        ("chronology", "plan", "provision-map"),
        when,
        logged=("chronology",),
    )
    entries = list(reversed(views["chronology"]["entries"]))  # newest first
    search = chronology_search(request)
    rows, pages = _found(
        request,
        when,
        search,
        entries,
        describe=partial(readable_chronology, views, svc.settings.setting_names),
    )
    viewed_by = svc.records.accesses(child_id)[-20:] if allows(who.role, "read.access_log") else []
    names = svc.users.names(
        [e["recorded_by"]["user"] for e in entries] + [a.user for a in viewed_by]
    )
    return page(
        request,
        "chronology.html",
        {
            **child_context(request, who, child, when, "Chronology", views["plan"]),
            "rows": rows,
            "total": len(entries),
            "search": search,
            "pages": pages,
            "kinds": kind_choices(entries),
            "authors": author_choices(entries, names),
            "names": names,
            "view_words": VIEW_WORDS,
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
