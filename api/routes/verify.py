"""POST /v1/verify: check an uploaded bundle (in memory, never extracted to disk)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from api.deps import UserDep
from api.errors import documented
from api.verify_anchors import MAX_BUNDLE, check_upload
from exporters.trust import TrustStoreError
from exporters.verify import VerificationError

router = APIRouter(tags=["bundles"], responses=documented(401))


class VerifyResult(BaseModel):
    verified: bool = Field(description="Intact and signed by keys this server trusts.")
    status: Literal["verified", "signer_unknown", "failed"] = Field(
        description="`signer_unknown`: intact, but signed by keys neither this installation "
        "nor its trust store vouches for (compare the fingerprints with the setting's)."
    )
    trust_anchor: str | None = Field(
        default=None,
        description="Whose keys vouched for it: this installation's, or a trusted setting's.",
    )
    log_key_id: str | None = None
    reason: str | None = None
    where: str | None = None
    child_id: str | None = None
    entries_listed: int | None = None
    entries_admitted: int | None = None
    checkpoint_size: int | None = None
    root: str | None = None
    signer_key_id: str | None = None
    la_request: str | None = None
    as_of: str | None = Field(default=None, description="The world date the record is shown at.")
    known_at: str | None = Field(
        default=None, description="The record time it is shown as known at."
    )
    log_origin: str | None = Field(default=None, description="The log's name in its checkpoint.")
    witnessed_by: list[str] = Field(
        default_factory=list,
        description="This installation's witnesses (SENDTRAIL_WITNESSES) whose cosignature "
        "of the bundle's checkpoint checks out.",
    )


@router.post(
    "/verify",
    response_model=VerifyResult,
    summary="Verify a bundle",
    responses=documented(
        413,
        503,
        meaning={
            413: "Bundles are limited to 50 MB.",
            503: "Other bundles are being checked (a few at a time); retry after Retry-After.",
        },
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def verify(request: Request, _user: UserDep) -> VerifyResult:
    """Send the zip as the request body (`Content-Type: application/zip`, at most 50 MB).
    Trust comes from the server's own key files and its trust store, never from the keys
    inside the bundle: a bundle re-signed by someone else is at best `signer_unknown`."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BUNDLE:
            raise HTTPException(413, "bundles are limited to 50 MB")
    try:
        result = await check_upload(request, bytes(data))
    except (VerificationError, TrustStoreError) as error:
        where = error.where if isinstance(error, VerificationError) else "trust store"
        reason = error.reason if isinstance(error, VerificationError) else str(error)
        return VerifyResult(verified=False, status="failed", reason=reason, where=where)
    known = result.trust_anchor is not None
    return VerifyResult(
        verified=known,
        status="verified" if known else "signer_unknown",
        trust_anchor=result.trust_anchor,
        log_key_id=result.log_key_id,
        reason=None if known else "intact, but signed by keys this server does not trust",
        child_id=result.child_id,
        entries_listed=result.entries_listed,
        entries_admitted=result.entries_admitted,
        checkpoint_size=result.checkpoint_size,
        root=result.root,
        signer_key_id=result.signer_key_id,
        la_request=result.la_request,
        as_of=result.as_of,
        known_at=result.known_at,
        log_origin=result.origin,
        witnessed_by=list(result.witnessed_by),
    )
