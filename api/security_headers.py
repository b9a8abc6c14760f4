"""Response headers that keep pages and personal data where they belong.

Pages run only the site's own scripts (no inline script: an injected `<script>` does not
run), cannot be framed (clickjacking), and send no referrer. Nothing with personal data is
kept in a browser's or proxy's cache (a shared computer in a nursery office); the static
assets, which hold none, may be.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
CACHEABLE = ("/static/", "/docs-assets/")


def headers_for(path: str) -> dict[str, str]:
    """The headers every response to `path` carries."""
    found = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": CSP,
    }
    if not path.startswith(CACHEABLE):
        found["Cache-Control"] = "no-store"
    return found


class SecurityHeaders:
    """ASGI middleware adding `headers_for(path)` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope["path"])

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name == "Content-Security-Policy" and name in headers:
                        continue  # a response's own, stricter policy (a served file's) stands
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)
