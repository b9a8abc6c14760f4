"""One POST per kind of record, under /v1/children/{child_id}/..., made from the write
catalogue (api/catalogue.py): a route per row, each running api/recording.py's one use
case. The child is loaded once, by the route's dependency: 404 unless it is visible to
the caller (exactly as for an unknown id), then 403 unless the role may do the row's
action, both before the body is validated; the command runs on that same loaded record.
"""

from __future__ import annotations

from collections.abc import Callable
from inspect import Parameter, Signature
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Path

from api import schemas as s
from api.catalogue import WRITES, WriteKind
from api.deps import ServicesDep, UserDep, admitted_child
from api.errors import documented
from api.services.recording import record
from domain.child import ChildRecord

router = APIRouter(responses=documented(401))

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The expected version, e.g. `7` or `"7"`, when the body has none.',
        # Documented here; checked by api.services.recording.expected_version (a 422
        # naming If-Match).
        json_schema_extra={"pattern": r'^\s*(?:"[0-9]{1,10}"|[0-9]{1,10})\s*$'},
    ),
]
PathIdent = Annotated[str, Path(pattern=s.IDENT_PATTERN)]
RESPONSES = documented(
    400, 403, 404, 409, 410, 422, meaning={403: "Your role may not record this kind of entry."}
)


def route_for(kind: WriteKind) -> Callable[..., s.RecordCreated]:
    """The endpoint of one row: its path parameters, its input model, the loaded child."""

    def endpoint(**given: Any) -> s.RecordCreated:
        path_args = {name: given[name] for name in kind.path_params}
        return record(
            given["svc"],
            given["user"],
            given["child"],
            kind,
            given["body"],
            path_args=path_args,
            if_match=given["if_match"],
        )

    keyword = Parameter.KEYWORD_ONLY
    endpoint.__signature__ = Signature(  # type: ignore[attr-defined]
        [
            Parameter("child_id", keyword, annotation=UUID),
            *(Parameter(name, keyword, annotation=PathIdent) for name in kind.path_params),
            Parameter("body", keyword, annotation=kind.model),
            Parameter("svc", keyword, annotation=ServicesDep),
            Parameter("user", keyword, annotation=UserDep),
            Parameter(
                "child", keyword, annotation=Annotated[ChildRecord, admitted_child(kind.action)]
            ),
            Parameter("if_match", keyword, annotation=IfMatch, default=None),
        ],
        return_annotation=s.RecordCreated,
    )
    endpoint.__name__ = kind.slug.replace("-", "_")
    endpoint.__doc__ = kind.description
    return endpoint


for _kind in WRITES:
    router.post(
        f"/children/{{child_id}}/{_kind.path}",
        status_code=201,
        response_model=s.RecordCreated,
        responses=RESPONSES,
        summary=_kind.summary,
        tags=list(_kind.tags),
        openapi_extra={"x-permission": _kind.action},
    )(route_for(_kind))
