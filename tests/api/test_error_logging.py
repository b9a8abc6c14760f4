"""An unexpected error reaches the server's log as one line (its type and a request id),
never with a traceback or the exception's message, which can carry what was sent or stored."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from api.app import create_app
from api.cli_serve import ensure_keys
from api.settings import Settings
from tests.serving import served

PERSONAL = "Zq7x Personal Name 2019-03-04"


@contextmanager
def captured_log() -> Iterator[io.StringIO]:
    """Everything the server and the app log from now on, formatted as a log file would have
    it (attach after the server has configured its logging, which replaces handlers)."""
    text = io.StringIO()
    handler = logging.StreamHandler(text)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loggers = [logging.getLogger(n) for n in ("uvicorn.error", "sendtrail.api")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield text
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def failing_app(tmp_path: Path) -> FastAPI:
    settings = Settings(data_dir=tmp_path / "data")
    ensure_keys(settings)
    app = create_app(settings)

    @app.get("/v1/boom")
    def boom() -> None:
        raise RuntimeError(f"could not store {PERSONAL}")

    @app.get("/boom-page")
    def boom_page() -> None:
        raise ValueError(PERSONAL)

    return app


def test_an_unhandled_error_is_one_line_without_its_message(tmp_path: Path) -> None:
    with served(failing_app(tmp_path)) as base, captured_log() as log:
        api = httpx.get(f"{base}/v1/boom", timeout=10)
        page = httpx.get(f"{base}/boom-page", timeout=10)

    assert api.status_code == 500
    assert page.status_code == 500
    request_id = api.json()["request_id"]
    written = log.getvalue()
    assert PERSONAL not in written
    assert "Traceback" not in written
    assert f"unhandled RuntimeError (request {request_id})" in written
    assert "unhandled ValueError" in written
    assert len([line for line in written.splitlines() if "unhandled" in line]) == 2
    assert PERSONAL not in api.text + page.text


def test_the_access_log_leaves_out_query_strings(tmp_path: Path) -> None:
    """A search for a child by name (`?q=`) never reaches the access log, at any log level."""
    failing_app(tmp_path)  # creating an app installs the server's log filters
    text = io.StringIO()
    handler = logging.StreamHandler(text)
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    try:
        # As uvicorn logs a request (uvicorn/protocols/http/h11_impl.py).
        access.warning(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", "/children?q=Zq7x+Personal", "1.1", 200
        )
    finally:
        access.removeHandler(handler)
    assert '"GET /children HTTP/1.1" 200' in text.getvalue()
    assert "Zq7x" not in text.getvalue()
