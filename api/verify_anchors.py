"""How this server checks an uploaded bundle (API and pages alike): with its own keys and
the anchors of its trust store, never with keys taken from the bundle."""

from __future__ import annotations

from api.deps import Services
from api.witness_client import parse_witnesses
from exporters.trust import TrustStore, anchor_of
from exporters.verify import Verified, verify_bundle


def check_uploaded(svc: Services, data: bytes) -> Verified:
    """The bundle checked; `trust_anchor` names whose keys vouched for it (None: the keys
    it carries match neither this installation's nor any trusted setting's)."""
    keys = svc.exporter.keys
    own = anchor_of(
        f"this installation's own keys ({svc.settings.log_origin})",
        keys.exporter.public_key(),
        keys.log_public,
        svc.settings.log_origin,
    )
    anchors = [own, *TrustStore(svc.settings.trust_store_path).anchors()]
    witnesses = parse_witnesses(svc.settings.witnesses)  # named, not required
    return verify_bundle(data, anchors=anchors, witnesses=witnesses)
