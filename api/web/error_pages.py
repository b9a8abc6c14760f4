"""Errors on pages answer with a plain HTML page, never problem+json and never the input.

`api.errors` asks `is_page` for each error and hands pages here. The texts are fixed per
status: a child you may not see and an unknown id give the same page, byte for byte.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.web.render import page

API_PREFIXES = ("/v1", "/docs", "/redoc", "/openapi.json")

TEXTS: dict[int, tuple[str, str]] = {
    400: ("The request could not be read", "Go back, reload the page and try again."),
    403: ("You cannot do this", "Your role does not allow this. Ask your SENCO if you need it."),
    404: (
        "Page not found",
        "There is no such page or child record, or it is not one you may see. "
        "Check the address, or start again from your home page.",
    ),
    405: ("You cannot do this here", "This page does not accept that. Go back and try again."),
    409: ("This cannot be done now", "The record's state does not allow it."),
    410: (
        "This record was erased",
        "The child's record was erased for good: nothing of it can be shown any more.",
    ),
    413: ("The file is too large", "Files are limited to 50 MB."),
    503: (
        "The records are unavailable for a moment",
        "They cannot be read or saved just now. Nothing was saved; please try again in a "
        "few minutes.",
    ),
    500: (
        "Sorry, something went wrong",
        "Something went wrong on our side. Nothing you typed was shown or kept in a log; "
        "please try again in a moment.",
    ),
}
CSRF = (
    "This form has expired",
    "The form did not come from this session (perhaps you signed in again since it was "
    "opened). Nothing was saved. Go back, reload the page and try again.",
)


def is_page(request: Request) -> bool:
    """Whether the request is for a page (everything outside the JSON API and its docs)."""
    path = request.url.path
    return not any(path == p or path.startswith(p + "/") for p in API_PREFIXES)


def error_page(
    request: Request,
    status: int,
    *,
    explanation: str | None = None,
    title: str | None = None,
) -> HTMLResponse:
    """The page for `status`; `explanation` only ever comes from our own code, not input."""
    heading, text = TEXTS.get(status, TEXTS[500] if status >= 500 else TEXTS[400])
    return page(
        request,
        "error.html",
        {"title": title or heading, "explanation": explanation or text, "status": status},
        status=status,
    )


def csrf_refused(request: Request) -> HTMLResponse:
    title, text = CSRF
    return error_page(request, 403, title=title, explanation=text)
