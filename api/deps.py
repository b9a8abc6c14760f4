"""Request dependencies: the wired services, the signed-in user, and child visibility."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.bootstrap import Exporter
from api.invitations import InvitationStore
from api.permissions import allows
from api.schemas import RecordTime, WorldDay
from api.session_store import WebSessions
from api.settings import Settings
from api.signin_limits import SignInLimits
from api.users import User, UserStore
from domain.application import ChildRecords
from domain.child import ChildRecord
from domain.envelope import RecordedBy
from domain.errors import ChildNotFound
from ledger.documents import DocumentStore
from ledger.log import Ledger
from projections import disclosure
from projections.views import ChildViews

STAFF = ("admin", "senco", "practitioner")


@dataclass
class Services:
    """Everything a request may use, built once by the app's lifespan."""

    settings: Settings
    records: ChildRecords
    ledger: Ledger
    views: ChildViews
    exporter: Exporter
    users: UserStore
    sessions: WebSessions
    documents: DocumentStore
    invitations: InvitationStore
    limits: SignInLimits


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


bearer = HTTPBearer(auto_error=False, description="A token from `sendtrail users add`.")


def current_user(
    svc: Annotated[Services, Depends(services)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    if credentials is None:
        raise HTTPException(401, "a bearer token is required")
    user = svc.users.authenticate(credentials.credentials)
    if user is None:
        raise HTTPException(401, "the token is unknown, expired or revoked")
    return user


ServicesDep = Annotated[Services, Depends(services)]
UserDep = Annotated[User, Depends(current_user)]
AsOf = Annotated[
    WorldDay | None,
    Query(description="World date (1900-01-01 to 2999-12-31): the record as it stood then."),
]
KnownAt = Annotated[
    RecordTime | None,
    Query(description="Record time (ISO 8601 with zone): only what was recorded by then."),
]


def require(user: User, *roles: str) -> None:
    """403 unless the user has one of `roles`."""
    if user.role not in roles:
        raise HTTPException(403, f"the {user.role} role cannot do this")


def permit(user: User, action: str) -> None:
    """403 unless the permission table (api.permissions) lets the user's role do `action`."""
    if not allows(user.role, action):
        raise HTTPException(403, f"the {user.role} role cannot do this")


def child_action(action: str) -> Any:
    """A route dependency: 404 unless the child is visible, then 403 unless the role may
    do `action` — both before the body is validated, so a refused caller learns nothing
    from how their body would have been judged."""

    def check(child_id: UUID, svc: ServicesDep, user: UserDep) -> None:
        visible_child(svc, user, child_id)
        permit(user, action)

    return Depends(check)


def admitted_child(action: str) -> Any:
    """A route dependency giving the child, loaded once for the whole request: 404 unless
    it is visible, then 403 unless the role may do `action` — both before the body is
    validated. The record it gives is the store's cached copy: read it, never change it."""

    def admitted(child_id: UUID, svc: ServicesDep, user: UserDep) -> ChildRecord:
        child = visible_child(svc, user, child_id)
        permit(user, action)
        return child

    return Depends(admitted)


def role_action(action: str) -> Any:
    """A route dependency: 403 unless the role may do `action`, before the body is validated."""

    def check(user: UserDep) -> None:
        permit(user, action)

    return Depends(check)


def visible_child(svc: Services, user: User, child_id: UUID) -> ChildRecord:
    """The child if this user may see it; otherwise 404, exactly like an unknown id."""
    child = svc.records.get_child(child_id, read_only=True)
    if not may_see(user, child):
        raise ChildNotFound("no such child", field="child_id")
    return child


def may_see(user: User, child: ChildRecord) -> bool:
    """Whether `user` may see `child` at all: a parent only their own child; an inspector
    or LA caseworker only a child with a live share naming their body (RecordShared under
    a live consent); staff only the children of their own setting; a child whose
    processing is restricted only an admin."""
    if child.restricted and user.role != "admin":
        return False
    if user.role == "parent":
        return user.child_id == str(child.id)
    if user.role == "inspector":
        return user.organisation is not None and child.is_shared_with(user.organisation)
    return child.setting_id == user.setting_id


def withheld_from(svc: Services, user: User, child_id: UUID) -> dict[int, str]:
    """The versions this user does not receive, with why (projections.disclosure: the one
    rule for the API, the pages and the subject access bundle)."""
    return disclosure.withheld(svc.views.timeline.entries(child_id), user.role)


def withheld_listing(
    svc: Services,
    child_id: UUID,
    hidden: dict[int, str],
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> list[dict[str, object]]:
    """The withheld entries a view at (as_of, known_at) would have shown: listed as
    withheld (version, kind, reason), never silently dropped."""
    if not hidden:
        return []
    return disclosure.listed(svc.views.admitted(child_id, as_of=as_of, known_at=known_at), hidden)


def log_read(
    svc: Services,
    user: User,
    child_id: UUID,
    view: str,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> None:
    """Append this read of the child's record to its access log (itself in the ledger)."""
    svc.records.note_access(
        child_id,
        user=user.user_id,
        role=user.role,
        setting=user.setting_id,
        view=view,
        as_of=as_of.isoformat() if as_of else None,
        known_at=known_at.isoformat() if known_at else None,
    )


def recorder(user: User, child: ChildRecord) -> RecordedBy:
    """The envelope's `recorded_by` for this user (an id and role, never a name)."""
    return RecordedBy(user.user_id, user.role, child.setting_id)
