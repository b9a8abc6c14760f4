"""The page tests' world: a demo cohort with one user per role, the app on it, and a
signed-in browser-like client per role (each test module gets its own world)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from tests.web.world import World, build_world, sign_in

Client = Callable[[str], TestClient]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("web") / "data")


@pytest.fixture(scope="module")
def app(world: World) -> Iterator[FastAPI]:
    app = create_app(world.settings)
    with TestClient(app):  # runs the lifespan: the services stay open for the module
        yield app


@pytest.fixture
def as_(app: FastAPI, world: World) -> Client:
    """A fresh, signed-in browser-like client for a role."""

    def make(role: str) -> TestClient:
        client = TestClient(app, follow_redirects=False)
        sign_in(client, world.tokens[role])
        return client

    return make
