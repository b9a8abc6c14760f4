"""Local authorities' request profiles over HTTP: the profiles in use, and a child's
pre-filled request for one of them (readiness is `GET …/readiness?la=` in views.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api import la_requests
from api.deps import ServicesDep, UserDep, child_action, log_read, permit, visible_child
from api.download_names import attachment, download_name
from api.errors import documented
from api.schemas import RecordTime, WorldDay
from projections.la_profile import scan_profiles

router = APIRouter(tags=["LA requests"], responses=documented(401))

LA_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
LaProfileId = Annotated[
    str, Query(pattern=LA_PATTERN, description="An LA profile's id (GET /v1/la-profiles).")
]
MEDIA = {"pdf": "application/pdf", "html": "text/html; charset=utf-8", "json": "application/json"}


class ProfileSummary(BaseModel):
    id: str
    name: str
    local_authority: str
    source: str
    updated: date
    expectations: int
    sections: list[str]
    sha256: str
    settings_own: bool = Field(description="From the setting's own folder, not built in.")


class BrokenProfile(BaseModel):
    file: str
    field: str
    rule: str


class ProfileList(BaseModel):
    profiles: list[ProfileSummary]
    broken: list[BrokenProfile] = Field(description="Files refused by the schema (not used).")


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


@router.get(
    "/la-profiles",
    response_model=ProfileList,
    summary="LA request profiles in use",
    openapi_extra={"x-permission": "read.la_profiles"},
)
def profiles(svc: ServicesDep, _user: UserDep) -> ProfileList:
    """The built-in profiles and the setting's own (read afresh on every call), and any
    profile file the schema refused, with the field and rule."""
    folders = svc.settings.la_profile_dirs
    scanned = scan_profiles(folders)
    return ProfileList(
        profiles=[
            ProfileSummary(
                id=p.profile.id,
                name=p.profile.name,
                local_authority=p.profile.local_authority,
                source=p.profile.source,
                updated=p.profile.updated,
                expectations=len(p.profile.expectations),
                sections=[s.title for s in p.profile.sections],
                sha256=p.sha256,
                settings_own=p.path.parent == folders[-1],
            )
            for p in scanned.profiles.values()
        ],
        broken=[
            BrokenProfile(file=e.path.name, field=e.field, rule=e.rule) for e in scanned.errors
        ],
    )


@router.post(
    "/children/{child_id}/requests",
    summary="Pre-filled EHC needs assessment request for an LA",
    responses={
        200: {
            "content": {"application/pdf": {}, "text/html": {}, "application/json": {}},
            "description": "The request in the LA's section order: every statement names the "
            "entries it comes from; gaps say what is needed.",
        },
        **documented(400, 403, 404, 409, 410, 422),
    },
    response_class=Response,
    openapi_extra={"x-permission": "export.la_request"},
    dependencies=[child_action("export.la_request")],
)
def request(
    child_id: UUID, la: LaProfileId, body: RequestIn, svc: ServicesDep, user: UserDep
) -> Response:
    """SENCOs and admins. Hints only: nothing in a profile blocks a request or an export.
    Logged in the child's access log."""
    child = visible_child(svc, user, child_id)
    permit(user, "export.la_request")
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
