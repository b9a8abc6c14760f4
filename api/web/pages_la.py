"""A child's page for one local authority: how the record stands against that LA's profile
(readiness, with the entries behind each expectation and what the law says of it), and, for
SENCOs and admins, the LA's request form pre-filled from the record as a download."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api import la_requests
from api.deps import Services, ServicesDep, log_read, permit, withheld_from
from api.services.la_request import RequestIn
from api.services.la_request import la_request as requested
from api.web.forms import FormState, filled, typed, validate, whole_numbers
from api.web.pages_child import child_context
from api.web.reads import Times, read, times
from api.web.render import page
from api.web.session import CheckedForm, Visitor, VisitorDep

router = APIRouter(include_in_schema=False)
LABELS = {"pages": "Page limit", "format": "Format", "tribunal": "Tribunal limits"}
FORMATS = [("pdf", "PDF, to print and sign"), ("html", "Web page (HTML)")]


def _chosen(request: Request, svc: Services, choices: list[tuple[str, str]]) -> str | None:
    """The profile asked for, else the one the overview judges by (so the two agree)."""
    wanted = request.query_params.get("la", "")
    ids = [code for code, _ in choices]
    first = svc.settings.overview_profile().profile.id
    return wanted if wanted in ids else (first if first in ids else None)


def la_page(
    request: Request,
    svc: Services,
    who: Visitor,
    child_id: UUID,
    *,
    form: FormState | None = None,
    la: str | None = None,
    status: int = 200,
) -> Response:
    when: Times = times(request)
    choices = la_requests.choices(svc.settings)
    chosen = la or _chosen(request, svc, choices)
    child, views = read(svc, who.user, child_id, ("plan",), when, logged=())
    result: dict[str, Any] | None = None
    if chosen is not None:
        loaded = la_requests.profile(svc.settings, chosen)
        result = la_requests.readiness(
            svc.views,
            child_id,
            loaded,
            as_of=when.as_of,
            known_at=when.known_at,
            withhold=withheld_from(svc, who.user, child_id).keys(),
        )
        log_read(svc, who.user, child_id, "la-readiness", as_of=when.as_of, known_at=when.known_at)
    return page(
        request,
        "la_request.html",
        {
            **child_context(request, who, child, when, "LA request", views["plan"]),
            "choices": choices,
            "chosen": chosen,
            "result": result,
            "form": form or FormState(values={"format": "pdf"}),
            "formats": FORMATS,
        },
        status=status,
    )


@router.get("/children/{child_id}/la-request")
def la_request(child_id: UUID, request: Request, svc: ServicesDep, who: VisitorDep) -> Response:
    """Readiness against the chosen LA's profile (staff and inspectors, as the API)."""
    permit(who.user, "read.la_readiness")
    return la_page(request, svc, who, child_id)


@router.post("/children/{child_id}/la-request")
def download(
    child_id: UUID, request: Request, svc: ServicesDep, who: VisitorDep, posted: CheckedForm
) -> Response:
    """The LA's request pre-filled from the record, to download (SENCO and admin)."""
    child, _ = read(svc, who.user, child_id, (), Times(), logged=())
    permit(who.user, "export.la_request")
    state = FormState(values=typed(posted))
    la = state.value("la")
    data = whole_numbers(filled(state.values, "as_of", "pages", "format"), "pages")
    data["tribunal"] = state.value("tribunal") == "1"
    body = validate(RequestIn, data, state, LABELS)
    choices = [code for code, _ in la_requests.choices(svc.settings)]
    if la not in choices:
        state.add(None, "Choose a local authority from the list")
    if body is None or la not in choices:
        return la_page(request, svc, who, child_id, form=state, la=None, status=422)
    return requested(svc, who.user, child, la, body)
