"""A person's own account: accepting an invitation (choosing a user name and password)
and turning the TOTP second factor on or off."""

from __future__ import annotations

import re
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from api.deps import ServicesDep
from api.passwords import (
    MAX_PASSWORD,
    code_step,
    hash_password,
    new_totp_secret,
    password_matches,
    password_problem,
    totp_qr_svg,
    totp_uri,
)
from api.session_store import same_token
from api.signin_limits import subjects
from api.users import MAX_LOGIN, UserError
from api.web.error_pages import error_page
from api.web.forms import FormState, typed
from api.web.render import page
from api.web.session import (
    SIGNIN_COOKIE,
    TWO_FACTOR_PAGE,
    TWO_FACTOR_ROLES,
    CheckedForm,
    Visitor,
    VisitorDep,
    secure,
)

router = APIRouter(include_in_schema=False)
SECRET = re.compile(r"^[A-Z2-7]{32}$")
LOGIN = re.compile(r"^[^\s]{3,254}$")
GONE = (
    "This invitation link has been used, withdrawn, or has expired. Ask your setting's "
    "administrator for a new one."
)


def _accept_page(
    request: Request, token: str, form: FormState, name: str, *, status: int = 200
) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = page(
        request,
        "accept_invitation.html",
        {"title": "Set up your account", "s": form, "name": name, "nonce": nonce, "token": token},
        status=status,
    )
    response.set_cookie(
        SIGNIN_COOKIE, nonce, httponly=True, samesite="strict", secure=secure(request), path="/"
    )
    return response


@router.get("/invitation/{token}", name="invitation_form")
def invitation_form(request: Request, svc: ServicesDep, token: str) -> Response:
    found = svc.invitations.find(token) if len(token) <= 100 else None
    if found is None:
        return error_page(request, 404, title="This link no longer works", explanation=GONE)
    return _accept_page(request, token, FormState(values={"login": found.email or ""}), found.name)


@router.post("/invitation/{token}")
async def accept(request: Request, svc: ServicesDep, token: str) -> Response:
    """Choose a user name and password; the invitation is used up, then sign in."""
    form = await request.form()
    found = svc.invitations.find(token) if len(token) <= 100 else None
    if found is None:
        return error_page(request, 404, title="This link no longer works", explanation=GONE)
    sent = form.get("nonce")
    if (
        not isinstance(sent, str)
        or not sent
        or not same_token(sent, request.cookies.get(SIGNIN_COOKIE, ""))
    ):
        return error_page(
            request,
            403,
            title="This form has expired",
            explanation="Nothing was saved. Open the invitation link again.",
        )
    values = typed(form)
    password, again = values.pop("password", ""), values.pop("password_again", "")
    state = FormState(values={"login": values.get("login", "")[:MAX_LOGIN]})
    login = state.value("login").strip()
    if not LOGIN.match(login):
        state.add(
            "login",
            "Enter a user name (or your email address) of 3 or more characters, without spaces",
        )
    problem = password_problem(password, user_name=login)
    if problem:
        state.add("password", problem)
    elif not same_token(again, password):
        state.add("password_again", "Enter the same password twice")
    if not state.failed:
        try:
            user = svc.invitations.accept(
                token, login=login, password_hash=hash_password(password[:MAX_PASSWORD])
            )
        except UserError as error:
            state.add("login", str(error).capitalize())
        else:
            if user is None:
                return error_page(request, 404, title="This link no longer works", explanation=GONE)
            response = RedirectResponse("/sign-in?accepted=1", status_code=303)
            response.delete_cookie(SIGNIN_COOKIE, path="/")
            return response
    return _accept_page(request, token, state, found.name, status=422)


def _two_factor_page(
    request: Request, who: Visitor, form: FormState, *, secret: str | None, status: int = 200
) -> Response:
    required = who.role in TWO_FACTOR_ROLES and request.app.state.services.settings.require_totp
    account = who.user.login or who.user.user_id
    return page(
        request,
        "two_factor.html",
        {
            "title": "Second factor",
            "s": form,
            "on": who.user.totp,
            "required": required,
            "secret": secret,
            "grouped": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
            if secret
            else "",
            "uri": totp_uri(secret, account) if secret else "",
            # segno draws the SVG from the otpauth address; no text of ours goes in unescaped.
            "qr": Markup(totp_qr_svg(totp_uri(secret, account))) if secret else "",  # noqa: S704
            "done": request.query_params.get("done", ""),
        },
        status=status,
    )


@router.get(TWO_FACTOR_PAGE)
def two_factor(request: Request, who: VisitorDep) -> Response:
    secret = None if who.user.totp else new_totp_secret()
    return _two_factor_page(request, who, FormState(), secret=secret)


@router.post(TWO_FACTOR_PAGE)
def set_two_factor(
    request: Request, svc: ServicesDep, who: VisitorDep, form: CheckedForm
) -> Response:
    """Turn it on (the code proves the app holds the secret) or off (with a current code;
    never where the settings require it)."""
    state = FormState(values={})
    code = form.get("code")
    code = code if isinstance(code, str) else ""
    if who.user.totp:
        if who.role in TWO_FACTOR_ROLES and svc.settings.require_totp:
            state.add(None, "Your role must keep a second factor at this setting")
        elif not svc.users.use_code(who.user.user_id, code):
            state.add("code", "Enter the code your authenticator app shows now")
        if state.failed:
            return _two_factor_page(request, who, state, secret=None, status=422)
        svc.users.set_totp(who.user.user_id, None)
        return RedirectResponse(f"{TWO_FACTOR_PAGE}?done=off", status_code=303)
    secret = form.get("secret")
    if not isinstance(secret, str) or not SECRET.match(secret):
        return _two_factor_page(request, who, state, secret=new_totp_secret(), status=422)
    step = code_step(secret, code)
    if step is None:
        state.add("code", "That code does not match: enter the 6 digits your app shows now")
        return _two_factor_page(request, who, state, secret=secret, status=422)
    svc.users.set_totp(who.user.user_id, secret, step)
    return RedirectResponse(f"{TWO_FACTOR_PAGE}?done=on", status_code=303)


CHANGE_PAGE = "/account/password"


def _password_page(request: Request, form: FormState, *, status: int = 200) -> Response:
    done = request.query_params.get("done") == "1"
    return page(
        request,
        "change_password.html",
        {"title": "Change your password", "s": form, "done": done},
        status=status,
    )


@router.get(CHANGE_PAGE)
def password_form(request: Request, who: VisitorDep) -> Response:
    if who.user.login is None:
        return error_page(request, 404)
    return _password_page(request, FormState())


@router.post(CHANGE_PAGE)
def change_password(
    request: Request, svc: ServicesDep, who: VisitorDep, form: CheckedForm
) -> Response:
    """A new password, once the current one is given (a failure counts towards the
    account's sign-in limit: this form is no way round it)."""
    if who.user.login is None:
        return error_page(request, 404)
    keys = subjects(who.user.login, None)
    wait = svc.limits.retry_after(keys)
    if wait is not None:
        return error_page(
            request,
            429,
            title="Too many wrong passwords",
            explanation="Nothing was changed. Please wait a few minutes and try again.",
        )
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    current, new = fields.get("current", ""), fields.get("password", "")
    state = FormState()
    if not password_matches(svc.users.password_hash(who.user.user_id), current[:MAX_PASSWORD]):
        svc.limits.failed(keys)
        state.add("current", "Enter your current password")
    problem = password_problem(new, user_name=who.user.login)
    if problem:
        state.add("password", problem)
    elif not same_token(fields.get("password_again", ""), new):
        state.add("password_again", "Enter the same new password twice")
    if state.failed:
        return _password_page(request, state, status=422)
    svc.users.set_password(who.user.user_id, hash_password(new))
    return RedirectResponse(f"{CHANGE_PAGE}?done=1", status_code=303)
