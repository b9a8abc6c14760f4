"""Roles from one permission table (issue 14, item 6): every /v1 route names its action,
and for every route x every role the API refuses (403) exactly what the table refuses,
before reading the body; the web forms, export and dashboard follow the same table, and
the CLI prints it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.bootstrap import open_records
from api.cli import app as cli
from api.cli_serve import ensure_keys
from api.permissions import PERMISSIONS, ROLES, allows
from api.settings import Settings
from api.users import UserStore
from api.web.record_forms import FORMS
from ledger.log import LedgerBackend
from tests.factories import SETTING, fixed_clock, register, shared_with, with_parent
from tests.web.world import csrf_of, sign_in

# Routes about the log and bundles, not a child's record: open to any signed-in user.
UNGUARDED = ("/v1/verify", "/v1/checkpoints")
SENCO_ONLY_WRITES = ("sen-status", "plans", "ehc/request", "ehc/final", "referrals", "reviews")


@dataclass
class World:
    app: FastAPI
    client: TestClient
    tokens: dict[str, str]
    child: UUID


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("permissions") / "data")
    ensure_keys(settings)
    records = open_records(settings, clock=fixed_clock)
    child = with_parent(register(records)).child_id
    shared_with(records, child, "test-la")
    store = UserStore(cast(LedgerBackend, records.recorder))
    tokens = {
        role: store.add(
            f"Test {role}",
            role=role,
            setting_id=SETTING,
            child_id=str(child) if role == "parent" else None,
            organisation="test-la" if role == "inspector" else None,
        )[1]
        for role in ROLES
    }
    records.close()
    app = create_app(settings)
    with TestClient(app) as client:
        yield World(app, client, tokens, child)


def _routes(app: FastAPI) -> list[tuple[str, str, str | None]]:
    """Every /v1 operation (method, path, its x-permission) of the app's OpenAPI document."""
    return [
        (method.upper(), path, operation.get("x-permission"))
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/v1/")
        for method, operation in operations.items()
    ]


def _url(path: str, child: UUID) -> str:
    filled = path.replace("{child_id}", str(child))
    return re.sub(r"\{[a-z_]+\}", "x1", filled)


def test_every_route_names_an_action_of_the_table(world: World) -> None:
    for method, path, action in _routes(world.app):
        if not path.startswith(UNGUARDED):
            assert action in PERMISSIONS, (method, path)


@pytest.mark.parametrize("role", ROLES)
def test_every_route_refuses_exactly_what_the_table_refuses(world: World, role: str) -> None:
    checked = 0
    for method, path, action in _routes(world.app):
        if path.startswith(UNGUARDED):
            continue
        url = _url(path, world.child)
        if path == "/v1/children/{child_id}/requests":
            url += "?la=generic-cop"
        assert action is not None
        response = world.client.request(
            method,
            url,
            json={} if method == "POST" else None,
            headers={"Authorization": f"Bearer {world.tokens[role]}"},
        )
        refused = response.status_code == 403
        assert refused is not allows(role, action), (role, method, path, response.text)
        checked += 1
    assert checked > 40


@pytest.mark.parametrize("path", SENCO_ONLY_WRITES)
def test_practitioners_do_not_write_what_sencos_own(world: World, path: str) -> None:
    response = world.client.post(
        f"/v1/children/{world.child}/{path}",
        json={},
        headers={"Authorization": f"Bearer {world.tokens['practitioner']}"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_the_web_forms_follow_the_table(world: World, role: str) -> None:
    client = TestClient(world.app, follow_redirects=False)
    sign_in(client, world.tokens[role])
    overview = client.get(f"/children/{world.child}")
    assert overview.status_code == 200
    # A form is offered on the overview or on the page listing every form a role may use
    # ("Add to the record").
    listing = client.get(f"/children/{world.child}/record").text
    for slug, spec in FORMS.items():
        page = client.get(f"/children/{world.child}/record/{slug}?entry=1")
        assert (page.status_code == 403) is not allows(role, spec.action), (role, slug)
        link = f"/children/{world.child}/record/{slug}"
        offered = link in overview.text or f'{link}"' in listing
        if slug != "dispute":
            assert offered is allows(role, spec.action), (role, slug)
        refused = client.post(
            f"/children/{world.child}/record/{slug}", data={"csrf": csrf_of(overview.text)}
        )
        assert (refused.status_code == 403) is not allows(role, spec.action), (role, slug)
    dashboard = client.get("/dashboard")
    assert (dashboard.status_code == 403) is not allows(role, "read.dashboard")


def test_the_cli_prints_the_table() -> None:
    result = CliRunner().invoke(cli, ["users", "permissions"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for action in PERMISSIONS:
        assert action in result.output
