"""The per-leaf half of `sendtrail audit`: what one audit row says about its event's stored
bytes, checked without reference to any other leaf — so pages of leaves can be checked in
another process while the auditor reads the next page and walks the chains.

Everything here is a plain function of plain values (tuples and bytes), picklable both
ways, and imports nothing heavier than the leaf and frame formats.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.framing import (
    HEADER_SIZE,
    MAGIC_SEALED,
    NONCE_SIZE,
    SALT_KEY,
    TAG_SIZE,
    FrameError,
    canonical_plaintext,
    commit,
    parse,
)
from ledger.leaf import leaf_bytes

# A ledger_leaves row in LEAF_COLUMNS order:
# (leaf_index, child_id, version, topic, recorded_at, state_sha256, commitment, prev)
LeafRow = tuple[int, str, int, str, str, str, str, str]
SEALED_MINIMUM = HEADER_SIZE + NONCE_SIZE + TAG_SIZE


@dataclass(frozen=True)
class PageResult:
    """The leaf hashes (32 bytes each, concatenated) of the leaves that passed, in order;
    and, if one did not, its position in the page and what is wrong."""

    hashes: bytes
    failure: tuple[int, str] | None = None


def check_page(leaves: Sequence[LeafRow], states: Sequence[bytes]) -> PageResult:
    """Check each leaf against the stored bytes of its event; stop at the first problem."""
    sha256 = hashlib.sha256
    if _all_sealed_and_bound(leaves, states):  # the usual page, checked a column at a time
        return PageResult(b"".join(sha256(b"\x00" + leaf_bytes(*leaf)).digest() for leaf in leaves))
    hashes = bytearray()
    for position, (leaf, state) in enumerate(zip(leaves, states, strict=True)):
        problem = _problem(leaf, state)
        if problem:
            return PageResult(bytes(hashes), (position, problem))
        hashes += sha256(b"\x00" + leaf_bytes(*leaf)).digest()  # RFC 9162 leaf hash
    return PageResult(bytes(hashes))


def _all_sealed_and_bound(leaves: Sequence[LeafRow], states: Sequence[bytes]) -> bool:
    """Every event encrypted in the usual frame, its bytes and commitment those its leaf
    names: what `_problem` finds of each, for a whole page (False: go leaf by leaf)."""
    sha256 = hashlib.sha256
    return (
        len(leaves) == len(states)
        and all(s[:3] == MAGIC_SEALED and len(s) >= SEALED_MINIMUM for s in states)
        and [sha256(s).hexdigest() for s in states] == [leaf[5] for leaf in leaves]
        and [s[3:HEADER_SIZE].hex() for s in states] == [leaf[6] for leaf in leaves]
    )


def _problem(leaf: LeafRow, state: bytes) -> str | None:
    if hashlib.sha256(state).hexdigest() != leaf[5]:
        return "stored event bytes changed"
    if state[:3] == MAGIC_SEALED and len(state) >= SEALED_MINIMUM:  # the usual frame, inline
        if state[3:HEADER_SIZE].hex() != leaf[6]:
            return "stored commitment differs from the leaf"
        return None  # encrypted (ST2): only the key holder can open it; the leaf binds it
    try:
        frame = parse(state)
    except FrameError:
        return "stored event is not a sendtrail frame"
    if frame.commitment.hex() != leaf[6]:
        return "stored commitment differs from the leaf"
    if frame.sealed:
        return None
    try:  # clear (ST1, from before encryption): the plaintext must match the commitment
        decoded = json.loads(frame.body)
        salt = bytes.fromhex(decoded[SALT_KEY])
    except (ValueError, KeyError, TypeError):
        return "stored payload is unreadable"
    if commit(salt, canonical_plaintext(decoded)) != frame.commitment:
        return "payload does not match its commitment (content changed)"
    return None
