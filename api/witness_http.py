"""The witness's HTTP face: POST /add-checkpoint (C2SP tlog-witness), nothing else."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from ledger.witness import WitnessService

MAX_REQUEST = 64 * 1024  # a checkpoint, its signatures and 63 proof lines fit many times


def witness_app(service: WitnessService) -> FastAPI:
    app = FastAPI(title="sendtrail witness", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> PlainTextResponse:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_REQUEST:
                return PlainTextResponse("request too large\n", status_code=413)
        answer = service.add_checkpoint(bytes(body))
        return PlainTextResponse(
            answer.body, status_code=answer.status, media_type=answer.content_type
        )

    return app
