"""What a setting publishes so that anyone can check its bundles: the log's origin and the
fingerprints of its exporter (bundle-signing) and log (checkpoint-signing) keys, with the
public keys themselves. Shown by `sendtrail keys status`, on the unauthenticated `/keys`
page and at `/.well-known/sendtrail-keys.json`, and on the first page of every report."""

from __future__ import annotations

from typing import Any

from api.settings import Settings
from exporters.dsse import key_id
from ledger.checkpoint import verifier_key
from ledger.keys import EXPORTER_KEY, LOG_KEY, KeyFileError, key_paths, load_public, public_pem


def published(settings: Settings) -> dict[str, Any]:
    """The installation's public keys, by role (a key not made yet is left out)."""
    keys: dict[str, Any] = {}
    for role, name in (("exporter", EXPORTER_KEY), ("log", LOG_KEY)):
        try:
            public = load_public(key_paths(settings.keys_dir, name).public)
        except KeyFileError:
            continue
        keys[role] = {
            "fingerprint": key_id(public),
            "public_key_pem": public_pem(public).decode(),
        }
        if role == "log":  # for signed-note tools: checkpoints are signed notes
            keys[role]["note_verifier_key"] = verifier_key(settings.log_origin, public)
    return {
        "log_origin": settings.log_origin,
        "fingerprint_is": "SHA-256 of the raw Ed25519 public key, hex",
        "keys": keys,
        "how_to_trust": "sendtrail trust add NAME --signer EXPORTER_FP --log LOG_FP "
        "--origin LOG_ORIGIN",
    }
