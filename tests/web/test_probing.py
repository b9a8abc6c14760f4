"""Ids that are not a child's record answer exactly as an unknown id, on every child route
and page: the id of a child's access log (computable from the child's id) used to answer 500,
an oracle telling anyone who held a guess that the child exists."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from domain.access import access_log_id
from tests.web.world import World, csrf_of, sign_in

PAGES_GET = ["", "/chronology", "/provision-map", "/record/observation", "/la-request"]
PAGES_POST = ["/record/observation", "/export", "/la-request"]


def child_operations(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the API that takes a child id."""
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return [
        (method, path)
        for path, operations in paths.items()
        if "{child_id}" in path
        for method in operations
    ]


def concrete(path: str, child: UUID) -> str:
    filled = path.replace("{child_id}", str(child))
    for name in ("plan_id", "provision_id", "consent_id", "report_id", "recommendation_id"):
        filled = filled.replace(f"{{{name}}}", "x1")
    return filled


@pytest.fixture
def read_once(app: FastAPI, world: World) -> UUID:
    """The id of the child's access log, which a read has just written to."""
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {world.tokens['senco']}"
    assert client.get(f"/v1/children/{world.own}/plan").status_code == 200
    return access_log_id(world.own)


def probe(client: TestClient, method: str, path: str, child: UUID) -> tuple[int, Any]:
    response = client.request(
        method, concrete(path, child), json={"expected_version": 1, "occurred_at": "2025-03-10"}
    )
    body = response.json() if "json" in response.headers.get("content-type", "") else None
    return response.status_code, body


def test_the_api_has_routes_to_probe(app: FastAPI) -> None:
    assert len(child_operations(app)) >= 40


@pytest.mark.parametrize("role", ["senco", "admin", "parent", "inspector", "outsider"])
def test_an_access_log_id_is_an_unknown_child_on_every_api_route(
    app: FastAPI, world: World, role: str, read_once: UUID
) -> None:
    client = TestClient(app, raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {world.tokens[role]}"
    log_id = read_once
    for method, path in child_operations(app):
        unknown = probe(client, method, path, uuid4())
        as_log = probe(client, method, path, log_id)
        assert as_log == unknown, (method, path)
        if method == "get":
            assert as_log[0] == 404, (method, path)


@pytest.mark.parametrize("role", ["senco", "parent", "inspector"])
def test_an_access_log_id_is_an_unknown_child_on_every_page(
    app: FastAPI, world: World, role: str, read_once: UUID
) -> None:
    client = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    sign_in(client, world.tokens[role])
    start = {"inspector": "/verify", "parent": f"/children/{world.own}"}.get(role, "/children")
    csrf = csrf_of(client.get(start).text)
    for suffix in PAGES_GET:
        unknown = client.get(f"/children/{uuid4()}{suffix}").status_code
        assert client.get(f"/children/{read_once}{suffix}").status_code == unknown, suffix
        assert unknown in (403, 404), suffix  # 403 only where the role may not use the page
    for suffix in PAGES_POST:
        statuses = {
            client.post(f"/children/{child}{suffix}", data={"csrf": csrf}).status_code
            for child in (read_once, uuid4())
        }
        assert len(statuses) == 1, suffix
