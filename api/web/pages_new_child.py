"""Adding a child (SENCO and admin, as POST /v1/children): a record opened in the
visitor's own setting; every problem shown at once beside its field, nothing stored."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import ServicesDep, permit
from api.services.children import ChildCreate, register
from api.web.forms import FormState, filled, typed, validate
from api.web.render import page
from api.web.session import CheckedForm, VisitorDep

router = APIRouter(include_in_schema=False)
LABELS = {
    "given_name": "Given name",
    "family_name": "Family name",
    "date_of_birth": "Date of birth",
    "occurred_at": "Date they joined the setting",
}


@router.get("/children/new")
def new_child(request: Request, svc: ServicesDep, who: VisitorDep) -> Response:
    permit(who.user, "child.register")
    today = svc.records.clock().date().isoformat()
    return page(
        request,
        "child_new.html",
        {"title": "Add a child", "s": FormState(values={"occurred_at": today}), "L": LABELS},
    )


@router.post("/children/new")
def add_child(request: Request, svc: ServicesDep, who: VisitorDep, posted: CheckedForm) -> Response:
    permit(who.user, "child.register")
    state = FormState(values=typed(posted))
    data = filled(state.values, *LABELS)
    body = validate(ChildCreate, data, state, LABELS)
    if body is None:
        return page(
            request,
            "child_new.html",
            {"title": "Add a child", "s": state, "L": LABELS},
            status=422,
        )
    created = register(svc, who.user, body)
    return RedirectResponse(f"/children/{created.child_id}?saved=child", status_code=303)
