"""An attached file, opened from a page (the signed-in session's user, the API's rule)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import ServicesDep
from api.documents_access import served
from api.web.session import VisitorDep

router = APIRouter(include_in_schema=False)


@router.get("/children/{child_id}/documents/{sha256}")
def document(
    child_id: UUID, sha256: str, svc: ServicesDep, who: VisitorDep, size: str = ""
) -> Response:
    """The file, for whoever may read an entry it is attached to (404 otherwise);
    `?size=thumb` a photo's small copy for the chronology."""
    return served(svc, who.user, child_id, sha256, thumbnail=size == "thumb")
