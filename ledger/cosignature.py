"""Witness cosignatures of checkpoints (C2SP tlog-cosignature, `cosignature/v1`, Ed25519).

A cosignature is a signed-note signature line by a witness over the whole checkpoint body
(extension lines included, so it covers the `sendtrail-heads` line too, though a witness
vouches only for the first three lines: the log's append-only growth):

    signed message = "cosignature/v1\\n" || "time <unix seconds>\\n" || checkpoint body
    key ID         = SHA-256(name || "\\n" || 0x04 || 32-byte public key)[:4]
    line           = "— <name> " || base64(key ID || u64 big-endian time || signature)
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.checkpoint import DASH
from ledger.keys import raw_public

COSIGNATURE_V1 = b"\x04"


class CosignatureError(ValueError):
    """Not a valid cosignature of this checkpoint by this witness."""


@dataclass(frozen=True)
class Witness:
    """A witness a verifier or a log knows: its name and public key (and, for a log, where
    to submit checkpoints)."""

    name: str
    public: Ed25519PublicKey
    url: str = ""


def parse_witness(text: str) -> Witness:
    """A witness from 'NAME PUBLIC-KEY-BASE64' (as `sendtrail witness key` prints it)."""
    parts = text.split()
    if len(parts) != 2:
        raise CosignatureError("a witness is 'NAME PUBLIC-KEY-BASE64'")
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(parts[1], validate=True))
    except ValueError:
        raise CosignatureError(
            f"the key of witness {parts[0]} is not a base64 Ed25519 public key (32 bytes)"
        ) from None
    return Witness(parts[0], public)


def key_id(name: str, public: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + COSIGNATURE_V1 + raw_public(public)).digest()[:4]


def message(body: str, timestamp: int) -> bytes:
    """What a witness signs: the header, the time, then the whole checkpoint body."""
    return b"cosignature/v1\ntime %d\n" % timestamp + body.encode()


def cosign(body: str, key: Ed25519PrivateKey, name: str, timestamp: int) -> str:
    """A cosignature line (with its newline) over the checkpoint `body`."""
    signature = key.sign(message(body, timestamp))
    blob = key_id(name, key.public_key()) + struct.pack(">Q", timestamp) + signature
    return f"{DASH} {name} {base64.b64encode(blob).decode()}\n"


def body_of(note: str) -> str:
    """The checkpoint body of a signed note (up to and including its last newline)."""
    body, sep, _ = note.partition("\n\n")
    if not sep:
        raise CosignatureError("not a signed note")
    return body + "\n"


def cosigned_by(note: str, witness: Witness) -> int | None:
    """The time `witness` cosigned this checkpoint, if a line of the note is a valid
    cosignature by it (lines of unknown keys are ignored, as the spec says)."""
    body = body_of(note)
    wanted = key_id(witness.name, witness.public)
    for line in note.partition("\n\n")[2].split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH or parts[1] != witness.name:
            continue
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except ValueError:
            continue
        if len(blob) != 4 + 8 + 64 or blob[:4] != wanted:
            continue
        timestamp = struct.unpack(">Q", blob[4:12])[0]
        try:
            witness.public.verify(blob[12:], message(body, timestamp))
        except InvalidSignature:
            continue
        return int(timestamp)
    return None


def with_lines(note: str, lines: list[str]) -> str:
    """The note with these signature lines added (each once)."""
    present = set(note.split("\n"))
    extra = [line if line.endswith("\n") else line + "\n" for line in lines]
    return note + "".join(line for line in extra if line.rstrip("\n") not in present)
