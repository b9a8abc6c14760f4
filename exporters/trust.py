"""Trust anchors: whose keys a verifier accepts, decided outside the bundle.

A bundle carries its signer's and its log's public keys so that it can be checked anywhere,
but keys found inside a bundle prove only that the bundle is intact, never who made it: a
forger puts their own keys there. Trust comes from a key given on the command line, from
the setting's own keys (checking on its own server), or from a local trust store of named
anchors added by the person who verifies (`sendtrail trust add`), each pairing the
fingerprints of a setting's exporter key and log key. A fingerprint is the SHA-256 of the
raw Ed25519 public key, in hex (the DSSE `keyid` a bundle names, and `keys status` prints).
An anchor may also carry a witness policy: the witnesses (name and public key) whose
cosignatures of a bundle's checkpoint it requires, and how many of them must check out, so
that a history the setting rewrote after they saw it fails even under its own keys.
The store is a small JSON file written atomically; nothing in it is secret.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from exporters.dsse import key_id
from ledger.cosignature import CosignatureError, Witness, parse_witness

FINGERPRINT = re.compile(r"[0-9a-f]{64}")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,79}")
ORIGIN = re.compile(r"[\x21-\x7e]{1,255}")


class TrustStoreError(ValueError):
    """A trust store entry or file that cannot be used; the message names the rule."""


@dataclass(frozen=True)
class Anchor:
    """A named pair of fingerprints a verifier trusts: a setting's exporter and log keys."""

    name: str
    signer: str
    log: str
    origin: str | None = None  # the log's name in its checkpoints, if the anchor pins it
    witnesses: tuple[str, ...] = ()  # 'NAME PUBLIC-KEY-BASE64' of each witness it names
    witnesses_required: int = 0  # how many of them must have cosigned the checkpoint

    def witness_policy(self) -> list[Witness]:
        """The witnesses this anchor names (checked when it was added)."""
        return [parse_witness(text) for text in self.witnesses]

    def covers(self, signer: Ed25519PublicKey, log: Ed25519PublicKey, origin: str) -> bool:
        """Whether these are exactly this anchor's keys (and log origin, if pinned)."""
        return (
            key_id(signer) == self.signer
            and key_id(log) == self.log
            and (self.origin is None or self.origin == origin)
        )


def fingerprint(value: str, what: str) -> str:
    """A fingerprint as typed (any case, ':' or spaces between pairs allowed), checked."""
    cleaned = re.sub(r"[\s:]", "", value).lower().removeprefix("sha256")
    if not FINGERPRINT.fullmatch(cleaned):
        raise TrustStoreError(f"{what} must be a SHA-256 fingerprint: 64 hexadecimal digits")
    return cleaned


def anchor_of(
    name: str, signer: Ed25519PublicKey, log: Ed25519PublicKey, origin: str | None = None
) -> Anchor:
    """The anchor of two known keys (e.g. the installation's own)."""
    return Anchor(name, key_id(signer), key_id(log), origin)


class TrustStore:
    """Named anchors in a JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def anchors(self) -> list[Anchor]:
        """Every anchor, by name (none if the file does not exist)."""
        if not self.path.exists():
            return []
        try:
            found = json.loads(self.path.read_text(encoding="utf-8"))
            return sorted(
                (
                    Anchor(
                        a["name"],
                        a["signer"],
                        a["log"],
                        a.get("origin"),
                        tuple(a.get("witnesses", ())),
                        int(a.get("witnesses_required", 0)),
                    )
                    for a in found["anchors"]
                ),
                key=lambda a: a.name,
            )
        except (OSError, ValueError, KeyError, TypeError):
            raise TrustStoreError(f"trust store {self.path.name} is unreadable") from None

    def add(
        self,
        name: str,
        signer: str,
        log: str,
        origin: str | None = None,
        witnesses: Sequence[str] = (),
        witnesses_required: int | None = None,
    ) -> Anchor:
        """Add (or replace) the anchor `name`; with `witnesses`, bundles under it must carry
        cosignatures of `witnesses_required` of them (default all)."""
        if origin is not None and not ORIGIN.fullmatch(origin):
            raise TrustStoreError("the origin must be a log's name as its checkpoints give it")
        if not NAME.fullmatch(name):
            raise TrustStoreError(
                "NAME must be 1-80 letters, digits, spaces, dots, dashes or underscores"
            )
        named = []
        for text in witnesses:
            try:
                witness = parse_witness(text)
            except CosignatureError as error:
                raise TrustStoreError(f"witness: {error}") from None
            named.append(f"{witness.name} {text.split()[1]}")
        if len({text.split()[0] for text in named}) != len(named):
            raise TrustStoreError("witness: each witness is named once")
        required = len(named) if witnesses_required is None else witnesses_required
        if not 0 <= required <= len(named):
            raise TrustStoreError(
                f"witnesses required must be between 0 and the {len(named)} witnesses named"
            )
        anchor = Anchor(
            name,
            fingerprint(signer, "the signer's fingerprint"),
            fingerprint(log, "the log's"),
            origin,
            tuple(named),
            required,
        )
        self._write([a for a in self.anchors() if a.name != name] + [anchor])
        return anchor

    def remove(self, name: str) -> bool:
        """Remove the anchor `name`; whether there was one."""
        kept = [a for a in self.anchors() if a.name != name]
        if len(kept) == len(self.anchors()):
            return False
        self._write(kept)
        return True

    def _write(self, anchors: list[Anchor]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"anchors": [asdict(a) for a in anchors]}, indent=2) + "\n"
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".trust-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(body)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def installation_anchor(signer: Ed25519PublicKey, log: Ed25519PublicKey, origin: str) -> Anchor:
    """The anchor of an installation's own keys, checking on its own machine or server."""
    return anchor_of(f"this installation's own keys ({origin})", signer, log, origin)
