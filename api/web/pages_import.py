"""Bring history in from a spreadsheet (SENCO and admin): upload, read the dry run's
report (each refused row by number, column and rule: never its contents), then store it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile as StarletteUpload

from api.deps import ServicesDep, permit
from api.importing.sources import SourceError
from api.services import importing
from api.web.forms import FormState, typed
from api.web.render import page
from api.web.session import CheckedForm, VisitorDep

router = APIRouter(include_in_schema=False)
KINDS = [
    ("pupil-list", "A pupil list from your MIS (names, date of birth, SEN status)"),
    ("chronology", "A chronology (date, category, what happened, who)"),
    ("provision-map", "A provision map (child, provision, start, end, sessions, cost)"),
]


def _page(request: Request, state: FormState, **more: object) -> Response:
    status = 422 if state.problems else 200
    context = {"title": "Import", "s": state, "kinds": KINDS, **more}
    return page(request, "import.html", context, status=status)


@router.get("/import")
def import_form(request: Request, who: VisitorDep) -> Response:
    permit(who.user, "import.records")
    return _page(request, FormState())


@router.post("/import")
async def import_preview(
    request: Request, svc: ServicesDep, who: VisitorDep, posted: CheckedForm
) -> Response:
    """Hold the upload and show what importing it would do; nothing is stored."""
    permit(who.user, "import.records")
    state = FormState(values=typed(posted))
    sent = posted.get("file")
    if state.value("kind") not in importing.BUILT_IN:
        state.add("kind", "Choose what the file holds")
    if not isinstance(sent, StarletteUpload) or not sent.filename:
        state.add("file", "Choose the file to import")
    if state.problems or not isinstance(sent, StarletteUpload) or not sent.filename:
        return _page(request, state)
    try:
        name = importing.held(await sent.read(), sent.filename)
        outcome = importing.run(svc, who.user, name, state.value("kind"), dry_run=True)
    except (ValueError, SourceError) as error:
        state.add("file", str(error))
        return _page(request, state)
    return _page(request, state, outcome=outcome, held=name, kind=state.value("kind"))


@router.post("/import/confirm")
def import_confirm(
    request: Request, svc: ServicesDep, who: VisitorDep, posted: CheckedForm
) -> Response:
    """Store what the preview showed: all or nothing, child by child."""
    permit(who.user, "import.records")
    state = FormState(values=typed(posted))
    try:
        outcome = importing.run(
            svc, who.user, state.value("held"), state.value("kind"), dry_run=False
        )
    except (ValueError, SourceError) as error:
        state.add(None, str(error))
        return _page(request, state)
    return _page(request, state, outcome=outcome, stored=True)
