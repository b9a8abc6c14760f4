"""Recording an entry: the one use case behind every write, for the API and the pages.

The caller has loaded the child once and checked it is visible to the user (404
otherwise, exactly as for an unknown id). Then: the role rule (403), the row's own checks,
the expected version (from the body or an If-Match header), the command, which checks the
invariants against that same loaded record and stores one event or nothing. The answer
carries the record time the ledger gave the entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from api import schemas as s
from api.catalogue import Admitted, PathArgs, WriteKind
from api.deps import Services, permit, recorder
from api.users import User
from domain.child import ChildRecord
from domain.envelope import EnvelopeDraft
from domain.errors import DomainError, InvalidValue
from ledger.leaf import parse_time

IF_MATCH = re.compile(r'^(?:"([0-9]{1,10})"|([0-9]{1,10}))$')


def expected_version(in_body: int | None, if_match: str | None) -> int:
    """The version the caller expects, from the body or the If-Match header."""
    from_header: int | None = None
    if if_match is not None:
        found = IF_MATCH.match(if_match.strip())
        from_header = int(found.group(1) or found.group(2)) if found else 0
        if from_header < 1:
            raise InvalidValue(
                "If-Match must be the record's version, a whole number from 1", field="If-Match"
            )
    if in_body is not None and from_header is not None and in_body != from_header:
        raise InvalidValue(
            "expected_version and If-Match name different versions", field="expected_version"
        )
    version = in_body if in_body is not None else from_header
    if version is None:
        raise InvalidValue(
            "expected_version is required (in the body or an If-Match header)",
            field="expected_version",
        )
    return version


def record(
    svc: Services,
    user: User,
    child: ChildRecord,
    kind: WriteKind,
    body: s.Entry,
    *,
    path_args: PathArgs | None = None,
    if_match: str | None = None,
) -> s.RecordCreated:
    """Record one entry of `kind` on the visible `child` (loaded once by the caller)."""
    permit(user, kind.action)
    if kind.check is not None:
        kind.check(Admitted(svc, user, child), body)
    version = expected_version(body.expected_version, if_match)
    draft = EnvelopeDraft(
        body.occurred_at,
        recorder(user, child),
        basis=_basis(user, body),
        sensitivity=body.sensitivity,
        attachments=attached(svc, child.id, body.attachments),
    )
    with _fields_named(kind.renamed):
        command = kind.command_for(body, path_args or {})
        new_version = svc.records.handle(
            child.id, command, draft, expected_version=version, loaded=child
        )
    return s.RecordCreated(
        child_id=child.id,
        version=new_version,
        kind=command.records.__name__,
        recorded_at=recorded_at(svc, child.id, new_version),
    )


def recorded_at(svc: Services, child_id: UUID, version: int) -> Any:
    """The record time of the child's entry `version`, from its ledger leaf."""
    leaves = svc.ledger.leaves(str(child_id), after=version - 1)
    return parse_time(leaves[0].recorded_at)


def attached(svc: Services, child_id: UUID, digests: list[str]) -> list[dict[str, Any]]:
    """What the entry records of each file it names: refused unless the file was uploaded
    to this child's record first (nothing is stored then)."""
    found = []
    for digest in digests:
        document = svc.documents.describe(child_id, digest)
        if document is None:
            raise InvalidValue(
                "attachments: each must be the SHA-256 of a document uploaded to this "
                "child's record first (POST .../documents)",
                field="attachments",
            )
        found.append(document.as_attachment())
    return found


def _basis(user: User, body: s.Entry) -> str:
    """A parent's entries are always their own view: never fact or professional opinion."""
    if user.role != "parent":
        return body.basis
    if body.sensitivity != "normal":
        # A parent's own words are never hidden from the parent who wrote them.
        raise InvalidValue("a parent's entries have sensitivity normal", field="sensitivity")
    if "basis" in body.model_fields_set and body.basis != "parent_view":
        raise InvalidValue("a parent's entries have basis parent_view", field="basis")
    return "parent_view"


@contextmanager
def _fields_named(renamed: Mapping[str, str]) -> Iterator[None]:
    """Domain errors name the command's fields; say the request's name for them instead."""
    try:
        yield
    except DomainError as error:
        old = error.field
        if old is not None and old in renamed:
            error.message = error.message.replace(old, renamed[old])
            error.field = renamed[old]
        raise
