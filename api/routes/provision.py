"""/v1/provision-map: the setting's provision by school term (the use case is
api/services/provision.py), as JSON or CSV, at any `as_of` / `known_at`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from api import view_models as vm
from api.deps import AsOf, KnownAt, ServicesDep, UserDep
from api.errors import documented
from api.services.provision import as_csv, provision_by_term

router = APIRouter(tags=["dashboard"], responses=documented(401, 403, 422))


@router.get(
    "/provision-map",
    response_model=vm.SettingProvisionMap,
    summary="Provision map of your setting, by term",
    openapi_extra={"x-permission": "read.provision_map"},
)
def provision_map(
    svc: ServicesDep, user: UserDep, as_of: AsOf = None, known_at: KnownAt = None
) -> dict[str, Any]:
    """Per school term: cost (and by funding source), sessions planned and delivered,
    fidelity, children, and the same for each kind of provision. Each child included is
    logged in its access log."""
    return provision_by_term(svc, user, as_of=as_of, known_at=known_at)


@router.get(
    "/provision-map.csv",
    summary="Provision map of your setting, by term, as CSV",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "One row per term and provision."}
    },
    openapi_extra={"x-permission": "read.provision_map"},
)
def provision_map_csv(
    svc: ServicesDep, user: UserDep, as_of: AsOf = None, known_at: KnownAt = None
) -> Response:
    """The same map, one row per term and kind of provision, and a total row per term."""
    found = provision_by_term(svc, user, as_of=as_of, known_at=known_at)
    name = f"provision-map-{found['as_of']}.csv"
    return Response(
        as_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
