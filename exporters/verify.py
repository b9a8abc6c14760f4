"""`sendtrail verify`: check a bundle fully offline, raising at the first failure.

Order of checks: the zip is safe to read; the BagIt manifests match every file (nothing
changed, added or removed; under signatures/ only the envelope and the timestamp); the
DSSE signature by the exporter key covers the tag manifest; the RFC 3161 timestamp, if
there (or if the signed statement says it should be), is over the exact envelope bytes;
the checkpoint is signed by the log key; every listed entry's leaf recomputes, sits in
the signed tree (inclusion proof) and continues the child's hash chain; admitted
entries carry exactly the stored bytes and the committed plaintext; the child's last
entry is the head the checkpoint committed to; and, if given, a later checkpoint is
consistent with the bundle's.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from exporters import dsse
from exporters.archive import ArchiveError, Limits, read_zip
from exporters.timestamp import Stamp, TimestampError, read_token
from exporters.trust import Anchor
from exporters.verify_base import DEFAULT_PROOF_FILE as DEFAULT_PROOF_FILE
from exporters.verify_base import ENVELOPE, REASONS, TIMESTAMP, read_json
from exporters.verify_base import PLAN_FILE as PLAN_FILE
from exporters.verify_base import PROOF_MARKER as PROOF_MARKER
from exporters.verify_base import WITHHELD as WITHHELD
from exporters.verify_base import VerificationError as VerificationError
from exporters.verify_later import check_later
from exporters.verify_later import parse_later_checkpoint as parse_later_checkpoint
from exporters.verify_later import proof_document as proof_document
from exporters.verify_later import with_proof as with_proof
from exporters.verify_summary import (
    check_claims,
    check_la_request,
    check_redactions,
    exported_day,
    identity,
    witnessed_at,
    witnessed_by,
)
from ledger import checkpoint as cp
from ledger.cosignature import Witness
from ledger.framing import SALT_KEY, FrameError, canonical_plaintext, commit, parse
from ledger.leaf import GENESIS, LEAF_FORMAT, AuditLeaf, parse_time
from ledger.log import head_leaf_hash
from ledger.merkle import InclusionVerifier, MerkleError, verify_consistency, verify_inclusion
from projections.timeline import ABOUT_OTHERS as ENTRIES_ABOUT_OTHERS

# Entries about other entries are admitted with their target, not by their own date.
ABOUT_OTHERS = frozenset(kind.__name__ for kind in ENTRIES_ABOUT_OTHERS)


@dataclass(frozen=True)
class Verified:
    child_id: str
    entries_listed: int
    entries_admitted: int
    checkpoint_size: int
    root: str
    signer_key_id: str
    keys_from_bundle: bool  # no trust anchor: intact, but who signed it is not known
    later_checkpoint_size: int | None
    timestamped_at: datetime | None = None
    timestamp_authority: str | None = None
    entries_withheld: int = 0
    la_request: str | None = None  # the profile of an LA request the bundle carries
    trust_anchor: str | None = None  # whose keys it was checked with (None: the bundle's)
    log_key_id: str = ""
    as_of: str = ""
    known_at: str = ""
    origin: str = ""  # the log's name in its checkpoint
    witnessed_by: tuple[str, ...] = ()  # the given witnesses whose cosignature checked out
    child_name: str = ""  # as the bundle's support plan names the child ("" if it does not)
    setting_id: str = ""
    setting_name: str = ""  # what the setting is called (its id where it has no name)
    witnessed_at: tuple[tuple[str, datetime], ...] = ()  # (witness, when it cosigned)
    exported_on: str = ""  # the day it was exported, as its signed summary says ("": not said)
    newest_recorded_at: datetime | None = None  # when the child's last entry in it was recorded


def _public(pem: bytes, where: str) -> Ed25519PublicKey:
    try:
        key = load_pem_public_key(pem)
    except ValueError:
        raise VerificationError("not a PEM public key", where=where) from None
    if not isinstance(key, Ed25519PublicKey):
        raise VerificationError("not an Ed25519 public key", where=where)
    return key


def _manifest(files: dict[str, bytes], name: str) -> dict[str, str]:
    if name not in files:
        raise VerificationError("missing", where=name)
    listed: dict[str, str] = {}
    for line in files[name].decode("utf-8", "replace").split("\n"):
        if not line.strip():
            continue
        digest, _, path = line.rstrip("\r").partition(" ")
        listed[path.lstrip(" *")] = digest
    return listed


def _check_bag(files: dict[str, bytes]) -> None:
    if "bagit.txt" not in files:
        raise VerificationError("missing: not a BagIt bag", where="bagit.txt")
    payload = _manifest(files, "manifest-sha256.txt")
    tags = _manifest(files, "tagmanifest-sha256.txt")
    for listing in (tags, payload):
        for path, digest in sorted(listing.items()):
            if path not in files:
                raise VerificationError("file listed in the manifest is missing", where=path)
            if hashlib.sha256(files[path]).hexdigest() != digest:
                raise VerificationError(
                    "file changed (SHA-256 differs from the manifest)", where=path
                )
    for path in sorted(files):
        top = PurePosixPath(path).parts[0]
        if top == "data" and path not in payload:
            raise VerificationError("file added (not in manifest-sha256.txt)", where=path)
        if top == "signatures" and path not in (ENVELOPE, TIMESTAMP):
            raise VerificationError("file added (not a signature file of a bundle)", where=path)
        if (
            top not in ("data", "signatures")
            and path != "tagmanifest-sha256.txt"
            and path not in tags
        ):
            raise VerificationError("file added (not in tagmanifest-sha256.txt)", where=path)


def _occurred(event: dict[str, Any]) -> datetime:
    value = event["occurred_at"]
    return datetime.fromisoformat(value["_data_"] if isinstance(value, dict) else value)


@dataclass(frozen=True)
class _Claims:
    """What the signed summary says that every entry is checked against (read once)."""

    known_at: datetime
    as_of: str
    withheld: frozenset[int]

    @classmethod
    def of(cls, summary: dict[str, Any]) -> _Claims:
        try:
            return cls(
                datetime.fromisoformat(summary["known_at"]),
                str(summary["as_of"]),
                frozenset(summary.get("withheld", [])),
            )
        except (KeyError, TypeError, ValueError):
            raise VerificationError("unreadable", where="data/bundle.json") from None


def _check_entry(line: dict[str, Any], leaf: AuditLeaf, where: str, claims: _Claims) -> None:
    known_at = claims.known_at
    recorded = parse_time(leaf.recorded_at)
    withheld = leaf.version in claims.withheld
    if not line["admitted"]:
        if line.get("stored") is not None or line.get("event") is not None:
            raise VerificationError("an entry not admitted carries content", where=where)
        reason = line.get("not_admitted_because")
        if (reason == WITHHELD) != withheld:
            raise VerificationError(
                "withheld entries differ from those the signed summary lists", where=where
            )
        if withheld:
            return
        if reason not in REASONS or (reason == REASONS[1]) != (recorded > known_at):
            raise VerificationError(
                "the reason given for leaving it out does not hold", where=where
            )
        return
    if withheld:
        raise VerificationError("an entry listed as withheld carries content", where=where)
    if recorded > known_at:
        raise VerificationError("recorded after the bundle's known-at time", where=where)
    try:
        stored = base64.b64decode(line["stored"], validate=True)
        frame = parse(stored)
    except (TypeError, ValueError, FrameError):
        raise VerificationError("stored bytes missing or unreadable", where=where) from None
    frame_commitment = frame.commitment
    if hashlib.sha256(stored).hexdigest() != leaf.state_sha256:
        raise VerificationError("stored bytes differ from the leaf (content changed)", where=where)
    if frame_commitment.hex() != leaf.commitment:
        raise VerificationError("stored commitment differs from the leaf", where=where)
    event = line.get("event")
    # A clear (ST1) frame carries the event itself; a sealed (ST2) one only its ciphertext,
    # so there the salted commitment below is what ties the event to the signed leaf.
    if not frame.sealed and event != orjson.loads(frame.body):
        raise VerificationError("event text differs from the stored bytes", where=where)
    if not isinstance(event, dict) or SALT_KEY not in event:
        raise VerificationError("event missing", where=where)
    if commit(bytes.fromhex(event[SALT_KEY]), canonical_plaintext(event)) != frame_commitment:
        raise VerificationError(
            "event does not match its commitment (content changed)", where=where
        )
    kind = leaf.topic.rsplit(":", 1)[-1]
    if kind not in ABOUT_OTHERS and _occurred(event).date().isoformat() > claims.as_of:
        raise VerificationError("admitted although it happened after the as-of date", where=where)


def verify_bundle(
    data: bytes,
    *,
    key: Ed25519PublicKey | None = None,
    log_key: Ed25519PublicKey | None = None,
    later_checkpoint: str | None = None,
    tsa_cert: bytes | None = None,
    anchors: Sequence[Anchor] = (),
    given: str = "the keys given",
    witnesses: Sequence[Witness] = (),
    witnesses_required: int = 0,
    limits: Limits | None = None,
) -> Verified:
    """Everything checked, or VerificationError at the first failure.

    `tsa_cert` (PEM or DER) is the TSA certificate a timestamp must be signed with; given,
    the bundle must carry a timestamp. Without it the token's own certificate is used, and
    `Verified.timestamp_authority` names it for the reader to judge.
    """
    try:
        files = read_zip(data, limits or Limits())
    except ArchiveError as error:
        raise VerificationError(error.reason, where=error.where) from None
    _check_bag(files)
    signer = key or _public(files.get("signer.pub.pem", b""), "signer.pub.pem")
    logger = log_key or _public(files.get("log.pub.pem", b""), "log.pub.pem")

    envelope = files.get(ENVELOPE)
    if envelope is None:
        raise VerificationError("missing: the bundle is not signed", where=ENVELOPE)
    try:
        statement = dsse.open_envelope(envelope, signer)
    except dsse.SignatureError as error:
        raise VerificationError(str(error), where=ENVELOPE) from None
    subject = statement.get("subject", [{}])[0].get("digest", {}).get("sha256")
    if subject != hashlib.sha256(files["tagmanifest-sha256.txt"]).hexdigest():
        raise VerificationError("signature does not cover this tag manifest", where=ENVELOPE)
    summary = read_json(files, "data/bundle.json")
    if statement.get("predicate") != summary:
        raise VerificationError(
            "signed statement differs from bundle.json", where="data/bundle.json"
        )
    stamp = _check_timestamp(files, envelope, summary, tsa_cert)
    head = _verify_note(files, "data/audit/checkpoint.txt", logger)
    witnessed = witnessed_by(files["data/audit/checkpoint.txt"].decode(), witnesses)
    if len(witnessed) < witnesses_required:
        raise VerificationError(
            f"witnessed by {len(witnessed)} of the {witnesses_required} witnesses required "
            f"({', '.join(witnessed) or 'none'}): the log may have been rewritten since "
            "they last saw it",
            where="data/audit/checkpoint.txt",
        )
    # Keys inside the bundle prove it intact, never who made it: trust comes from outside.
    covering = next((a for a in anchors if a.covers(signer, logger, head.origin)), None)
    if key is not None and log_key is not None:
        anchor: str | None = given
    else:
        anchor = covering.name if covering else None
    if covering is not None and covering.witnesses_required:  # the anchor's own policy
        seen = witnessed_by(files["data/audit/checkpoint.txt"].decode(), covering.witness_policy())
        if len(seen) < covering.witnesses_required:
            raise VerificationError(
                f"witnessed by {len(seen)} of the {covering.witnesses_required} witnesses "
                f"{covering.name} requires ({', '.join(seen) or 'none'}): the log may have "
                "been rewritten since they last saw it",
                where="data/audit/checkpoint.txt",
            )
        witnessed = tuple(dict.fromkeys(witnessed + seen))
    # One entry per "\n"-ended line (JSON Lines): never split at U+2028, U+2029 or U+0085,
    # which a note may hold and str.splitlines() would break on.
    # (Split as bytes: orjson reads each line's UTF-8 itself and refuses invalid UTF-8.)
    text = files.get("data/events.jsonl", b"")
    lines = text.split(b"\n")[:-1] if text.endswith(b"\n") else text.split(b"\n")
    previous, last = GENESIS, None
    claims = _Claims.of(summary)
    included = InclusionVerifier(head.size, head.root)  # each shared node hashed once
    admitted: set[int] = set()
    attached: dict[str, dict[str, Any]] = {}  # digest -> what an admitted entry records
    for number, raw in enumerate(lines, start=1):
        try:
            line = orjson.loads(raw)
            fields = dict(line["leaf"])
            if fields.pop("v", LEAF_FORMAT) != LEAF_FORMAT:
                raise ValueError("another leaf format")
            leaf = AuditLeaf(**fields)
            proof = [bytes.fromhex(h) for h in line["inclusion_proof"]]
        except (ValueError, TypeError, KeyError):
            raise VerificationError(
                "unreadable entry", where=f"data/events.jsonl line {number}"
            ) from None
        where = f"data/events.jsonl entry v{leaf.version} (line {number})"
        if leaf.child_id != summary["child_id"]:
            raise VerificationError("entry of another child", where=where)
        if leaf.version != number:
            raise VerificationError(
                f"expected v{number}: entries missing, added or reordered", where=where
            )
        if leaf.prev != previous:
            raise VerificationError("hash chain broken (prev is not the entry before)", where=where)
        digest = leaf.hash()
        try:
            included.verify(digest, leaf.index, proof)
        except MerkleError:
            raise VerificationError(
                "not in the signed log (inclusion proof fails)", where=where
            ) from None
        _check_entry(line, leaf, where, claims)
        if line["admitted"]:
            admitted.add(leaf.version)
            for attachment in (line.get("event") or {}).get("attachments") or []:
                if isinstance(attachment, dict):
                    attached.setdefault(str(attachment.get("sha256")), attachment)
        previous, last = digest.hex(), leaf
    if last is None:
        raise VerificationError("no entries", where="data/events.jsonl")
    _check_head(files, head, last)
    _check_files(files, attached)
    check_redactions(files, summary, len(lines))
    check_la_request(files, summary, admitted)
    _check_previous(files, head, logger)
    check_claims(summary, head, len(lines), admitted)  # after the checks that say more
    child_name, setting_id, setting_name = identity(files, summary)
    exported_on = exported_day(summary, parse_time(last.recorded_at), stamp)
    later_size = None
    if later_checkpoint is not None:
        later_size = check_later(later_checkpoint, head, logger)
    return Verified(
        summary["child_id"],
        len(lines),
        len(admitted),
        head.size,
        head.root.hex(),
        dsse.key_id(signer),
        anchor is None,
        later_size,
        stamp.gen_time if stamp else None,
        stamp.authority if stamp else None,
        len(summary.get("withheld", [])),
        (summary.get("la_request") or {}).get("profile"),
        anchor,
        dsse.key_id(logger),
        str(summary["as_of"]),
        str(summary["known_at"]),
        head.origin,
        witnessed,
        child_name,
        setting_id,
        setting_name,
        witnessed_at(files["data/audit/checkpoint.txt"].decode(), witnesses, covering),
        exported_on,
        parse_time(last.recorded_at),
    )


def _check_timestamp(
    files: dict[str, bytes], envelope: bytes, summary: dict[str, Any], tsa_cert: bytes | None
) -> Stamp | None:
    token = files.get(TIMESTAMP)
    if token is None:
        if summary.get("trusted_timestamp") == TIMESTAMP:
            raise VerificationError(
                "missing: the signed statement says the bundle was timestamped", where=TIMESTAMP
            )
        if tsa_cert is not None:
            raise VerificationError("missing: a trusted timestamp was required", where=TIMESTAMP)
        return None
    try:
        return read_token(token, envelope, tsa_cert=tsa_cert)
    except TimestampError as error:
        raise VerificationError(error.reason, where=TIMESTAMP) from None


def _verify_note(files: dict[str, bytes], name: str, logger: Ed25519PublicKey) -> cp.Checkpoint:
    try:
        note = files[name].decode()
        return cp.verify(note, logger, note.split("\n", 1)[0])
    except KeyError:
        raise VerificationError("missing", where=name) from None
    except (UnicodeDecodeError, cp.CheckpointError) as error:
        reason = error.reason if isinstance(error, cp.CheckpointError) else "not text"
        raise VerificationError(reason, where=name) from None


def _check_head(files: dict[str, bytes], head: cp.Checkpoint, last: AuditLeaf) -> None:
    where = "data/audit/child-head.json"
    info = read_json(files, where)
    claimed = (last.child_id, last.version, last.index, last.hash().hex())
    try:
        stated = tuple(info["head"])
        proof = [bytes.fromhex(h) for h in info["proof"]]
        verify_inclusion(
            head_leaf_hash(*stated), info["position"], info["heads_count"], proof, head.heads_root
        )
    except (KeyError, TypeError, ValueError):
        raise VerificationError("unreadable", where=where) from None
    except MerkleError:
        raise VerificationError(
            "child head is not the one the checkpoint signed", where=where
        ) from None
    if info["heads_count"] != head.heads_count:
        raise VerificationError("heads count differs from the checkpoint", where=where)
    if stated != claimed:
        raise VerificationError(
            "the bundle stops before the child's last entry (tail left out)", where=where
        )


def _check_files(files: dict[str, bytes], attached: dict[str, dict[str, Any]]) -> None:
    """Every file an admitted entry attaches is in the bundle with the bytes its entry's
    leaf binds (its digest and size), and no other file is."""
    for digest, described in sorted(attached.items()):
        where = f"data/files/{digest}"
        if where not in files:
            raise VerificationError(
                f"attached file missing (named in an entry: {described.get('name')!s:.60})",
                where=where,
            )
        content = files[where]
        if hashlib.sha256(content).hexdigest() != digest or len(content) != described.get("size"):
            raise VerificationError(
                "attached file changed or swapped (its bytes differ from the digest its "
                "entry records)",
                where=where,
            )
    for path in sorted(files):
        if path.startswith("data/files/") and path.removeprefix("data/files/") not in attached:
            raise VerificationError("file added (no admitted entry attaches it)", where=path)


def _check_previous(files: dict[str, bytes], head: cp.Checkpoint, logger: Ed25519PublicKey) -> None:
    if "data/audit/previous-checkpoint.txt" not in files:
        return
    old = _verify_note(files, "data/audit/previous-checkpoint.txt", logger)
    info = read_json(files, "data/audit/consistency.json")
    try:
        verify_consistency(
            old.size, head.size, old.root, head.root, [bytes.fromhex(h) for h in info["proof"]]
        )
    except (KeyError, ValueError, MerkleError):
        raise VerificationError(
            "the log was rewritten since the previous checkpoint",
            where="data/audit/consistency.json",
        ) from None
