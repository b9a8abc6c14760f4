"""Who may read an attached file, and the file as it is sent: one rule for the API and
the pages. A file is read as the entries it is attached to are, by whoever may read one of
them; a file no entry names yet (just uploaded) is seen by the setting's staff only. It is
checked against its digest before a byte is sent, sent with `nosniff` and a sandboxing
CSP, as a download unless it is a picture or a PDF, and each read is in the access log."""

from __future__ import annotations

import io
import re
from typing import IO, Any
from urllib.parse import quote
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import HTTPException
from fastapi.responses import Response
from PIL import Image

from api.bootstrap import open_key_store
from api.deps import STAFF, Services, log_read, visible_child, withheld_from
from api.document_types import check, upload_name
from api.users import User
from domain.envelope import attachment_digest
from ledger.documents import Document, DocumentDamaged, DocumentMissing

DIGEST = re.compile(r"[0-9a-f]{64}")
INLINE = ("image/jpeg", "image/png", "image/webp", "application/pdf")


def store_upload(
    svc: Services, child_id: UUID, file: IO[bytes], filename: str | None
) -> tuple[Document, bool]:
    """An uploaded file checked (type from its bytes, a photo stripped) and stored under
    the child's key; and whether it was stored anew (not there already)."""
    checked = check(file)
    return svc.documents.put(
        child_id,
        checked.content,
        name=upload_name(filename),
        media_type=checked.media_type,
        metadata_stripped=checked.metadata_stripped,
        aead=child_key(svc, child_id),
    )


def served(
    svc: Services, user: User, child_id: UUID, sha256: str, *, thumbnail: bool = False
) -> Response:
    """The file, or 404 exactly as for one that does not exist (409 if it was changed).
    `thumbnail`: a photo as a small JPEG for pages (made from the checked bytes, never
    stored); anything else is 404 as a thumbnail."""
    visible_child(svc, user, child_id)
    found = svc.documents.describe(child_id, sha256) if DIGEST.fullmatch(sha256) else None
    if found is None or not may_read(svc, user, child_id, sha256):
        raise HTTPException(404, "no such document")
    try:
        content = svc.documents.read(child_id, sha256, child_key(svc, child_id))
    except DocumentMissing:
        raise HTTPException(404, "no such document") from None
    except DocumentDamaged:
        raise HTTPException(409, "the stored file no longer matches its digest") from None
    log_read(svc, user, child_id, "document")
    if thumbnail:
        if not found.media_type.startswith("image/"):
            raise HTTPException(404, "no thumbnail for this kind of file")
        return Response(
            small_jpeg(content),
            media_type="image/jpeg",
            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
        )
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


THUMBNAIL = (320, 320)


def small_jpeg(content: bytes) -> bytes:
    """A photo at most 320 px a side, as JPEG (Pillow; the stored photo was already
    stripped of its metadata on upload)."""
    with Image.open(io.BytesIO(content)) as picture:
        picture.thumbnail(THUMBNAIL)
        out = io.BytesIO()
        picture.convert("RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()


def child_key(svc: Services, child_id: UUID) -> AESGCM:
    """The child's data key (the record exists: it was checked visible first)."""
    return open_key_store(svc.records).aead(child_id, create=False)


def may_read(
    svc: Any, user: Any, child_id: UUID, sha256: str, attached: dict[str, list[int]] | None = None
) -> bool:
    """A file is read as the entries it is attached to are: by whoever may read one of
    them. A file no entry names yet (just uploaded) is seen by the setting's staff only."""
    visible = attached if attached is not None else attached_to(svc, user, child_id)
    if sha256 in visible:
        return True
    return user.role in STAFF and sha256 not in attached_to(svc, None, child_id)


def attached_to(svc: Any, user: Any, child_id: UUID) -> dict[str, list[int]]:
    """Digest -> versions of the entries this user (None: anyone) may read that attach it."""
    found: dict[str, list[int]] = {}
    withhold = withheld_from(svc, user, child_id).keys() if user is not None else frozenset()
    for entry in svc.views.admitted(child_id, withhold=withhold):
        for attachment in entry.event.attachments:
            found.setdefault(attachment_digest(attachment), []).append(entry.version)
    return found
