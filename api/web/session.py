"""Who is signed in to the pages, their cookie, and the CSRF check on every POST form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from api.deps import ServicesDep
from api.session_store import LIFETIME, csrf_token, same_token
from api.users import User

SESSION_COOKIE = "sendtrail_session"
# Before sign-in there is no session: the sign-in form is protected by a double-submit
# cookie instead, so another site cannot sign a browser in as someone else.
SIGNIN_COOKIE = "sendtrail_signin"


class SignInRequired(Exception):
    """No live session: the visitor is sent to the sign-in page."""


class TwoFactorRequired(Exception):
    """An admin or SENCO without a second factor where the settings require one: sent to
    turn it on before anything else."""


TWO_FACTOR_PAGE = "/account/two-factor"
TWO_FACTOR_ROLES = ("admin", "senco")


class CsrfRefused(Exception):
    """A POST without this session's CSRF token: refused, nothing done."""


@dataclass(frozen=True)
class Visitor:
    """The signed-in user of this request, and their session."""

    user: User
    session_id: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.session_id)

    @property
    def role(self) -> str:
        return self.user.role


def visitor(request: Request, svc: ServicesDep) -> Visitor:
    """The signed-in visitor, or SignInRequired (which redirects to the sign-in page)."""
    session_id = request.cookies.get(SESSION_COOKIE)
    user = svc.sessions.user(session_id) if session_id else None
    if user is None or session_id is None:
        raise SignInRequired
    found = Visitor(user, session_id)
    request.state.visitor = found  # for the page header, error pages included
    if (
        svc.settings.require_totp
        and user.role in TWO_FACTOR_ROLES
        and not user.totp
        and request.url.path not in (TWO_FACTOR_PAGE, "/sign-out")
    ):
        raise TwoFactorRequired
    return found


VisitorDep = Annotated[Visitor, Depends(visitor)]


async def checked_form(request: Request, who: VisitorDep) -> FormData:
    """The POSTed form, once its CSRF token is this session's (CsrfRefused otherwise)."""
    form = await request.form()
    sent = form.get("csrf")
    if not same_token(sent if isinstance(sent, str) else None, who.csrf):
        raise CsrfRefused
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, session_id: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=secure(request),
        path="/",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="strict", secure=secure(request), path="/"
    )
