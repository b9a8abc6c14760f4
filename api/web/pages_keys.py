"""GET /keys: the installation's public keys as a page anyone can read (no sign-in)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.published_keys import published
from api.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/keys")
def keys(request: Request) -> Response:
    """The fingerprints to compare with a bundle's before trusting it."""
    shown = published(request.app.state.services.settings)
    return page(request, "keys.html", {"title": "This setting's public keys", "k": shown})
