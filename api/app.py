"""The FastAPI app factory. `create_app(settings)`; the lifespan opens the store once."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import checkpoint_schedule, docs_page, errors, housekeeping, led_work
from api.body_limit import BodyLimit, UploadRoute
from api.bootstrap import open_services
from api.routes import (
    checkpoints,
    children,
    dashboard,
    documents,
    exports,
    groups,
    la,
    provision,
    published,
    records,
    verify,
    views,
)
from api.security_headers import SecurityHeaders
from api.settings import Settings
from api.web import site

DESCRIPTION = """\
sendtrail keeps a child's special educational needs history as immutable, tamper-evident
events. Every write takes the record's `expected_version` (a stale one gives 409 and stores
nothing); every read takes `as_of` (world date) and `known_at` (record time). Sign in with a
bearer token from `sendtrail users add` (the same token signs in to the web pages at
`/`). Errors are `application/problem+json` and never
echo what was sent.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """An app on the configured store (SQLite by default, PostgreSQL by URL)."""
    config = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = open_services(config)
        svc = app.state.services
        background = [
            asyncio.create_task(work(svc, interval))
            for work, interval in (
                (checkpoint_schedule.run, config.checkpoint_interval),
                (housekeeping.run, config.housekeeping_interval),
            )
            if interval > 0
        ]
        try:
            yield
        finally:
            for task in background:
                await led_work.stop(task)
            svc.records.close()

    app = FastAPI(
        title="sendtrail",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by docs_page from a pinned package, not a CDN
        redoc_url=None,
    )
    errors.install(app)
    for module in (
        children,
        records,
        groups,
        views,
        dashboard,
        provision,
        exports,
        verify,
        checkpoints,
        la,
        documents,
    ):
        app.include_router(module.router, prefix="/v1")
    app.include_router(published.router)  # public: outside /v1, no sign-in
    site.install(app)
    docs_page.install(app)
    app.add_middleware(BodyLimit, default=config.max_body_bytes, uploads=upload_routes(config))
    app.add_middleware(SecurityHeaders)
    return app


# Multipart framing (boundaries, the CSRF field) around an uploaded file.
FORM_OVERHEAD = 64 * 1024


def upload_routes(config: Settings) -> list[UploadRoute]:
    """The only routes whose bodies may be larger than `max_body_bytes`."""
    bundle = config.max_bundle_upload_bytes
    return [
        UploadRoute("POST", re.compile(r"/v1/verify"), bundle, "bundles"),
        UploadRoute("POST", re.compile(r"/verify"), bundle + FORM_OVERHEAD, "bundles"),
        UploadRoute(
            "POST",
            re.compile(r"/v1/children/[^/]+/documents"),
            config.max_document_bytes + FORM_OVERHEAD,
            "documents",
        ),
        UploadRoute(
            "POST",
            re.compile(r"/children/[^/]+/record/[a-z-]+"),
            config.max_document_bytes + FORM_OVERHEAD,
            "forms with a file",
        ),
        UploadRoute(
            "POST", re.compile(r"/import"), config.max_document_bytes + FORM_OVERHEAD, "imports"
        ),
    ]
