"""POST /v1/children/{id}/exports: the signed evidence bundle, as a zip
(the use case is api/services/exports.py)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import ServicesDep, UserDep, admitted_child
from api.errors import documented
from api.services.exports import ExportRequest, export_bundle
from domain.child import ChildRecord

router = APIRouter(tags=["bundles"], responses=documented(401))


@router.post(
    "/children/{child_id}/exports",
    summary="Export a signed evidence bundle",
    responses={
        200: {
            "content": {"application/zip": {}},
            "description": "The bundle (BagIt zip, DSSE-signed).",
        },
        **documented(
            400,
            403,
            404,
            409,
            410,
            422,
            meaning={409: "The bundle cannot be made now (e.g. no checkpoint and no log key)."},
        ),
    },
    response_class=Response,
    openapi_extra={"x-permission": "export.bundle"},
)
def export(
    child_id: UUID,  # noqa: ARG001 - the path's, read by the dependency
    body: ExportRequest,
    svc: ServicesDep,
    user: UserDep,
    child: Annotated[ChildRecord, admitted_child("export.bundle")],
) -> Response:
    """SENCOs and admins only; recorded on the child as EvidenceBundleExported."""
    return export_bundle(svc, user, child, body)
