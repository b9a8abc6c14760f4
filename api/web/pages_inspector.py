"""Check a bundle: upload it and read, in plain words, whether it is genuine."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from api.session_store import same_token
from api.verify_anchors import MAX_BUNDLE, check_upload
from api.web.render import page
from api.web.session import CsrfRefused, VisitorDep
from exporters.verify import VerificationError
from exporters.verify_explain import explain
from exporters.verify_words import described

router = APIRouter(include_in_schema=False)
FORM_OVERHEAD = 64 * 1024  # the multipart boundaries and the CSRF field around the zip


@router.get("/verify")
def verify_form(request: Request, _who: VisitorDep) -> Response:
    return page(
        request,
        "verify.html",
        {"title": "Check an evidence bundle", "result": None, "missing": False},
    )


async def _limited(request: Request) -> AsyncGenerator[bytes, None]:
    """The request body, refused (413) as soon as it passes the limit."""
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BUNDLE + FORM_OVERHEAD:
            raise HTTPException(413, "bundles are limited to 50 MB")
        yield chunk


async def _upload(request: Request, csrf: str) -> bytes | None:
    """The uploaded zip (None if no file was chosen), once the CSRF token is checked."""
    parser = MultiPartParser(request.headers, _limited(request), max_files=1, max_fields=5)
    parser.spool_max_size = MAX_BUNDLE + FORM_OVERHEAD  # kept in memory, never on disk
    try:
        form = await parser.parse()
    except MultiPartException:
        raise HTTPException(400, "the upload could not be read") from None
    sent = form.get("csrf")
    if not same_token(sent if isinstance(sent, str) else None, csrf):
        raise CsrfRefused
    bundle = form.get("bundle")
    if not isinstance(bundle, UploadFile):
        return None
    data = await bundle.read()
    if len(data) > MAX_BUNDLE:
        raise HTTPException(413, "bundles are limited to 50 MB")
    return data or None


@router.post("/verify")
async def verify(request: Request, who: VisitorDep) -> Response:
    """Checked with this server's own keys and its trust store, as POST /v1/verify is, so
    a bundle signed by anyone else is never called genuine."""
    data = await _upload(request, who.csrf)
    if data is None:
        return page(
            request,
            "verify.html",
            {"title": "Check an evidence bundle", "result": None, "missing": True},
            status=422,
        )
    result: dict[str, Any]
    try:
        found = await check_upload(request, data)
    except VerificationError as error:
        result = {"ok": False, "reason": error.reason, "where": error.where, **explain(error)}
    else:
        result = {
            "ok": found.trust_anchor is not None,
            "unknown": found.trust_anchor is None,
            "found": found,
            "words": dict(described(found)),
        }
    return page(
        request, "verify.html", {"title": "Bundle checked", "result": result, "missing": False}
    )
