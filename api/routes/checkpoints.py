"""Signed checkpoints and consistency proofs, for anyone holding an older checkpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from api.deps import ServicesDep, UserDep
from api.errors import documented

router = APIRouter(tags=["checkpoints"], responses=documented(401))


class Consistency(BaseModel):
    old_size: int
    new_size: int
    proof: list[str]


@router.get(
    "/checkpoints/latest",
    response_class=PlainTextResponse,
    responses=documented(404, meaning={404: "No checkpoint has been signed yet."}),
    summary="The latest stored checkpoint (C2SP signed note)",
)
def latest(svc: ServicesDep, _user: UserDep) -> str:
    """The latest checkpoint signed by `serve`'s schedule or `sendtrail checkpoint`; a
    read never signs (it may be a little behind the log's size)."""
    note = svc.ledger.latest_checkpoint()
    if note is None:
        raise HTTPException(404, "no checkpoint has been signed yet")
    return note


@router.get(
    "/checkpoints/consistency",
    response_model=Consistency,
    responses=documented(
        422, meaning={422: "from or to malformed, or not 1 <= from <= to <= the log's size."}
    ),
    summary="RFC 9162 consistency proof between two tree sizes",
)
def consistency(
    svc: ServicesDep,
    _user: UserDep,
    from_: Annotated[int, Query(alias="from", ge=1)],
    to: Annotated[int, Query(ge=1)],
) -> Consistency:
    size = svc.ledger.size()
    if not from_ <= to <= size:
        raise HTTPException(422, f"need 1 <= from <= to <= {size}")
    proof = svc.ledger.consistency_proof(from_, to)
    return Consistency(old_size=from_, new_size=to, proof=[h.hex() for h in proof])
