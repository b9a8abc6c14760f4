"""The inbox page: what needs the user's attention, by child, each item linking to where
it is dealt with (the same roles as GET /v1/inbox)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import ServicesDep
from api.services.inbox import inbox
from api.web.render import page
from api.web.session import VisitorDep

router = APIRouter(include_in_schema=False)


@router.get("/inbox")
def inbox_page(
    request: Request, svc: ServicesDep, who: VisitorDep, room: str = "", key_person: str = ""
) -> Response:
    found = inbox(svc, who.user, room=room[:200], key_person=key_person[:200])
    return page(request, "inbox.html", {"title": "Inbox", "found": found})
