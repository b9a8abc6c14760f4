"""A later checkpoint and its consistency proof: the bundle's log has only grown since
(RFC 9162 consistency), as `verify --checkpoint NOTE --consistency-proof FILE` checks."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from exporters.verify_base import PROOF_MARKER, VerificationError
from ledger import checkpoint as cp
from ledger.merkle import MerkleError, verify_consistency


def parse_later_checkpoint(text: str) -> tuple[str, int | None, list[bytes]]:
    """A later checkpoint note, optionally followed by 'consistency-proof N' and hex lines."""
    note, marker, rest = text.partition("\n" + PROOF_MARKER)
    if not marker:
        return text, None, []
    lines = rest.splitlines()
    try:
        return note + "\n", int(lines[0]), [bytes.fromhex(h) for h in lines[1:] if h]
    except (IndexError, ValueError):
        raise VerificationError(
            "consistency proof is malformed", where="later checkpoint"
        ) from None


def proof_document(old_size: int, new_size: int, proof: Sequence[bytes]) -> bytes:
    """A consistency proof as `checkpoint --proof-out` writes it (and a bundle's
    audit/consistency.json is): old and new tree sizes and the proof's hashes in hex."""
    document = {"old_size": old_size, "new_size": new_size, "proof": [h.hex() for h in proof]}
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


def with_proof(note: str, document: bytes) -> str:
    """A later checkpoint (a signed note on its own) and its proof document, as the one
    text `verify_bundle(later_checkpoint=...)` reads."""
    where = "consistency proof"
    try:
        found = orjson.loads(document)
        old_size, new_size = int(found["old_size"]), int(found["new_size"])
        proof = [bytes.fromhex(h) for h in found["proof"]]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        raise VerificationError(
            "not a proof document (old_size, new_size, proof)", where=where
        ) from None
    size = note.split("\n")[1] if note.count("\n") > 1 else ""
    if str(new_size) != size:
        raise VerificationError(
            f"the proof is to size {new_size}, the later checkpoint's is {size or 'unreadable'}",
            where=where,
        )
    return note + f"{PROOF_MARKER}{old_size}\n" + "".join(f"{h.hex()}\n" for h in proof)


def check_later(text: str, head: cp.Checkpoint, logger: Ed25519PublicKey) -> int:
    note, old_size, proof = parse_later_checkpoint(text)
    try:
        later = cp.verify(note, logger, note.split("\n", 1)[0])
    except cp.CheckpointError as error:
        raise VerificationError(error.reason, where="later checkpoint") from None
    if later.size < head.size:
        raise VerificationError(
            "later checkpoint is smaller than the bundle's", where="later checkpoint"
        )
    if old_size is None and later.size != head.size:
        raise VerificationError(
            f"no consistency proof from the bundle's {head.size} entries to its {later.size} "
            "(give the file `checkpoint --proof-from` wrote: --consistency-proof)",
            where="later checkpoint",
        )
    if old_size is not None and old_size != head.size:
        raise VerificationError(
            f"its consistency proof starts at {old_size}, not at the bundle's {head.size}",
            where="later checkpoint",
        )
    try:
        verify_consistency(head.size, later.size, head.root, later.root, proof)
    except MerkleError:
        raise VerificationError(
            "not consistent with the bundle's checkpoint (history rewritten)",
            where="later checkpoint",
        ) from None
    return later.size
