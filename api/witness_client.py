"""The log's side of witnessing: each new checkpoint is submitted to the configured
witnesses (C2SP tlog-witness add-checkpoint) with a consistency proof from the last size
each one cosigned; their cosignatures are checked and kept with the checkpoint, and ride
in every bundle's checkpoint. A witness that is down or refuses never blocks a write or a
checkpoint: the next `sendtrail checkpoint` tries again."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger import checkpoint as cp
from ledger.cosignature import Witness, cosigned_by, with_lines
from ledger.log import Ledger

SIZE_TYPE = "text/x.tlog.size"


class WitnessConfigError(ValueError):
    """SENDTRAIL_WITNESSES is not 'NAME URL PUBLIC-KEY-BASE64' entries separated by ';'."""


def parse_witnesses(text: str | None) -> list[Witness]:
    """'NAME URL KEY; NAME URL KEY' (KEY: the 32-byte Ed25519 key, base64)."""
    found = []
    for entry in (text or "").split(";"):
        if not entry.strip():
            continue
        parts = entry.split()
        if len(parts) != 3:
            raise WitnessConfigError(
                "SENDTRAIL_WITNESSES: each witness is 'NAME URL PUBLIC-KEY-BASE64', "
                "separated by ';'"
            )
        name, url, key = parts
        try:
            public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key, validate=True))
        except ValueError:
            raise WitnessConfigError(
                f"SENDTRAIL_WITNESSES: the key of {name} is not a base64 Ed25519 public key"
            ) from None
        found.append(Witness(name, public, url))
    return found


@dataclass(frozen=True)
class Outcome:
    witness: str
    cosigned: bool
    said: str  # in plain words, for the operator


def submit(
    ledger: Ledger, note: str, witnesses: list[Witness], *, timeout: float = 10
) -> list[Outcome]:
    """Ask each witness to cosign `note`; keep the cosignatures that check out."""
    head = cp.parse(note)[0]
    outcomes = []
    for witness in witnesses:
        outcomes.append(_submit_one(ledger, note, head, witness, timeout))
    return outcomes


def _submit_one(
    ledger: Ledger, note: str, head: cp.Checkpoint, witness: Witness, timeout: float
) -> Outcome:
    old = ledger.latest_cosigned(witness.name)
    for _ in range(2):  # once more with the size the witness says it holds
        if old > head.size:
            return Outcome(witness.name, False, f"it holds a larger size ({old}) than this log")
        proof = ledger.consistency_proof(old, head.size) if 0 < old < head.size else []
        body = f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)
        try:
            answer = httpx.post(
                witness.url.rstrip("/") + "/add-checkpoint",
                content=(body + "\n" + note).encode(),
                timeout=timeout,
            )
        except httpx.HTTPError as error:
            return Outcome(witness.name, False, f"unreachable ({type(error).__name__})")
        if answer.status_code == 409 and answer.headers.get("content-type", "").startswith(
            SIZE_TYPE
        ):
            try:
                old = int(answer.text.strip())
            except ValueError:
                return Outcome(witness.name, False, "answered 409 without a size")
            continue
        break
    if answer.status_code != 200:
        return Outcome(
            witness.name, False, f"refused ({answer.status_code}: {answer.text.strip()[:80]})"
        )
    for line in answer.text.split("\n"):
        if line and cosigned_by(with_lines(note, [line]), witness) is not None:
            ledger.add_cosignature(head.size, witness.name, line)
            return Outcome(witness.name, True, "cosigned")
    return Outcome(witness.name, False, "answered without a valid cosignature by its key")
