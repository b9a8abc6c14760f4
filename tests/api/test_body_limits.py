"""Request bodies are bounded before anything reads them: an oversized body is 413 before any
sign-in check, route or parser runs, and the server's memory does not grow with it."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli_serve import ensure_keys
from api.settings import Settings
from tests.serving import free_port
from tests.web.world import NONCE

SMALL = 4096
UPLOAD = 64 * 1024


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("limits") / "data",
        max_body_bytes=SMALL,
        max_bundle_upload_bytes=UPLOAD,
    )
    ensure_keys(settings)
    app = create_app(settings)
    with TestClient(app):
        yield app


def write_path() -> str:
    return f"/v1/children/{uuid4()}/observations"


class TestInTheApp:
    def test_an_oversized_json_body_is_413_before_the_sign_in_check(self, app: FastAPI) -> None:
        response = TestClient(app).post(
            write_path(),
            content=b'{"notes": "' + b"x" * SMALL + b'"}',
            headers={"Content-Type": "application/json"},
        )

        assert response.status_code == 413  # not 401: nothing was read to find out
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "request bodies are limited to 4 KiB"

    def test_a_body_within_the_limit_reaches_the_sign_in_check(self, app: FastAPI) -> None:
        response = TestClient(app).post(write_path(), json={"notes": "x" * (SMALL // 2)})

        assert response.status_code == 401

    def test_a_chunked_body_is_refused_once_it_passes_the_limit(self, app: FastAPI) -> None:
        sent: list[int] = []

        def chunks() -> Iterator[bytes]:
            for _ in range(64):
                sent.append(1024)
                yield b"x" * 1024

        response = TestClient(app).post(
            write_path(), content=chunks(), headers={"Content-Type": "application/json"}
        )

        assert response.status_code == 413
        assert response.json()["title"] == "Too large"

    def test_only_upload_routes_take_more(self, app: FastAPI) -> None:
        body = b"PK" + b"\0" * (SMALL * 2)
        zipped = {"Content-Type": "application/zip"}
        client = TestClient(app)

        assert client.post("/v1/verify", content=body, headers=zipped).status_code == 401
        too_big = client.post("/v1/verify", content=b"\0" * (UPLOAD + 1), headers=zipped)
        assert too_big.status_code == 413
        assert too_big.json()["detail"] == "bundles are limited to 64 KiB"
        assert client.post(write_path(), content=body, headers=zipped).status_code == 413

    def test_a_page_gets_an_html_answer(self, app: FastAPI) -> None:
        client = TestClient(app)
        nonce = NONCE.search(client.get("/sign-in").text)
        assert nonce is not None

        response = client.post("/sign-in", data={"token": "x" * SMALL, "nonce": nonce.group(1)})

        assert response.status_code == 413
        assert response.headers["content-type"].startswith("text/html")


# --- the real server: its memory, measured from outside --------------------------------

HUNDRED_MB = 100 * 1024 * 1024


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    """(pid, port) of `sendtrail serve` on a fresh store, stopped afterwards."""
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to read the server's memory")
    port = free_port()
    env = {**os.environ, "SENDTRAIL_DATA": str(tmp_path_factory.mktemp("served") / "data")}
    command = [str(Path(sys.executable).parent / "sendtrail"), "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "sendtrail serve stopped"
            assert time.monotonic() < deadline, "sendtrail serve did not start"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield process.pid, port
    finally:
        process.terminate()
        process.wait(timeout=10)


def send(port: int, head: bytes, body_chunks: Iterator[bytes]) -> bytes:
    """Send a request, its body for as long as the server has not answered; return the
    answer's first bytes (the server answers 413 and closes without reading the rest)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        for chunk in body_chunks:
            if select.select([sock], [], [], 0)[0]:
                break  # answered already
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        return sock.recv(4096)


def megabytes(total: int, *, chunked: bool) -> Iterator[bytes]:
    piece = b"x" * (1024 * 1024)
    for _ in range(total // len(piece)):
        yield (b"100000\r\n" + piece + b"\r\n") if chunked else piece
    if chunked:
        yield b"0\r\n\r\n"


@pytest.mark.slow
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_100_mb_unauthenticated_body_costs_the_server_almost_nothing(
    server: tuple[int, int], chunked: bool
) -> None:
    pid, port = server
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % HUNDRED_MB
    head = (
        b"POST /v1/children/%s/observations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\n%s\r\n\r\n" % (str(uuid4()).encode(), framing)
    )
    before = rss_kib(pid)

    answer = send(port, head, megabytes(HUNDRED_MB, chunked=chunked))

    grown_mib = (rss_kib(pid) - before) / 1024
    assert grown_mib < 20, f"the server grew by {grown_mib:.0f} MiB"
    assert answer.startswith(b"HTTP/1.1 413"), answer[:40]
