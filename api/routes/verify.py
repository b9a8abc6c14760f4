"""POST /v1/verify: check an uploaded bundle (in memory, never extracted to disk)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from api.deps import UserDep
from api.errors import documented
from api.verify_anchors import MAX_BUNDLE, check_upload
from exporters.trust import TrustStoreError
from exporters.verify import VerificationError
from exporters.verify_explain import explain
from exporters.verify_words import described, exported_not_before

UNKNOWN_MEANING = (
    "Every file is consistent with the keys the bundle carries, but those keys are neither "
    "this installation's nor those of a setting this server trusts, and anyone can make a "
    "bundle consistent with keys of their own. Compare the fingerprints with the ones the "
    "setting published; if they match, an administrator can add them to the trust store."
)
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
    witnessed_at: dict[str, datetime] = Field(
        default_factory=dict, description="When each of those witnesses says it cosigned."
    )
    child_name: str | None = Field(
        default=None, description="The child as the bundle's support plan names them."
    )
    setting_id: str | None = None
    setting_name: str | None = Field(
        default=None, description="What the setting is called (its id where it has no name)."
    )
    exported_on: date | None = Field(
        default=None, description="The day it was exported, as the setting's signed summary says."
    )
    exported_not_before: datetime | None = Field(
        default=None,
        description="The earliest the bundle can have been made (its newest entry, its "
        "witnesses' cosignatures): a bundle carries no export time of its own.",
    )
    timestamped_at: datetime | None = Field(
        default=None, description="By when it existed, per its RFC 3161 timestamp."
    )
    timestamp_authority: str | None = None
    heading: str | None = Field(
        default=None, description="The first failure (or the unknown signer) in plain words."
    )
    meaning: str | None = Field(default=None, description="What that means and what to do.")
    described: list[str] = Field(
        default_factory=list,
        description="Child, setting, dates, export, entries, trust anchor and witnesses, "
        "one line each, in plain words.",
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
        if isinstance(error, TrustStoreError):
            error = VerificationError(str(error), where="trust store")
        plain = explain(error)
        return VerifyResult(
            verified=False,
            status="failed",
            reason=error.reason,
            where=error.where,
            heading=plain["heading"],
            meaning=plain["meaning"],
        )
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
        witnessed_at=dict(result.witnessed_at),
        child_name=result.child_name or None,
        setting_id=result.setting_id or None,
        setting_name=result.setting_name or None,
        exported_on=date.fromisoformat(result.exported_on) if result.exported_on else None,
        exported_not_before=exported_not_before(result),
        timestamped_at=result.timestamped_at,
        timestamp_authority=result.timestamp_authority,
        heading=None if known else "Intact, but who signed it is unknown",
        meaning=None if known else UNKNOWN_MEANING,
        described=[f"{what}: {words}" for what, words in described(result)],
    )
