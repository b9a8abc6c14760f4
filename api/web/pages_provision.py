"""The setting's provision map by term: a chart of cost per term, and per term the
sessions planned and delivered, fidelity, funding and each kind of provision; at any
past date, with a CSV download (SENCO and admin, as GET /v1/provision-map)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import ServicesDep
from api.services.provision import as_csv, provision_by_term
from api.web.provision_chart import cost_per_term_chart
from api.web.render import page
from api.web.session import VisitorDep

router = APIRouter(include_in_schema=False)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/provision-map")
def provision_map(request: Request, svc: ServicesDep, who: VisitorDep, as_of: str = "") -> Response:
    day = _day(as_of)
    found = provision_by_term(svc, who.user, as_of=day, known_at=None)
    per_term = {t["term"]: t["cost"] for t in found["terms"]}
    chart = (
        cost_per_term_chart(per_term, title="Cost of provision per school term, in pounds")
        if per_term
        else None
    )
    return page(
        request,
        "provision_map_setting.html",
        {
            "title": "Provision map",
            "found": found,
            "chart": chart,
            "as_of": day.isoformat() if day else "",
            "bad_date": bool(as_of) and day is None,
        },
    )


@router.get("/provision-map.csv")
def provision_map_csv(svc: ServicesDep, who: VisitorDep, as_of: str = "") -> Response:
    found = provision_by_term(svc, who.user, as_of=_day(as_of), known_at=None)
    return Response(
        as_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="provision-map-{found["as_of"]}.csv"'
        },
    )
