"""Files in a child's record: upload one (then name its digest in an entry's
`attachments`), list them, and read one back through the same checks as the entries.

A file is read only by someone who may see an entry it is attached to (staff of the
child's setting may also see a file uploaded but not yet attached); otherwise 404, exactly
as for a file that does not exist. Every read is in the child's access log. Anything but a
picture or a PDF is sent as a download; every file with `nosniff` and a sandboxing CSP.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import APIRouter, File, HTTPException, Path, UploadFile
from fastapi.responses import Response

from api.bootstrap import open_key_store
from api.deps import STAFF, ServicesDep, UserDep, log_read, require, visible_child, withheld_from
from api.document_types import check
from api.errors import documented
from domain.envelope import attachment_digest
from ledger.documents import DocumentDamaged, DocumentMissing

router = APIRouter(tags=["documents"], responses=documented(401, 404, 410, 422))
UPLOADERS = (*STAFF, "parent")  # a parent attaches to their own view or dispute
DIGEST = re.compile(r"[0-9a-f]{64}")
INLINE = ("image/jpeg", "image/png", "image/webp", "application/pdf")
# Not a pattern: a malformed digest is a document that does not exist (404), as for an id.
Digest = Annotated[str, Path(description="The file's SHA-256 (lower-case hex).")]


def _name(filename: str | None) -> str:
    """The uploaded file's own name, without any folder, made safe to show and keep."""
    raw = PureWindowsPath(PurePosixPath(filename or "").name).name
    cleaned = "".join(
        c for c in unicodedata.normalize("NFC", raw) if unicodedata.category(c)[0] != "C"
    ).strip()
    return cleaned[:200] or "document"


@router.post(
    "/children/{child_id}/documents",
    status_code=201,
    summary="Upload a file to the child's record",
    responses=documented(400, 403, 413, 415),
)
def upload(
    child_id: UUID, svc: ServicesDep, user: UserDep, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Store a file (PDF, JPEG, PNG, WebP, DOCX or plain text, read from its bytes) in the
    child's record, encrypted under the child's key. Photos lose their location and device
    metadata. Then name its `sha256` in an entry's `attachments`: a file no entry names
    stays out of every view and bundle."""
    visible_child(svc, user, child_id)
    require(user, *UPLOADERS)
    checked = check(file.file)  # spooled to a temporary file by the upload parser
    document = svc.documents.put(
        child_id,
        checked.content,
        name=_name(file.filename),
        media_type=checked.media_type,
        metadata_stripped=checked.metadata_stripped,
        aead=child_key(svc, child_id),
    )
    return {**document.as_attachment(), "metadata_stripped": document.metadata_stripped}


@router.get("/children/{child_id}/documents", summary="Files of the child's record")
def documents(child_id: UUID, svc: ServicesDep, user: UserDep) -> dict[str, Any]:
    """Every file this user may read, with the entries it is attached to."""
    visible_child(svc, user, child_id)
    log_read(svc, user, child_id, "documents")
    attached = _attached(svc, user, child_id)
    shown = [
        {
            **d.as_attachment(),
            "metadata_stripped": d.metadata_stripped,
            "entries": attached.get(d.sha256, []),
        }
        for d in svc.documents.documents(child_id)
        if _may_read(svc, user, child_id, d.sha256, attached)
    ]
    return {"child_id": str(child_id), "documents": shown, "count": len(shown)}


@router.get(
    "/children/{child_id}/documents/{sha256}",
    summary="One file",
    response_class=Response,
    responses=documented(409, meaning={409: "The stored file no longer matches its digest."}),
)
def document(child_id: UUID, sha256: Digest, svc: ServicesDep, user: UserDep) -> Response:
    """The file's bytes, checked against its digest first (a changed file is never sent)."""
    visible_child(svc, user, child_id)
    found = svc.documents.describe(child_id, sha256) if DIGEST.fullmatch(sha256) else None
    if found is None or not _may_read(svc, user, child_id, sha256):
        raise HTTPException(404, "no such document")
    try:
        content = svc.documents.read(child_id, sha256, child_key(svc, child_id))
    except DocumentMissing:
        raise HTTPException(404, "no such document") from None
    except DocumentDamaged:
        raise HTTPException(409, "the stored file no longer matches its digest") from None
    log_read(svc, user, child_id, "document")
    disposition = "inline" if found.media_type in INLINE else "attachment"
    return Response(
        content,
        media_type=found.media_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(found.name)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'",
        },
    )


def child_key(svc: ServicesDep, child_id: UUID) -> AESGCM:
    """The child's data key (the record exists: it was checked visible first)."""
    return open_key_store(svc.records).aead(child_id, create=False)


def _may_read(
    svc: Any, user: Any, child_id: UUID, sha256: str, attached: dict[str, list[int]] | None = None
) -> bool:
    """A file is read as the entries it is attached to are: by whoever may read one of
    them. A file no entry names yet (just uploaded) is seen by the setting's staff only."""
    visible = attached if attached is not None else _attached(svc, user, child_id)
    if sha256 in visible:
        return True
    return user.role in STAFF and sha256 not in _attached(svc, None, child_id)


def _attached(svc: Any, user: Any, child_id: UUID) -> dict[str, list[int]]:
    """Digest -> versions of the entries this user (None: anyone) may read that attach it."""
    found: dict[str, list[int]] = {}
    withhold = withheld_from(svc, user, child_id) if user is not None else frozenset()
    for entry in svc.views.admitted(child_id, withhold=withhold):
        for attachment in entry.event.attachments:
            found.setdefault(attachment_digest(attachment), []).append(entry.version)
    return found
