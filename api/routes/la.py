"""Local authorities' request profiles over HTTP: the profiles in use, and a child's
pre-filled request for one of them (readiness is `GET …/readiness?la=` in views.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import ServicesDep, UserDep, child_action, visible_child
from api.errors import documented
from api.services.exports import LA_PATTERN
from api.services.la_request import RequestIn, la_request
from projections.la_profile import scan_profiles

router = APIRouter(tags=["LA requests"], responses=documented(401))

LaProfileId = Annotated[
    str, Query(pattern=LA_PATTERN, description="An LA profile's id (GET /v1/la-profiles).")
]


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
    return la_request(svc, user, visible_child(svc, user, child_id), la, body)
