"""The API documentation page, served entirely from this server: Swagger UI's files come from
a pinned Python package installed with the project (no CDN, so the page works on an offline
school network) and start from our own script file (no inline script)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

# fastapi-offline ships Swagger UI's release files; we use them and nothing else of it.
ASSETS = Path(str(files("fastapi_offline") / "static"))

PAGE = """<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sendtrail API</title>
<link rel="stylesheet" href="/docs-assets/swagger-ui.css">
<script src="/docs-assets/swagger-ui-bundle.js" defer></script>
<script src="/static/docs.js" defer></script>
</head>
<body><div id="swagger-ui"></div></body>
</html>
"""


def install(app: FastAPI) -> None:
    """Serve /docs and its assets from `app`."""
    app.mount("/docs-assets", StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(PAGE)
