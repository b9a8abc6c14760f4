"""An answer written out with orjson, for reads whose bodies are JSON-ready already."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import Response


def json_response(body: Any, *, headers: Mapping[str, str] | None = None) -> Response:
    """`body` as a JSON answer (200), encoded once by orjson: no pydantic pass over it.
    The route keeps its `response_model` for the OpenAPI document."""
    return Response(
        orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS),
        media_type="application/json",
        headers=headers,
    )
