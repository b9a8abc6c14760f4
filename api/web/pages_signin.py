"""Signing in with a user's token, signing out, and each role's start page."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import ServicesDep
from api.session_store import same_token
from api.users import User
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
    signed_out: bool = False,
    next_page: str | None = None,
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
            "signed_out": signed_out,
        },
        status=status,
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
    nonce: Annotated[str, Form()] = "",
    next_page: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Check the token (never shown back, never logged) and open a session."""
    if not same_token(nonce, request.cookies.get(SIGNIN_COOKIE, "")) or not nonce:
        return _sign_in_page(
            request,
            status=403,
            error="The sign-in form had expired. Please try again.",
            next_page=next_page,
        )
    token = token.strip()
    user = svc.users.authenticate(token) if 0 < len(token) <= MAX_TOKEN else None
    if user is None:
        message = (
            "Enter your sign-in token"
            if not token
            else "That token was not recognised, or it has expired or been revoked"
        )
        return _sign_in_page(
            request, status=401 if token else 422, error=message, next_page=next_page
        )
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        svc.sessions.close(old)
    response = RedirectResponse(_local(next_page) or home_of(user), status_code=303)
    set_session_cookie(response, request, svc.sessions.open(user))
    response.delete_cookie(SIGNIN_COOKIE, path="/")
    return response


@router.post("/sign-out")
def sign_out(request: Request, svc: ServicesDep, who: VisitorDep, _form: CheckedForm) -> Response:
    """End the session at once: its cookie opens nothing any more."""
    svc.sessions.close(who.session_id)
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    clear_session_cookie(response, request)
    return response
