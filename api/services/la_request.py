"""An LA's pre-filled EHC needs assessment request for a child, logged as a read."""

from __future__ import annotations

from typing import Literal

from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api import la_requests
from api.deps import Services, log_read, permit
from api.download_names import attachment, download_name
from api.schemas import RecordTime, WorldDay
from api.users import User
from domain.child import ChildRecord

MEDIA = {"pdf": "application/pdf", "html": "text/html; charset=utf-8", "json": "application/json"}


class RequestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"format": "pdf"}, {"tribunal": True}, {"pages": 20}]},
    )

    as_of: WorldDay | None = Field(default=None, description="World date (default today).")
    known_at: RecordTime | None = Field(default=None, description="Record time (ISO, with zone).")
    pages: int | None = Field(
        default=None, ge=1, le=500, description="Keep the document within N pages (PDF)."
    )
    tribunal: bool = Field(
        default=False, description="SEND Tribunal limits: 75 pages, reports at most 3 years old."
    )
    format: Literal["pdf", "html", "json"] = "pdf"


def la_request(svc: Services, user: User, child: ChildRecord, la: str, body: RequestIn) -> Response:
    """SENCOs and admins, for a child they may see (checked by the caller). Hints only:
    nothing in a profile blocks a request or an export. Logged in the access log."""
    permit(user, "export.la_request")
    child_id = child.id
    loaded = la_requests.profile(svc.settings, la)
    document = la_requests.request(
        svc.views,
        child_id,
        loaded,
        as_of=body.as_of,
        known_at=body.known_at,
        pages=body.pages,
        tribunal=body.tribunal,
        pdf=body.format == "pdf",
        setting_names=svc.settings.setting_names,
    )
    log_read(svc, user, child_id, "la-request", as_of=body.as_of, known_at=body.known_at)
    day = body.as_of or svc.records.clock().date()
    name = download_name(child, day, f"request-{la}.{body.format}")
    return Response(
        document.content(body.format),
        media_type=MEDIA[body.format],
        headers={"Content-Disposition": attachment(name)},
    )
