"""The keys a setting publishes, for anyone (no sign-in): GET /.well-known/sendtrail-keys.json."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api.published_keys import published

router = APIRouter(tags=["keys"], include_in_schema=False)  # outside /v1, like the pages


@router.get("/.well-known/sendtrail-keys.json", summary="This installation's public keys")
def keys(request: Request) -> dict[str, Any]:
    """The log's origin and the fingerprints (and PEM) of the exporter and log keys, to
    compare with a bundle's before trusting it. Public: no sign-in."""
    return published(request.app.state.services.settings)
