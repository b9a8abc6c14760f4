"""The one table that turns errors into HTTP problems (RFC 9457 problem+json).

Bodies name the field and the rule, never the value sent, and never a stack trace.
Requests for pages (outside /v1 and the docs) get the same statuses as plain HTML pages.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any
from uuid import uuid4

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException

from api.schemas import Problem
from api.unavailable import FAULTS, unavailable
from api.web.error_pages import error_page, is_page
from domain import errors as de
from projections.la_profile import ProfileError, UnknownProfile

LOG = logging.getLogger("sendtrail.api")
PROBLEM = "application/problem+json"

# An erased record answers 410 Gone: its setting went with its key, so visibility can no
# longer be checked, and ids are random (only someone who held the id learns it is gone).
STATUS: list[tuple[type[de.DomainError], int]] = [
    (de.ChildErased, 410),
    (de.ChildNotFound, 404),
    (de.EntryNotFound, 404),
    (de.VersionConflict, 409),
    (de.ChildExists, 409),
    (de.InvariantViolation, 409),
    (de.UnsupportedMediaType, 415),
    (de.InvalidValue, 422),
    (de.DomainError, 422),
]

TITLES = {
    400: "Unreadable body",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    415: "Unsupported media type",
    410: "Gone",
    413: "Too large",
    422: "Invalid input",
    500: "Internal error",
    503: "Unavailable",
}


# What each problem means, for the OpenAPI document; a route may say it more exactly.
MEANINGS = {
    400: "The body is not readable (not UTF-8 JSON).",
    401: "No bearer token, or an unknown, expired or revoked one.",
    403: "Your role may not do this.",
    404: "No such child, or not one you may see.",
    409: "Stale expected_version, or the record's state does not allow this.",
    410: "The child's record was erased: nothing of it can be read any more.",
    413: "The upload is too large.",
    415: "The file is not of an accepted type (read from its bytes); the rule is named.",
    422: "A field breaks a rule; the field is named, its value never echoed.",
    503: "Busy or unavailable for a moment; retry after the Retry-After header's seconds.",
}


def documented(
    *statuses: int, meaning: dict[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route that can answer with these problems (problem+json)."""
    schema = Problem.model_json_schema()
    return {
        status: {
            "description": (meaning or {}).get(status, MEANINGS[status]),
            "content": {PROBLEM: {"schema": schema}},
        }
        for status in statuses
    }


def problem(
    status: int, detail: str, *, code: str | None = None, extra: dict[str, Any] | None = None
) -> JSONResponse:
    body = {
        "type": f"https://sendtrail.local/problems/{code or status}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **(extra or {}),
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def named_rule(error: Any) -> dict[str, str]:
    """The field and the rule a validation error names, without pydantic's echo of the input
    (it may be personal). An unknown key is itself input: the object holding it is named."""
    where = [str(p) for p in error.get("loc", ()) if p != "body"]
    if error.get("type") == "extra_forbidden":
        return {
            "field": ".".join(where[:-1]) or "body",
            "rule": "holds a field the schema does not define (see the API documentation)",
        }
    return {"field": ".".join(where), "rule": error.get("msg", "invalid")}


def status_of(error: de.DomainError) -> int:
    return next(code for kind, code in STATUS if isinstance(error, kind))


def install(app: FastAPI) -> None:
    """Register the handlers on an app."""

    @app.exception_handler(de.DomainError)
    async def domain_error(request: Request, error: de.DomainError) -> JSONResponse | HTMLResponse:
        if is_page(request):
            return error_page(request, status_of(error))
        extra: dict[str, Any] = {"field": error.field} if error.field else {}
        if isinstance(error, de.VersionConflict):
            extra["current_version"] = error.actual
        return problem(status_of(error), error.message, code=error.code, extra=extra)

    @app.exception_handler(RequestValidationError)
    async def invalid(
        request: Request, error: RequestValidationError
    ) -> JSONResponse | HTMLResponse:
        if is_page(request):
            # Pages validate their own fields; what reaches here is a malformed id in the
            # address, which to a reader is simply a page that does not exist.
            return error_page(request, 404)
        fields = [named_rule(e) for e in error.errors()]
        first = fields[0] if fields else {"field": "", "rule": "invalid"}
        return problem(
            422,
            f"{first['field']}: {first['rule']}",
            code="invalid_value",
            extra={"field": first["field"], "errors": fields},
        )

    @app.exception_handler(UnknownProfile)
    async def unknown_profile(_: Request, _error: UnknownProfile) -> JSONResponse:
        return problem(
            422,
            "la: names no LA profile in use (see GET /v1/la-profiles)",
            code="unknown_la_profile",
            extra={"field": "la"},
        )

    @app.exception_handler(ProfileError)
    async def broken_profile(_: Request, error: ProfileError) -> JSONResponse:
        # The file's name and the rule it breaks: the profile is the setting's, not personal.
        return problem(
            409,
            f"the LA profile file {error.path.name} is broken ({error.field}: {error.rule})",
            code="broken_la_profile",
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse | HTMLResponse:
        if is_page(request):
            # A 409's detail is our own sentence (why an export cannot be made now).
            said = str(error.detail) if error.status_code in (409, 503) else None
            page = error_page(request, error.status_code, explanation=said)
            page.headers.update(error.headers or {})
            return page
        answer = problem(error.status_code, str(error.detail))
        answer.headers.update(error.headers or {})  # Retry-After, say
        return answer

    async def storage_fault(request: Request, error: Exception) -> JSONResponse | HTMLResponse:
        said = unavailable(error)
        if said is None:  # a library error that is not about storage: a bug of ours
            return await unexpected(request, error)
        LOG.warning("unavailable: %s (%s)", said.code, type(error).__name__)
        retry = {"Retry-After": str(said.retry_after)}
        if is_page(request):
            response = error_page(request, 503, explanation=said.detail)
            response.headers.update(retry)
            return response
        answer = problem(503, f"storage unavailable: {said.detail}", code=said.code)
        answer.headers.update(retry)
        return answer

    for kind in FAULTS:
        app.add_exception_handler(kind, storage_fault)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse | HTMLResponse:
        request_id = uuid4().hex[:12]
        # The type and a request id only: an exception's message can carry what was sent
        # or stored (a database error quotes the row).
        LOG.error("unhandled %s (request %s)", type(error).__name__, request_id)
        with suppress(AttributeError):
            error.sendtrail_logged = True  # type: ignore[attr-defined]
        if is_page(request):
            return error_page(request, 500)
        return problem(
            500,
            "Something went wrong on our side; please try again.",
            extra={"request_id": request_id},
        )

    quiet_server_errors()


class OneLineErrors(logging.Filter):
    """Keeps tracebacks, and the messages inside them, out of the server's log. Starlette
    re-raises an unhandled error after our handler has answered, for the server to log with
    its traceback: that record is dropped (the handler logged one line already); any other
    error record keeps one line naming the error's type."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info:
            return True
        error = record.exc_info[1]
        if getattr(error, "sendtrail_logged", False):
            return False
        record.msg, record.args = "%s: %s", (record.getMessage(), type(error).__name__)
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


class Queryless(logging.Filter):
    """Keeps query strings out of the server's access log: a search for a child's name
    (`/children?q=...`) is personal data. uvicorn's access records carry
    (client, method, path with query, HTTP version, status) as their arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def quiet_server_errors() -> None:
    """Install `OneLineErrors` on the loggers the ASGI server logs errors to, and
    `Queryless` on its access log (once)."""
    for name in ("uvicorn.error", "sendtrail.api"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, OneLineErrors) for f in logger.filters):
            logger.addFilter(OneLineErrors())
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, Queryless) for f in access.filters):
        access.addFilter(Queryless())
