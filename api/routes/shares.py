"""Sharing a child's record with an outside body (an LA's caseworkers, an inspectorate):
`RecordShared` names the body, the consent it rests on and, by its date, from when; an
inspector or LA caseworker reads only children shared with their body, and a withdrawn
consent (or `ShareWithdrawn`) ends it."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from pydantic import Field

from api import schemas as s
from api.deps import ServicesDep, UserDep, child_action
from api.errors import documented
from api.routes.records import RESPONSES, IfMatch, PathIdent, _admit
from domain import events as ev
from domain.application import ChildRecords

router = APIRouter(tags=["shares"], responses=documented(401))


class ShareIn(s.Entry):
    model_config = s._examples(
        {**s.ENVELOPE, "share_id": "la-1", "shared_with": "example-shire", "consent_id": "c2"}
    )

    share_id: s.Ident
    shared_with: s.Ident = Field(description="The body's code, as its users carry it.")
    consent_id: s.Ident = Field(description="A live consent with purpose share_with_la.")


class ShareWithdrawalIn(s.Entry):
    model_config = s._examples({**s.ENVELOPE, "reason": "The LA's assessment ended."})

    reason: s.ShortText


@router.post(
    "/children/{child_id}/shares",
    status_code=201,
    response_model=s.RecordCreated,
    responses=RESPONSES,
    summary="Share the record with an LA or inspectorate",
    dependencies=[child_action("record.share")],
    openapi_extra={"x-permission": "record.share"},
)
def share(
    child_id: UUID, body: ShareIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """From the entry's date, under a live consent to share with the LA (409 otherwise)."""
    write = _admit(svc, user, child_id, body, if_match, "record.share")
    return write.run(ChildRecords.share, ev.RecordShared)


@router.post(
    "/children/{child_id}/shares/{share_id}/withdrawal",
    status_code=201,
    response_model=s.RecordCreated,
    responses=RESPONSES,
    summary="End a share",
    dependencies=[child_action("record.share")],
    openapi_extra={"x-permission": "record.share"},
)
def withdrawal(
    child_id: UUID,
    share_id: PathIdent,
    body: ShareWithdrawalIn,
    svc: ServicesDep,
    user: UserDep,
    if_match: IfMatch = None,
) -> s.RecordCreated:
    write = _admit(svc, user, child_id, body, if_match, "record.share")
    return write.run(
        ChildRecords.withdraw_share,
        ev.ShareWithdrawn,
        payload={"share_id": share_id, "reason": body.reason},
    )
