"""POST /v1/verify: check an uploaded bundle (in memory, never extracted to disk)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from api.deps import UserDep
from api.errors import documented
from exporters.verify import VerificationError, verify_bundle

router = APIRouter(tags=["bundles"], responses=documented(401))
MAX_BUNDLE = 50 * 1024 * 1024


class VerifyResult(BaseModel):
    verified: bool
    reason: str | None = None
    where: str | None = None
    child_id: str | None = None
    entries_listed: int | None = None
    entries_admitted: int | None = None
    checkpoint_size: int | None = None
    root: str | None = None
    signer_key_id: str | None = None
    la_request: str | None = None


@router.post(
    "/verify",
    response_model=VerifyResult,
    summary="Verify a bundle",
    responses=documented(413, meaning={413: "Bundles are limited to 50 MB."}),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def verify(request: Request, _user: UserDep) -> VerifyResult:
    """Send the zip as the request body (`Content-Type: application/zip`, at most 50 MB).
    Keys come from the server's own key files, so a bundle re-signed by someone else fails."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BUNDLE:
            raise HTTPException(413, "bundles are limited to 50 MB")
    services = request.app.state.services
    keys = services.exporter.keys
    try:
        result = verify_bundle(bytes(data), key=keys.exporter.public_key(), log_key=keys.log_public)
    except VerificationError as error:
        return VerifyResult(verified=False, reason=error.reason, where=error.where)
    return VerifyResult(
        verified=True,
        child_id=result.child_id,
        entries_listed=result.entries_listed,
        entries_admitted=result.entries_admitted,
        checkpoint_size=result.checkpoint_size,
        root=result.root,
        signer_key_id=result.signer_key_id,
        la_request=result.la_request,
    )
