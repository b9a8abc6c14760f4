"""The stored-event frame: MAGIC || commitment (32 bytes) || payload.

The commitment is SHA-256(salt || RFC 8785 canonical plaintext), where the random salt
travels *inside* the payload. It stands in clear at the front so the recorder can put it
in the audit leaf without seeing the plaintext, and it outlives encryption and erasure:
after a child's key is destroyed the leaf still verifies, but nobody can test guesses of
the plaintext against it (the salt is gone with the key).
"""

from __future__ import annotations

import hashlib
from typing import Any

from ledger.canonical import canonical

MAGIC = b"ST1"
COMMITMENT_SIZE = 32
HEADER_SIZE = len(MAGIC) + COMMITMENT_SIZE
SALT_KEY = "_commit_salt"


class FrameError(ValueError):
    """Stored bytes are not a sendtrail frame."""


def commit(salt: bytes, canonical_plaintext: bytes) -> bytes:
    """SHA-256(salt || canonical plaintext)."""
    return hashlib.sha256(salt + canonical_plaintext).digest()


def canonical_plaintext(state: dict[str, Any]) -> bytes:
    """RFC 8785 bytes of the event state without the salt."""
    return canonical({k: v for k, v in state.items() if k != SALT_KEY})


def frame(commitment: bytes, payload: bytes) -> bytes:
    """Put the commitment in front of the payload."""
    if len(commitment) != COMMITMENT_SIZE:
        raise FrameError("commitment must be 32 bytes")
    return MAGIC + commitment + payload


def split(stored: bytes) -> tuple[bytes, bytes]:
    """(commitment, payload) of a frame, or FrameError."""
    if len(stored) < HEADER_SIZE or stored[: len(MAGIC)] != MAGIC:
        raise FrameError("stored bytes are not a sendtrail frame")
    return stored[len(MAGIC) : HEADER_SIZE], stored[HEADER_SIZE:]
