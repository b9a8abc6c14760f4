"""Signing in with a user's token, signing out, and each role's start page."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import Services, ServicesDep
from api.passwords import MAX_PASSWORD, password_matches
from api.session_store import same_token
from api.signin_limits import subjects
from api.users import MAX_LOGIN, User
from api.web.render import page
from api.web.session import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    CheckedForm,
    VisitorDep,
    clear_session_cookie,
    secure,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False)
MAX_TOKEN = 200


def home_of(user: User) -> str:
    """Where each role starts: the work it comes for."""
    if user.role == "parent" and user.child_id:
        return f"/children/{user.child_id}"
    return {"senco": "/dashboard", "admin": "/dashboard", "inspector": "/verify"}.get(
        user.role, "/children"
    )


def _local(target: str | None) -> str | None:
    """A 'next' address only if it is a path on this site (no open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None


def _sign_in_page(
    request: Request,
    *,
    status: int = 200,
    error: str | None = None,
    field: str = "login",
    signed_out: bool = False,
    next_page: str | None = None,
    login: str = "",
    headers: dict[str, str] | None = None,
) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = page(
        request,
        "sign_in.html",
        {
            "title": "Sign in",
            "nonce": nonce,
            "next": _local(next_page or request.query_params.get("next")) or "",
            "error": error,
            "field": field,
            "login": login[:MAX_LOGIN],
            "signed_out": signed_out,
            "accepted": request.query_params.get("accepted") == "1",
        },
        status=status,
        headers=headers,
    )
    response.set_cookie(
        SIGNIN_COOKIE, nonce, httponly=True, samesite="strict", secure=secure(request), path="/"
    )
    return response


@router.get("/")
def start(request: Request, svc: ServicesDep) -> Response:
    """Signed in: your start page. Otherwise: sign in."""
    session_id = request.cookies.get(SESSION_COOKIE)
    user = svc.sessions.user(session_id) if session_id else None
    if user is not None:
        return RedirectResponse(home_of(user), status_code=303)
    return _sign_in_page(request)


@router.get("/sign-in")
def sign_in_form(request: Request) -> Response:
    return _sign_in_page(request, signed_out=request.query_params.get("signed_out") == "1")


@router.post("/sign-in")
def sign_in(
    request: Request,
    svc: ServicesDep,
    token: Annotated[str, Form()] = "",
    login: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    nonce: Annotated[str, Form()] = "",
    via: Annotated[str, Form()] = "",
    next_page: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Check the token, or the user name, password and code (none of them ever shown back
    or logged), within the rate limits, and open a session."""
    if not same_token(nonce, request.cookies.get(SIGNIN_COOKIE, "")) or not nonce:
        return _sign_in_page(
            request,
            status=403,
            error="The sign-in form had expired. Please try again.",
            next_page=next_page,
        )
    by_token = via == "token" or bool(token.strip())
    address = request.client.host if request.client else None
    keys = subjects(None if by_token else login, address)
    wait = svc.limits.retry_after(keys)
    if wait is not None:
        minutes = max(1, round(wait / 60))
        return _sign_in_page(
            request,
            status=429,
            error=f"Too many failed sign-ins. Please wait {minutes} minute"
            f"{'' if minutes == 1 else 's'} and try again.",
            field="token" if by_token else "login",
            next_page=next_page,
            headers={"Retry-After": str(wait)},
        )
    user, field, message = (
        _by_token(svc, token.strip(), code)
        if by_token
        else _by_password(svc, login, password, code)
    )
    if user is None:
        if message not in BLANK:
            svc.limits.failed(keys)
        return _sign_in_page(
            request,
            status=422 if message in BLANK else 401,
            error=message,
            field=field,
            next_page=next_page,
            login="" if by_token else login,
        )
    if not by_token:
        svc.limits.succeeded(subjects(login, None))
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        svc.sessions.close(old)
    response = RedirectResponse(_local(next_page) or home_of(user), status_code=303)
    set_session_cookie(response, request, svc.sessions.open(user))
    response.delete_cookie(SIGNIN_COOKIE, path="/")
    return response


BLANK_KEY = "Enter your sign-in token"
BLANK_LOGIN = "Enter your user name and password"
BLANK_CODE = "Enter the 6-digit code from your authenticator app"
BLANK = (BLANK_KEY, BLANK_LOGIN, BLANK_CODE)


def _by_token(svc: Services, token: str, code: str) -> tuple[User | None, str, str]:
    """The token's user; one who turned on a second factor also gives a current code."""
    if not token:
        return None, "token", BLANK_KEY
    user = svc.users.authenticate(token) if len(token) <= MAX_TOKEN else None
    if user is None:
        return None, "token", "That token was not recognised, or it has expired or been revoked"
    if user.totp:
        if not code.strip():
            return None, "token-code", BLANK_CODE
        if not svc.users.use_code(user.user_id, code):
            return None, "token-code", "That code is not the current one: enter the newest code"
    return user, "token", ""


def _by_password(
    svc: Services, login: str, password: str, code: str
) -> tuple[User | None, str, str]:
    """The user if the user name, password and (when they turned it on) code are right;
    the same words whether the user name or the password was wrong."""
    if not login.strip() or not password:
        return None, "login", BLANK_LOGIN
    found = svc.users.credentials(login) if len(login) <= MAX_LOGIN else None
    ok = password_matches(found[1] if found else None, password[:MAX_PASSWORD])
    if found is None or not ok:
        return None, "login", "That user name and password do not match an account"
    user = found[0]
    if user.totp:
        if not code.strip():
            return None, "code", BLANK_CODE
        if not svc.users.use_code(user.user_id, code):
            return None, "code", "That code is not the current one: enter the newest code"
    return user, "login", ""


@router.post("/sign-out")
def sign_out(request: Request, svc: ServicesDep, who: VisitorDep, _form: CheckedForm) -> Response:
    """End the session at once: its cookie opens nothing any more."""
    svc.sessions.close(who.session_id)
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    clear_session_cookie(response, request)
    return response
