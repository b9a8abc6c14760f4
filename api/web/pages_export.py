"""Export an evidence bundle from the child's page (SENCO and admin, as the API)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import ServicesDep, permit, visible_child
from api.services.exports import ExportRequest, export_bundle
from api.web.forms import FormState, filled, typed, validate
from api.web.pages_child import overview_page
from api.web.session import CheckedForm, VisitorDep

router = APIRouter(include_in_schema=False)
LABELS = {
    "as_of": "The record as of",
    "reason": "Reason for the request",
    "pdf": "PDF report",
    "la": "Local authority's request",
}


@router.post("/children/{child_id}/export")
def export(
    child_id: UUID, request: Request, svc: ServicesDep, who: VisitorDep, posted: CheckedForm
) -> Response:
    """The signed bundle as a download; recorded on the child as the API records it."""
    child = visible_child(svc, who.user, child_id)
    permit(who.user, "export.bundle")
    state = FormState(values=typed(posted))
    data = filled(state.values, "as_of", "reason", "la")
    # The page offers the PDF as an option, ticked at first (an unticked box sends nothing).
    data["pdf"] = state.values.get("pdf") == "1"
    body = validate(ExportRequest, data, state, LABELS)
    if body is None:
        return overview_page(request, svc, who, child_id, export=state, status=422)
    return export_bundle(svc, who.user, child, body)
