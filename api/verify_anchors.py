"""How this server checks an uploaded bundle (API and pages alike): with its own keys and
the anchors of its trust store, never with keys taken from the bundle.

The check runs in a worker thread, never on the event loop, and at most
`verify_concurrency` at once: an upload that finds every slot taken is answered 503 with
Retry-After at once, so hostile uploads cannot stall other users' reads. Inflating is
bounded by `verify_inflate_bytes` (see exporters/archive.py)."""

from __future__ import annotations

import threading

from anyio import to_thread
from fastapi import HTTPException, Request

from api.deps import Services
from api.witness_client import parse_witnesses
from exporters.archive import Limits
from exporters.trust import TrustStore, installation_anchor
from exporters.verify import Verified, verify_bundle

MAX_BUNDLE = 50 * 1024 * 1024  # the largest bundle the API and the checker page take

RETRY_AFTER_SECONDS = 5


def check_uploaded(svc: Services, data: bytes) -> Verified:
    """The bundle checked; `trust_anchor` names whose keys vouched for it (None: the keys
    it carries match neither this installation's nor any trusted setting's)."""
    keys = svc.exporter.keys
    own = installation_anchor(keys.exporter.public_key(), keys.log_public, svc.settings.log_origin)
    anchors = [own, *TrustStore(svc.settings.trust_store_path).anchors()]
    witnesses = parse_witnesses(svc.settings.witnesses)  # named, not required
    inflate = svc.settings.verify_inflate_bytes
    limits = Limits(max_entry_bytes=inflate, max_total_bytes=inflate)
    return verify_bundle(data, anchors=anchors, witnesses=witnesses, limits=limits)


def _slots(request: Request, svc: Services) -> threading.BoundedSemaphore:
    state = request.app.state
    slots = getattr(state, "verify_slots", None)
    if slots is None:
        slots = threading.BoundedSemaphore(svc.settings.verify_concurrency)
        state.verify_slots = slots
    return slots


async def check_upload(request: Request, data: bytes) -> Verified:
    """`check_uploaded` off the event loop, in one of a few slots; 503 if all are taken."""
    svc: Services = request.app.state.services
    slots = _slots(request, svc)
    if not slots.acquire(blocking=False):
        raise HTTPException(
            503,
            "other bundles are being checked; please try again shortly",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    try:
        return await to_thread.run_sync(check_uploaded, svc, data)
    finally:
        slots.release()
