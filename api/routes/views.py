"""Reads of one child: plan, chronology, events, provision map, readiness, EHC timeline —
each at any `as_of` / `known_at`, and each logged in the child's access log."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from api import la_requests
from api import view_models as vm
from api.deps import (
    AsOf,
    KnownAt,
    ServicesDep,
    UserDep,
    log_read,
    permit,
    visible_child,
    withheld_from,
    withheld_listing,
)
from api.errors import documented
from api.json_body import json_response
from api.permissions import allows
from api.services.exports import LA_PATTERN
from api.services.reading import read_view
from domain.errors import InvalidValue
from projections.chronology import KINDS, Only

# Every read: 404 for a child you may not see, 410 for an erased one, 422 for a malformed
# id, as_of or known_at.
router = APIRouter(tags=["reads"], responses=documented(401, 404, 410, 422))


def _read(
    svc: Any, user: Any, child_id: UUID, name: str, as_of: Any, known_at: Any
) -> dict[str, Any]:
    return read_view(svc, user, child_id, name, as_of=as_of, known_at=known_at)


@router.get(
    "/children/{child_id}/plan",
    response_model=vm.PlanView,
    summary="Current support plan",
    openapi_extra={"x-permission": "read.record"},
)
def plan(
    child_id: UUID, svc: ServicesDep, user: UserDep, as_of: AsOf = None, known_at: KnownAt = None
) -> dict[str, Any]:
    """SEN status and needs, outcomes with latest progress, active provisions, next review
    (overdue flagged), people involved and consents in force."""
    return _read(svc, user, child_id, "plan", as_of, known_at)


@router.get(
    "/children/{child_id}/chronology",
    response_model=vm.ChronologyView,
    summary="Chronology",
    openapi_extra={"x-permission": "read.record"},
)
def chronology(
    child_id: UUID,
    request: Request,
    svc: ServicesDep,
    user: UserDep,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    include_access: bool = False,
    limit: Annotated[
        int | None,
        Query(ge=1, le=500, description="At most this many entries (a page); all if absent."),
    ] = None,
    offset: Annotated[int, Query(ge=0, description="Skip this many entries (with `limit`).")] = 0,
    kind: Annotated[
        list[str] | None,
        Query(description="Only entries of these kinds (repeat for several), e.g. ReviewHeld."),
    ] = None,
    author: Annotated[
        str | None, Query(max_length=100, description="Only entries recorded by this user id.")
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Only entries with every word of this in them."),
    ] = None,
) -> Response:
    """Every entry in world order with both times; corrections, mistakes and disputes
    beside their entry. `include_access=true` (staff) adds who looked at the record. With
    `limit`, one page from `offset` (offset paging over the world order); `next_offset`
    is where the next page starts and `next` the link to it (also a `Link: rel="next"`
    header), both absent after the last page. Pin `known_at` to the first page's time to
    page through exactly what was known then. With `kind`, `author` or `q`, only the
    entries that match all of them (`matched` counts them; the words searched for are
    never logged)."""
    only = Only(frozenset(kind or ()), author or None, q or "")
    if only.kinds - KINDS:
        raise InvalidValue("kind: names no kind of entry", field="kind")
    if limit is None and not only:
        result = _read(svc, user, child_id, "chronology", as_of, known_at)
    else:
        visible_child(svc, user, child_id)
        log_read(svc, user, child_id, "chronology", as_of=as_of, known_at=known_at)
        hidden = withheld_from(svc, user, child_id)
        result = svc.views.chronology_page(
            child_id,
            offset=offset,
            limit=limit,
            only=only,
            as_of=as_of,
            known_at=known_at,
            withhold=hidden.keys(),
        )
        result["withheld"] = withheld_listing(svc, child_id, hidden, as_of=as_of, known_at=known_at)
    if include_access and allows(user.role, "read.access_log"):
        result["viewed_by"] = [
            {
                "user": a.user,
                "role": a.role,
                "view": a.view,
                "at": a.timestamp.isoformat(),
                "as_of": a.as_of,
                "known_at": a.known_at,
            }
            for a in svc.records.accesses(child_id)
        ]
    headers = {}
    if result.get("next_offset") is not None:
        result["next"] = _page_link(request, result["next_offset"])
        headers["Link"] = f'<{result["next"]}>; rel="next"'
    # Written straight out (the rows are JSON-ready): validating 2,000 rows against
    # ChronologyView on every read cost more than building them. The schema still
    # documents the answer, and tests/api/test_schema.py checks answers against it.
    return json_response(result, headers=headers)


def _page_link(request: Request, offset: int) -> str:
    """This request's path and query with `offset` moved on: the next page's link
    (relative to this server, so it holds behind a proxy that keeps paths)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
    return f"{request.url.path}?{urlencode([*query, ('offset', str(offset))])}"


@router.get(
    "/children/{child_id}/events",
    response_model=vm.EventsView,
    summary="Raw events",
    openapi_extra={"x-permission": "read.record"},
)
def events(
    child_id: UUID, svc: ServicesDep, user: UserDep, as_of: AsOf = None, known_at: KnownAt = None
) -> dict[str, Any]:
    """The admitted events themselves, in version order. An entry withheld from you is
    listed in its place as withheld (version, kind, reason), never silently left out."""
    visible_child(svc, user, child_id)
    log_read(svc, user, child_id, "events", as_of=as_of, known_at=known_at)
    hidden = withheld_from(svc, user, child_id)
    found = svc.views.events(child_id, as_of=as_of, known_at=known_at, withhold=hidden.keys())
    listed = withheld_listing(svc, child_id, hidden, as_of=as_of, known_at=known_at)
    merged = sorted([*found, *listed], key=lambda e: int(str(e["version"])))
    return {"child_id": str(child_id), "events": merged, "count": len(merged), "withheld": listed}


@router.get(
    "/children/{child_id}/provision-map",
    response_model=vm.ProvisionMapView,
    summary="Costed provision map",
    openapi_extra={"x-permission": "read.record"},
)
def provision_map(
    child_id: UUID, svc: ServicesDep, user: UserDep, as_of: AsOf = None, known_at: KnownAt = None
) -> dict[str, Any]:
    return _read(svc, user, child_id, "provision-map", as_of, known_at)


@router.get(
    "/children/{child_id}/readiness",
    response_model=vm.ReadinessView | vm.LaReadinessView,
    summary="Readiness hints for an EHC request",
    openapi_extra={"x-permission": "read.record"},
)
def readiness(
    child_id: UUID,
    svc: ServicesDep,
    user: UserDep,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    la: Annotated[
        str | None,
        Query(pattern=LA_PATTERN, description="Check against this LA's profile instead."),
    ] = None,
) -> dict[str, Any]:
    """Hints only, never a block. With `la`, each of that LA's expectations met, missing
    or stale, with the entries behind it and what the law says of it."""
    if la is None:
        return _read(svc, user, child_id, "readiness", as_of, known_at)
    visible_child(svc, user, child_id)
    permit(user, "read.la_readiness")
    loaded = la_requests.profile(svc.settings, la)
    log_read(svc, user, child_id, "la-readiness", as_of=as_of, known_at=known_at)
    hidden = withheld_from(svc, user, child_id)
    result = la_requests.readiness(
        svc.views, child_id, loaded, as_of=as_of, known_at=known_at, withhold=hidden.keys()
    )
    result["withheld"] = withheld_listing(svc, child_id, hidden, as_of=as_of, known_at=known_at)
    return result


@router.get(
    "/children/{child_id}/ehc-timeline",
    response_model=vm.EhcTimelineView,
    summary="EHC statutory timeline",
    openapi_extra={"x-permission": "read.record"},
)
def ehc_timeline(
    child_id: UUID, svc: ServicesDep, user: UserDep, as_of: AsOf = None, known_at: KnownAt = None
) -> dict[str, Any]:
    return _read(svc, user, child_id, "ehc-timeline", as_of, known_at)
