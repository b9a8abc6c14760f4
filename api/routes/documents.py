"""Files in a child's record: upload one (then name its digest in an entry's
`attachments`), list them, and read one back through the same checks as the entries.

A file is read only by someone who may see an entry it is attached to (staff of the
child's setting may also see a file uploaded but not yet attached); otherwise 404, exactly
as for a file that does not exist. Every read is in the child's access log. Anything but a
picture or a PDF is sent as a download; every file with `nosniff` and a sandboxing CSP.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, Path, UploadFile
from fastapi.responses import Response

from api.deps import ServicesDep, UserDep, child_action, log_read, permit, visible_child
from api.documents_access import attached_to, may_read, served, store_upload
from api.errors import documented

router = APIRouter(tags=["documents"], responses=documented(401, 404, 410, 422))
# Not a pattern: a malformed digest is a document that does not exist (404), as for an id.
Digest = Annotated[str, Path(description="The file's SHA-256 (lower-case hex).")]


@router.post(
    "/children/{child_id}/documents",
    status_code=201,
    summary="Upload a file to the child's record",
    responses=documented(400, 403, 413, 415),
    dependencies=[child_action("document.upload")],
    openapi_extra={"x-permission": "document.upload"},
)
def upload(
    child_id: UUID, svc: ServicesDep, user: UserDep, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Store a file (PDF, JPEG, PNG, WebP, DOCX or plain text, read from its bytes) in the
    child's record, encrypted under the child's key. Photos lose their location and device
    metadata. Then name its `sha256` in an entry's `attachments`: a file no entry names
    stays out of every view and bundle."""
    visible_child(svc, user, child_id)
    permit(user, "document.upload")
    document, _ = store_upload(svc, child_id, file.file, file.filename)  # a spooled file
    return {**document.as_attachment(), "metadata_stripped": document.metadata_stripped}


@router.get(
    "/children/{child_id}/documents",
    summary="Files of the child's record",
    openapi_extra={"x-permission": "read.record"},
)
def documents(child_id: UUID, svc: ServicesDep, user: UserDep) -> dict[str, Any]:
    """Every file this user may read, with the entries it is attached to."""
    visible_child(svc, user, child_id)
    log_read(svc, user, child_id, "documents")
    attached = attached_to(svc, user, child_id)
    shown = [
        {
            **d.as_attachment(),
            "metadata_stripped": d.metadata_stripped,
            "entries": attached.get(d.sha256, []),
        }
        for d in svc.documents.documents(child_id)
        if may_read(svc, user, child_id, d.sha256, attached)
    ]
    return {"child_id": str(child_id), "documents": shown, "count": len(shown)}


@router.get(
    "/children/{child_id}/documents/{sha256}",
    summary="One file",
    response_class=Response,
    openapi_extra={"x-permission": "read.record"},
    responses=documented(409, meaning={409: "The stored file no longer matches its digest."}),
)
def document(child_id: UUID, sha256: Digest, svc: ServicesDep, user: UserDep) -> Response:
    """The file's bytes, checked against its digest first (a changed file is never sent)."""
    return served(svc, user, child_id, sha256)
