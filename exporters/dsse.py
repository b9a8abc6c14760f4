"""DSSE envelopes carrying in-toto Statements, signed with Ed25519.

PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body (lengths in ASCII
decimal); the signature is over those bytes, which `openssl pkeyutl -verify -rawin` can
check with the signer's public key.
"""

from __future__ import annotations

import base64
import hashlib
import json
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
        body = base64.b64decode(doc["payload"], validate=True)
        if doc["payloadType"] != PAYLOAD_TYPE:
            raise SignatureError("unexpected payloadType")
        mine = [s for s in doc["signatures"] if s.get("keyid") == key_id(public)]
        if not mine:
            raise SignatureError("no signature by the expected key")
        public.verify(base64.b64decode(mine[0]["sig"], validate=True), pae(PAYLOAD_TYPE, body))
        result: dict[str, Any] = json.loads(body)
    except SignatureError:
        raise
    except InvalidSignature:
        raise SignatureError("signature does not verify") from None
    except (ValueError, KeyError, TypeError):
        raise SignatureError("envelope is malformed") from None
    return result
