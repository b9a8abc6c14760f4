"""A child's signed evidence bundle: made, recorded on the child, handed over."""

from __future__ import annotations

from fastapi import HTTPException
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api import la_requests
from api.deps import Services, permit, recorder
from api.download_names import attachment, download_name
from api.schemas import RecordTime, WorldDay
from api.users import User
from domain.child import ChildRecord
from exporters.bundle import ExportError

LA_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class ExportRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"as_of": "2026-11-01", "reason": "Needs exceed what SEN support can meet."}
            ]
        },
    )

    as_of: WorldDay | None = Field(
        default=None, description="World date (default today; 1900-01-01 to 2999-12-31)."
    )
    known_at: RecordTime | None = Field(default=None, description="Record time (ISO, with zone).")
    reason: str | None = Field(
        default=None, max_length=2000, description="Reason for the EHC request, for the report."
    )
    pdf: bool = Field(default=True, description="Include the PDF report.")
    la: str | None = Field(
        default=None,
        pattern=LA_PATTERN,
        description="Add this LA's pre-filled request (GET /v1/la-profiles), signed with the rest.",
    )
    pages: int | None = Field(
        default=None, ge=1, le=500, description="Keep that request within N pages."
    )
    tribunal: bool = Field(default=False, description="SEND Tribunal limits for that request.")


def export_bundle(svc: Services, user: User, child: ChildRecord, body: ExportRequest) -> Response:
    """SENCOs and admins only; recorded on the child as EvidenceBundleExported. A bundle
    that cannot be made now (e.g. no checkpoint and no log key) is a 409."""
    permit(user, "export.bundle")
    exporter = (
        svc.exporter if body.pdf else type(svc.exporter)(svc.records, svc.settings, pdf=False)
    )
    la = (
        la_requests.la_request(
            la_requests.profile(svc.settings, body.la), body.pages, body.tribunal
        )
        if body.la
        else None
    )
    try:
        bundle = exporter.export(
            child.id,
            as_of=body.as_of,
            known_at=body.known_at,
            reason=body.reason,
            by=recorder(user, child),
            la=la,
        )
    except ExportError as error:
        raise HTTPException(409, str(error)) from None
    return Response(
        bundle.content,
        media_type="application/zip",
        headers={
            "Content-Disposition": attachment(
                download_name(child, body.as_of or svc.records.clock().date(), "bundle.zip")
            ),
            "X-Bundle-SHA256": bundle.sha256,
        },
    )
