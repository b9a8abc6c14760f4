"""Signed checkpoints in the C2SP tlog-checkpoint / signed-note formats.

    <origin>\\n<tree size>\\n<base64 root>\\nsendtrail-heads <count> <base64 heads root>\\n
    \\n
    — <key name> <base64(key ID (4 bytes) || Ed25519 signature)>\\n

The extension line commits to the tree of child heads (child id -> latest leaf), so a
truncated tail of one child is caught even when it was not the end of the global log.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.keys import raw_public

SIGNATURE_TYPE_ED25519 = b"\x01"
HEADS_EXTENSION = "sendtrail-heads"
DASH = "\u2014"


class CheckpointError(Exception):
    """A checkpoint is malformed, unsigned by the expected key, or its signature fails."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignerChanged(CheckpointError):
    """This log's checkpoints were signed with another log key or origin than the one
    offered: signing with it would split the log between two signers."""


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log's size and root, and the child-heads root."""

    origin: str
    size: int
    root: bytes
    heads_count: int
    heads_root: bytes

    def body(self) -> str:
        return (
            f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"
            f"{HEADS_EXTENSION} {self.heads_count} {base64.b64encode(self.heads_root).decode()}\n"
        )


def key_id(name: str, public: Ed25519PublicKey) -> bytes:
    """C2SP key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    return hashlib.sha256(
        name.encode() + b"\n" + SIGNATURE_TYPE_ED25519 + raw_public(public)
    ).digest()[:4]


def verifier_key(name: str, public: Ed25519PublicKey) -> str:
    """The C2SP signed-note verifier key, `<name>+<hex key ID>+<base64(0x01 || key)>`: what
    signed-note tools (e.g. Go's golang.org/x/mod/sumdb/note) take to check checkpoints."""
    blob = base64.b64encode(SIGNATURE_TYPE_ED25519 + raw_public(public)).decode()
    return f"{name}+{key_id(name, public).hex()}+{blob}"


def sign(checkpoint: Checkpoint, key: Ed25519PrivateKey, name: str) -> str:
    """The signed note text."""
    body = checkpoint.body()
    signature = key.sign(body.encode())
    blob = base64.b64encode(key_id(name, key.public_key()) + signature).decode()
    return f"{body}\n{DASH} {name} {blob}\n"


def parse(note: str) -> tuple[Checkpoint, list[tuple[str, bytes]]]:
    """Split a signed note into its checkpoint and (key name, key ID || signature) pairs."""
    body, sep, signatures = note.partition("\n\n")
    if not sep:
        raise CheckpointError("checkpoint has no signature block")
    lines = body.split("\n")
    try:
        origin, size_text, root_text = lines[0], lines[1], lines[2]
        extension = next(line for line in lines[3:] if line.startswith(HEADS_EXTENSION + " "))
        _, count_text, heads_text = extension.split(" ")
        checkpoint = Checkpoint(
            origin=origin,
            size=int(size_text),
            root=base64.b64decode(root_text, validate=True),
            heads_count=int(count_text),
            heads_root=base64.b64decode(heads_text, validate=True),
        )
    except (IndexError, StopIteration, ValueError):
        raise CheckpointError("checkpoint body is malformed") from None
    if checkpoint.body() != body + "\n":
        raise CheckpointError("checkpoint body is not in canonical form")
    found = []
    for line in signatures.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH:
            raise CheckpointError("malformed signature line")
        try:
            found.append((parts[1], base64.b64decode(parts[2], validate=True)))
        except ValueError:
            raise CheckpointError("signature is not base64") from None
    return checkpoint, found


def verify(note: str, public: Ed25519PublicKey, name: str) -> Checkpoint:
    """The checkpoint, if `public` under `name` signed it; else CheckpointError."""
    checkpoint, signatures = parse(note)
    wanted = key_id(name, public)
    mine = [blob for signer, blob in signatures if signer == name and blob[:4] == wanted]
    if not mine:
        raise CheckpointError("checkpoint is not signed by the log key")
    try:
        public.verify(mine[0][4:], checkpoint.body().encode())
    except InvalidSignature:
        raise CheckpointError("checkpoint signature is invalid") from None
    return checkpoint
