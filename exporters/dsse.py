"""DSSE envelopes carrying in-toto Statements, signed with Ed25519.

PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body (lengths in ASCII
decimal); the signature is over those bytes, which `openssl pkeyutl -verify -rawin` can
check with the signer's public key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.canonical import canonical
from ledger.keys import raw_public

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://sendtrail.local/evidence-bundle/v1"


class SignatureError(Exception):
    """The envelope is malformed or its signature does not verify."""


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE pre-authentication encoding."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)


def key_id(public: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, hex: how a bundle names its signer."""
    return hashlib.sha256(raw_public(public)).hexdigest()


def statement(subject_name: str, subject_sha256: str, predicate: dict[str, Any]) -> bytes:
    """An in-toto Statement v1, as canonical JSON."""
    return canonical(
        {
            "_type": STATEMENT_TYPE,
            "subject": [{"name": subject_name, "digest": {"sha256": subject_sha256}}],
            "predicateType": PREDICATE_TYPE,
            "predicate": predicate,
        }
    )


def sign_envelope(body: bytes, key: Ed25519PrivateKey) -> bytes:
    """The DSSE envelope JSON."""
    signature = key.sign(pae(PAYLOAD_TYPE, body))
    return canonical(
        {
            "payloadType": PAYLOAD_TYPE,
            "payload": base64.b64encode(body).decode(),
            "signatures": [
                {"keyid": key_id(key.public_key()), "sig": base64.b64encode(signature).decode()}
            ],
        }
    )


def open_envelope(envelope: bytes, public: Ed25519PublicKey) -> dict[str, Any]:
    """The verified Statement, or SignatureError."""
    try:
        doc = json.loads(envelope)
        body = _b64(doc["payload"])
        if doc["payloadType"] != PAYLOAD_TYPE:
            raise SignatureError("unexpected payloadType")
        # A keyid is only a hint (DSSE): it may be missing or name anything. Trust is the
        # signature checking out with the trusted key, whichever entry carries it.
        signed = pae(PAYLOAD_TYPE, body)
        if not any(_verifies(public, _b64(s["sig"]), signed) for s in doc["signatures"]):
            raise SignatureError("no signature by the expected key")
        result: dict[str, Any] = json.loads(body)
    except SignatureError:
        raise
    except (ValueError, KeyError, TypeError):
        raise SignatureError("envelope is malformed") from None
    return result


def _b64(text: str) -> bytes:
    """Standard or URL-safe base64 (DSSE allows both), padding optional; strict otherwise."""
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9+/_-]*={0,2}", text):
        raise ValueError("not base64")
    standard = text.replace("-", "+").replace("_", "/")
    return base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)


def _verifies(public: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public.verify(signature, message)
    except InvalidSignature:
        return False
    return True
