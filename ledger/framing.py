"""The stored-event frames.

    ST1 (clear):     "ST1" || commitment (32 bytes) || payload JSON
    ST2 (encrypted): "ST2" || commitment (32 bytes) || nonce (12) || AES-256-GCM ciphertext

The commitment is SHA-256(salt || RFC 8785 canonical plaintext), where the random salt
travels *inside* the payload (inside the ciphertext in ST2). It stands in clear at the
front so the recorder can put it in the audit leaf without seeing the plaintext, and it
outlives encryption and erasure: after a child's key is destroyed the leaf still verifies,
but nobody can test guesses of the plaintext against it (the salt is gone with the key).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ledger.canonical import canonical

MAGIC = b"ST1"
MAGIC_SEALED = b"ST2"
COMMITMENT_SIZE = 32
HEADER_SIZE = len(MAGIC) + COMMITMENT_SIZE
NONCE_SIZE = 12
TAG_SIZE = 16
SALT_KEY = "_commit_salt"


class FrameError(ValueError):
    """Stored bytes are not a sendtrail frame."""


@dataclass(frozen=True)
class Frame:
    """A parsed frame: `body` is the payload JSON (clear) or nonce || ciphertext (sealed)."""

    sealed: bool
    commitment: bytes
    body: bytes


def commit(salt: bytes, canonical_plaintext: bytes) -> bytes:
    """SHA-256(salt || canonical plaintext)."""
    return hashlib.sha256(salt + canonical_plaintext).digest()


def canonical_plaintext(state: dict[str, Any]) -> bytes:
    """RFC 8785 bytes of the event state without the salt."""
    return canonical({k: v for k, v in state.items() if k != SALT_KEY})


def salted(payload: bytes, salt: bytes) -> bytes:
    """The stored payload: the event's JSON object with the salt as its last member.

    Readers parse the payload as JSON and never depend on member order. The commitment is
    over the canonical plaintext without the salt, which (with no float in the event) is
    exactly the bytes before the salt."""
    member = b'"' + SALT_KEY.encode() + b'":"' + salt.hex().encode() + b'"}'
    if payload == b"{}":
        return b"{" + member
    if payload[:1] != b"{" or payload[-1:] != b"}":
        raise FrameError("the payload must be a JSON object")
    return payload[:-1] + b"," + member


def frame(commitment: bytes, payload: bytes) -> bytes:
    """A clear (ST1) frame: the commitment in front of the payload."""
    if len(commitment) != COMMITMENT_SIZE:
        raise FrameError("commitment must be 32 bytes")
    return MAGIC + commitment + payload


def sealed_frame(commitment: bytes, nonce_and_ciphertext: bytes) -> bytes:
    """An encrypted (ST2) frame."""
    if len(commitment) != COMMITMENT_SIZE:
        raise FrameError("commitment must be 32 bytes")
    return MAGIC_SEALED + commitment + nonce_and_ciphertext


def parse(stored: bytes) -> Frame:
    """The frame's parts, or FrameError."""
    magic = stored[: len(MAGIC)]
    if len(stored) < HEADER_SIZE or magic not in (MAGIC, MAGIC_SEALED):
        raise FrameError("stored bytes are not a sendtrail frame")
    sealed = magic == MAGIC_SEALED
    body = stored[HEADER_SIZE:]
    if sealed and len(body) < NONCE_SIZE + TAG_SIZE:
        raise FrameError("encrypted frame is too short to hold a nonce and a tag")
    return Frame(sealed, stored[len(MAGIC) : HEADER_SIZE], body)


def commitment_of(stored: bytes) -> bytes:
    """The commitment of a frame of either kind, or FrameError (no copy of the body)."""
    if len(stored) < HEADER_SIZE or stored[: len(MAGIC)] not in (MAGIC, MAGIC_SEALED):
        raise FrameError("stored bytes are not a sendtrail frame")
    if stored[:3] == MAGIC_SEALED and len(stored) < HEADER_SIZE + NONCE_SIZE + TAG_SIZE:
        raise FrameError("encrypted frame is too short to hold a nonce and a tag")
    return stored[len(MAGIC) : HEADER_SIZE]


def split(stored: bytes) -> tuple[bytes, bytes]:
    """(commitment, body) of a frame of either kind, or FrameError."""
    parsed = parse(stored)
    return parsed.commitment, parsed.body


def associated_data(commitment: bytes, originator_id: UUID, version: int, topic: str) -> bytes:
    """What AES-GCM binds a sealed payload to: its commitment, child (originator), version
    and topic. Fixed-size fields first, so the encoding is unambiguous."""
    return (
        MAGIC_SEALED
        + commitment
        + originator_id.bytes
        + version.to_bytes(8, "big", signed=False)
        + topic.encode()
    )
