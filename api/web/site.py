"""Adds the pages, their stylesheet and their two own refusals (signed out, bad CSRF)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.web import (
    pages_account,
    pages_admin,
    pages_child,
    pages_dashboard,
    pages_documents,
    pages_export,
    pages_forms,
    pages_groups,
    pages_import,
    pages_inbox,
    pages_inspector,
    pages_keys,
    pages_la,
    pages_new_child,
    pages_provision,
    pages_signin,
)
from api.web.error_pages import csrf_refused
from api.web.session import TWO_FACTOR_PAGE, CsrfRefused, SignInRequired, TwoFactorRequired

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Serve the pages from `app` (outside /v1; none of them in the OpenAPI document)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (
        pages_signin,
        pages_account,
        pages_admin,
        pages_dashboard,
        pages_new_child,  # before pages_child: /children/new is not a child's id
        pages_child,
        pages_forms,
        pages_groups,
        pages_inbox,
        pages_import,
        pages_documents,
        pages_export,
        pages_inspector,
        pages_keys,
        pages_la,
        pages_provision,
    ):
        app.include_router(module.router)

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, _: SignInRequired) -> Response:
        # After signing in, a GET comes back to where it was; a POST starts again.
        here = request.url.path if request.method == "GET" else ""
        target = f"/sign-in?next={quote(here)}" if here and here != "/" else "/sign-in"
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(TwoFactorRequired)
    async def two_factor_first(_request: Request, _: TwoFactorRequired) -> Response:
        return RedirectResponse(TWO_FACTOR_PAGE, status_code=303)

    @app.exception_handler(CsrfRefused)
    async def refused(request: Request, _: CsrfRefused) -> Response:
        return csrf_refused(request)
