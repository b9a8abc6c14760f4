"""Request bodies are bounded in the ASGI layer, before any route, dependency or sign-in
check reads them: no request can make the server hold memory in proportion to its size.

A declared `Content-Length` over the limit is answered 413 at once, without reading a byte
of the body; a body sent without one (chunked) is counted as it arrives and refused as soon
as it passes the limit. Only routes that take uploads have the larger upload limit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class UploadRoute:
    """A route that takes an upload, and the most it takes."""

    method: str
    path: re.Pattern[str]
    limit: int
    what: str  # said in the 413, e.g. "bundles"


class TooLarge(HTTPException):
    """Raised from inside a body read once the body passes its limit (FastAPI passes
    HTTPExceptions raised while parsing through, where any other error would become a 400)."""

    def __init__(self, limit: int, what: str) -> None:
        super().__init__(413, f"{what} are limited to {_size(limit)}")


def _size(limit: int) -> str:
    mib = limit / (1024 * 1024)
    return f"{mib:g} MiB" if mib >= 1 else f"{limit // 1024} KiB"


class BodyLimit:
    """ASGI middleware: `default` bytes for every request body, more only on `uploads`."""

    def __init__(self, app: ASGIApp, *, default: int, uploads: Sequence[UploadRoute]) -> None:
        self.app = app
        self.default = default
        self.uploads = tuple(uploads)

    def limit_for(self, method: str, path: str) -> tuple[int, str]:
        for route in self.uploads:
            if route.method == method and route.path.fullmatch(path):
                return route.limit, route.what
        return self.default, "request bodies"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, what = self.limit_for(scope["method"], scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, TooLarge(limit, what))
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge(limit, what)
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, error: TooLarge) -> None:
        # The app's own handler renders it (problem+json for the API, a page otherwise);
        # the connection closes after the answer, so the rest of the body is never read.
        handler = scope["app"].exception_handlers[HTTPException]
        response = await handler(Request(scope, receive), error)
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
