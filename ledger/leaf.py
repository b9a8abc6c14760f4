"""The audit leaf: one per stored event, encoded as RFC 8785 canonical JSON.

A third party recomputes a leaf from an evidence bundle like this (see LEDGER.md):

    leaf_bytes = rfc8785.dumps({"child_id": ..., "commitment": ..., "index": ...,
                                "prev": ..., "recorded_at": ..., "state_sha256": ...,
                                "topic": ..., "version": ..., "v": 1})
    leaf_hash  = sha256(b"\\x00" + leaf_bytes)          # RFC 9162 leaf hash

`prev` is the leaf hash of the same child's previous leaf (64 zeros for its first), so
each child's leaves form a hash chain inside the global Merkle log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ledger.canonical import canonical_strings_and_ints
from ledger.merkle import leaf_hash

LEAF_FORMAT = 1
GENESIS = "0" * 64


def format_time(moment: datetime) -> str:
    """Record times as fixed-width UTC ISO 8601 with microseconds, so text order = time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """Inverse of `format_time`."""
    if len(text) != 27 or text[-1] != "Z":
        raise ValueError("record time must look like 2026-01-31T12:00:00.000000Z")
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class AuditLeaf:
    """What the log commits to for one stored event (never the plaintext itself)."""

    index: int
    child_id: str
    version: int
    topic: str
    recorded_at: str
    state_sha256: str
    commitment: str
    prev: str

    def canonical(self) -> bytes:
        """RFC 8785 (JCS) bytes of the leaf."""
        return leaf_bytes(
            self.index,
            self.child_id,
            self.version,
            self.topic,
            self.recorded_at,
            self.state_sha256,
            self.commitment,
            self.prev,
        )

    def hash(self) -> bytes:
        """The RFC 9162 leaf hash, SHA-256(0x00 || canonical bytes)."""
        return leaf_hash(self.canonical())

    def row(self) -> tuple[int, str, int, str, str, str, str, str]:
        """The leaf as a `ledger_leaves` row, in `LEAF_COLUMNS` order."""
        return (
            self.index,
            self.child_id,
            self.version,
            self.topic,
            self.recorded_at,
            self.state_sha256,
            self.commitment,
            self.prev,
        )


LEAF_COLUMNS = (  # (name, PostgreSQL type) of each ledger_leaves column, in `row` order
    ("leaf_index", "bigint"),
    ("child_id", "text"),
    ("version", "bigint"),
    ("topic", "text"),
    ("recorded_at", "text"),
    ("state_sha256", "text"),
    ("commitment", "text"),
    ("prev", "text"),
)


def leaf_bytes(
    index: int,
    child_id: str,
    version: int,
    topic: str,
    recorded_at: str,
    state_sha256: str,
    commitment: str,
    prev: str,
) -> bytes:
    """RFC 8785 (JCS) bytes of a leaf from its fields (the writer and the audit build
    millions of these: no dataclass on the way)."""
    return canonical_strings_and_ints(
        {
            "child_id": child_id,
            "commitment": commitment,
            "index": index,
            "prev": prev,
            "recorded_at": recorded_at,
            "state_sha256": state_sha256,
            "topic": topic,
            "version": version,
            "v": LEAF_FORMAT,
        }
    )
