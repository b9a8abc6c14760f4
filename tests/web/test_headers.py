"""Headers on every response: pages run only our own scripts and cannot be framed, nothing
with personal data is cached, and the API docs work with no internet (no CDN)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import Client
from tests.web.world import World


def csp_directives(value: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in value.split(";") if part.strip())


def test_pages_forbid_inline_script_and_framing(as_: Client, world: World) -> None:
    response = as_("senco").get(f"/children/{world.own}")

    assert response.status_code == 200
    csp = csp_directives(response.headers["content-security-policy"])
    assert csp["script-src"] == "'self'"
    assert "unsafe-inline" not in csp["script-src"]
    assert csp["frame-ancestors"] == "'none'"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] in ("no-referrer", "same-origin")
    assert response.headers["cache-control"] == "no-store"


def test_pages_hold_no_inline_script(as_: Client, world: World) -> None:
    client = as_("senco")
    for path in ("/dashboard", "/children", f"/children/{world.own}", "/verify"):
        html = client.get(path).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, (path, tag)
        assert not re.search(r"\son[a-z]+=", html), path  # no inline event handlers


def test_api_answers_with_personal_data_are_never_cached(app: FastAPI, world: World) -> None:
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {world.tokens['senco']}"
    for path in ("/v1/children", f"/v1/children/{world.own}/chronology"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
    problem = client.get("/v1/children/not-an-id")
    assert problem.headers["cache-control"] == "no-store"


def test_the_api_docs_load_everything_from_this_server(app: FastAPI) -> None:
    client = TestClient(app)
    page = client.get("/docs")

    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets, "the docs page loads Swagger UI"
    for asset in assets:
        assert asset.startswith("/"), f"{asset} is not on this server"
        fetched = client.get(asset)
        assert fetched.status_code == 200, asset
        assert len(fetched.content) > 100, asset
    assert "SwaggerUIBundle" in client.get("/docs-assets/swagger-ui-bundle.js").text
    for tag in re.findall(r"<script\b[^>]*>", page.text):
        assert "src=" in tag
    assert "cache-control" not in client.get("/docs-assets/swagger-ui.css").headers
