"""The evidence bundle: a deterministic, signed BagIt zip of one child's record.

Its content is a pure function of (child, as_of, known_at, checkpoint, keys, export day):
the export time is not inside it, only its day (the moment is recorded on the child as
`EvidenceBundleExported`), so the same request on the same day gives byte-identical
bundles. Every leaf of the child up to the checkpoint is
listed, so nothing can be left out from the middle unseen: the admitted ones carry the
stored bytes and the event, the others only their leaf and why they are not admitted.

With a timestamp authority (TSA) the bundle also carries `signatures/timestamp.tsr`, an
RFC 3161 token over the exact bytes of the DSSE envelope. The TSA signs the time it was
asked, so that token (and so the zip) differs from one request to the next: determinism
holds for bundles without a TSA, and for everything but the token in those with one.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from domain.application import ChildRecords
from exporters import dsse
from exporters.archive import write_zip
from exporters.bagit_files import bag
from exporters.timestamp import Stamp, TimestampError, read_token
from exporters.verify import PLAN_FILE, WITHHELD
from exporters.verify_text import verify_text
from ledger import checkpoint as cp
from ledger.cosignature import with_lines
from ledger.keys import public_pem
from ledger.leaf import LEAF_FORMAT, AuditLeaf, parse_time
from ledger.log import Ledger, head_leaf_hash
from ledger.mapper import CommittingMapper
from ledger.merkle import inclusion_proof
from projections import disclosure
from projections.jsonable import jsonable
from projections.timeline import Entry
from projections.views import VIEWS, ChildViews

ENVELOPE = "signatures/bundle.dsse.json"
TIMESTAMP = "signatures/timestamp.tsr"
VIEW_FILES = {
    "plan": PLAN_FILE,
    "chronology": "chronology.json",
    "provision-map": "provision-map.json",
    "readiness": "readiness.json",
    "ehc-timeline": "ehc-timeline.json",
}


class ExportError(Exception):
    """The bundle cannot be made (e.g. no checkpoint and no log key to make one)."""


@dataclass(frozen=True)
class ExportKeys:
    exporter: Ed25519PrivateKey
    log_public: Ed25519PublicKey
    log_name: str
    log_private: Ed25519PrivateKey | None = None


@dataclass(frozen=True)
class Bundle:
    content: bytes
    sha256: str
    as_of: date
    known_at: datetime
    checkpoint_size: int
    admitted: int
    listed: int
    timestamp: Stamp | None = None


Report = Callable[[dict[str, Any]], dict[str, bytes]]
# Makes an LA's pre-filled request from the admitted entries at (as_of, known_at): its files
# (under data/) and what the signed summary says of them. See exporters.la_files.
RequestFiles = Callable[[list[Entry], date, datetime], tuple[dict[str, bytes], dict[str, Any]]]
# Returns an RFC 3161 token over the given bytes, e.g. `partial(request_token, url, timeout=…)`.
Timestamper = Callable[[bytes], bytes]


def _pretty(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def _covering_checkpoint(ledger: Ledger, keys: ExportKeys, last_index: int) -> str:
    for note in ledger.checkpoints():
        head = cp.verify(note, keys.log_public, keys.log_name)
        if head.size > last_index:
            return note  # the earliest that covers: same request, same bundle
    if keys.log_private is None:
        raise ExportError("no checkpoint covers this record yet and no log key to sign one")
    return ledger.create_checkpoint(keys.log_private, keys.log_name)


def _event_line(
    leaf: AuditLeaf,
    stored: bytes | None,
    event: Any,
    reason: str | None,
    proof: list[bytes],
) -> bytes:
    line = {
        "leaf": {
            "index": leaf.index,
            "child_id": leaf.child_id,
            "version": leaf.version,
            "topic": leaf.topic,
            "recorded_at": leaf.recorded_at,
            "state_sha256": leaf.state_sha256,
            "commitment": leaf.commitment,
            "prev": leaf.prev,
            "v": LEAF_FORMAT,  # the leaf exactly as LEDGER.md gives it
        },
        "inclusion_proof": [h.hex() for h in proof],
        "admitted": stored is not None,
        "not_admitted_because": reason,
        "stored": base64.b64encode(stored).decode() if stored is not None else None,
        "event": event,
    }
    return orjson.dumps(line, option=orjson.OPT_SORT_KEYS) + b"\n"


def build_bundle(
    records: ChildRecords,
    ledger: Ledger,
    views: ChildViews,
    child_id: UUID,
    *,
    as_of: date | None,
    known_at: datetime | None,
    keys: ExportKeys,
    report: Report | None = None,
    request_reason: str | None = None,
    timestamp: Timestamper | None = None,
    subject_access: bool = False,
    la_request: RequestFiles | None = None,
    documents: Callable[[str], bytes] | None = None,
    setting_names: Mapping[str, str] | None = None,
    exported_on: date | None = None,
) -> Bundle:
    """Assemble and sign the bundle for one child, timestamping the signature if asked.
    For a subject access request (a bundle for a parent) the entries a parent does not
    receive (restricted or third-party: projections.disclosure) are withheld: listed,
    with their leaves and proofs, but without content,
    and named in `redactions.json`. With `la_request`, the LA's pre-filled request is
    added, signed with the rest (the verifier checks it cites only entries the bundle
    carries)."""
    every = views.timeline.entries(child_id)
    leaves = ledger.leaves(str(child_id))
    effective_known = known_at or max(e.recorded_at for e in every)
    admitted = views.admitted(child_id, as_of=as_of, known_at=effective_known)
    # A subject access bundle is what a parent receives: the same rule as every other
    # channel a parent reaches (projections.disclosure).
    reasons = disclosure.withheld(every, disclosure.SUBJECT_ACCESS_ROLE) if subject_access else {}
    withheld = {e.version for e in admitted if e.version in reasons}
    admitted = [e for e in admitted if e.version not in withheld]
    note = _covering_checkpoint(ledger, keys, max(lf.index for lf in leaves))
    head = cp.verify(note, keys.log_public, keys.log_name)
    note = with_lines(note, ledger.cosignatures(head.size))  # witnesses' cosignatures ride along
    listed = [lf for lf in leaves if lf.index < head.size]
    as_of_day = as_of or effective_known.date()

    mapper = records.mapper
    if not isinstance(mapper, CommittingMapper):
        raise ExportError("the store is not configured with the committing mapper")
    stored = {s.originator_version: s for s in records.recorder.select_events(child_id)}
    admitted_versions = {e.version for e in admitted}
    by_version = {e.version: e for e in every}
    proofs = ledger.inclusion_proofs([lf.index for lf in listed], head.size)
    lines = []
    for leaf in listed:
        entry = by_version.get(leaf.version) if leaf.version in admitted_versions else None
        reason = None
        if leaf.version in withheld:
            reason = WITHHELD
        elif entry is None:
            reason = (
                "recorded after known_at"
                if parse_time(leaf.recorded_at) > effective_known
                else "outside as_of"
            )
        # The stored bytes (ciphertext once sealed) and the plaintext they commit to: a
        # verifier checks the one against the leaf and the other against the commitment.
        found = stored[leaf.version] if entry else None
        lines.append(
            _event_line(
                leaf,
                found.state if found else None,
                # The payload JSON as stored, spliced in unparsed (its members keep their
                # stored order: the canonical event, then the salt).
                orjson.Fragment(mapper.payload(found)) if found else None,
                reason,
                proofs[leaf.index],
            )
        )
    heads = ledger.heads_at(head.size)
    position = [h[0] for h in heads].index(str(child_id))
    head_proof = inclusion_proof(position, len(heads), [head_leaf_hash(*h) for h in heads])

    view_data = views.views(
        list(VIEWS), child_id, as_of=as_of_day, known_at=effective_known, withhold=withheld
    )
    setting_id = str((view_data["plan"].get("child") or {}).get("setting_id") or "")
    payload: dict[str, bytes] = {
        "events.jsonl": b"".join(lines),
        "audit/checkpoint.txt": note.encode(),
        "audit/child-head.json": _pretty(
            {
                "child_id": str(child_id),
                "head": list(heads[position]),
                "position": position,
                "heads_count": len(heads),
                "proof": [h.hex() for h in head_proof],
            }
        ),
        **{f"{VIEW_FILES[name]}": _pretty(body) for name, body in view_data.items()},
    }
    if documents is not None:
        payload.update(attached_files(admitted, documents))
    previous = [n for n in ledger.checkpoints() if cp.parse(n)[0].size < head.size]
    if previous:
        old = cp.parse(previous[-1])[0]
        payload["audit/previous-checkpoint.txt"] = previous[-1].encode()
        payload["audit/consistency.json"] = _pretty(
            {
                "old_size": old.size,
                "new_size": head.size,
                "proof": [h.hex() for h in ledger.consistency_proof(old.size, head.size)],
            }
        )
    admitted_count = len(admitted_versions & {lf.version for lf in listed})
    summary: dict[str, Any] = {
        "child_id": str(child_id),
        "as_of": as_of_day.isoformat(),
        "known_at": effective_known.isoformat(),
        "checkpoint_size": head.size,
        "root": head.root.hex(),
        "events_listed": len(listed),
        "events_admitted": admitted_count,
        "request_reason": request_reason,
        # Whose record it is, for the reader of a verification (the support plan names the
        # child; the verifier checks the two agree).
        "setting": {"id": setting_id, "name": (setting_names or {}).get(setting_id, setting_id)},
    }
    if exported_on is not None:
        # The day only: the same request on the same day still gives the same bytes. Never
        # before the child's newest entry here was recorded (the log's record time never
        # runs back, whatever a clock says).
        newest = max(parse_time(lf.recorded_at) for lf in listed).astimezone(UTC).date()
        summary["exported_on"] = max(exported_on, newest).isoformat()
    if timestamp is not None:
        # Signed, so that a bundle whose token was removed does not pass as one without.
        summary["trusted_timestamp"] = TIMESTAMP
    if subject_access:
        redacted = [lf for lf in listed if lf.version in withheld]
        summary["purpose"] = "subject_access"
        summary["withheld"] = [lf.version for lf in redacted]
        payload["redactions.json"] = _pretty(
            {
                "reason": WITHHELD,
                "withheld": [
                    {
                        "version": lf.version,
                        "kind": lf.topic.rsplit(":", 1)[-1],
                        "why": reasons[lf.version],
                    }
                    for lf in redacted
                ],
            }
        )
    if la_request is not None:
        request_files, summary["la_request"] = la_request(admitted, as_of_day, effective_known)
        payload.update(request_files)
    payload["bundle.json"] = _pretty(summary)
    if report is not None:
        payload.update(
            report(
                {
                    "views": view_data,
                    **summary,
                    "signer_key_id": dsse.key_id(keys.exporter.public_key()),
                    "log_key_id": dsse.key_id(keys.log_public),
                    "origin": head.origin,
                    "files": sorted((k, len(v)) for k, v in payload.items()),
                }
            )
        )
    tag_files = {
        "VERIFY.txt": verify_text(summary).encode(),
        "signer.pub.pem": public_pem(keys.exporter.public_key()),
        "log.pub.pem": public_pem(keys.log_public),
    }
    files = bag(
        payload,
        tag_files,
        {
            "Source-Organization": "sendtrail",
            "External-Description": "Evidence bundle of one child's SEN record (sendtrail)",
            "External-Identifier": str(child_id),
            # The day of the record time the bundle is as known at (its newest entry's,
            # or the known-at asked for): deterministic, and never the as-of world date.
            "Bagging-Date": effective_known.astimezone(UTC).date().isoformat(),
        },
    )
    tag_digest = hashlib.sha256(files["tagmanifest-sha256.txt"]).hexdigest()
    body = dsse.statement("tagmanifest-sha256.txt", tag_digest, jsonable(summary))
    files[ENVELOPE] = dsse.sign_envelope(body, keys.exporter)
    stamp = None
    if timestamp is not None:
        files[TIMESTAMP], stamp = _timestamped(files[ENVELOPE], timestamp)
    content = write_zip(files)
    return Bundle(
        content,
        hashlib.sha256(content).hexdigest(),
        as_of_day,
        effective_known,
        head.size,
        admitted_count,
        len(listed),
        stamp,
    )


def attached_files(admitted: list[Entry], read: Callable[[str], bytes]) -> dict[str, bytes]:
    """The files the admitted entries attach, under files/ by digest, and files.json: each
    one's name, media type, size and the entries that attach it. Entries made before files
    were stored hold a digest alone and bring no file."""
    found: dict[str, dict[str, Any]] = {}
    for entry in admitted:
        for attachment in entry.event.attachments:
            if isinstance(attachment, dict):
                described = found.setdefault(attachment["sha256"], {**attachment, "entries": []})
                described["entries"].append(entry.version)
    if not found:
        return {}
    files = {f"files/{digest}": read(digest) for digest in sorted(found)}
    files["files.json"] = _pretty({"files": [found[d] for d in sorted(found)]})
    return files


def _timestamped(envelope: bytes, timestamp: Timestamper) -> tuple[bytes, Stamp]:
    try:
        token = timestamp(envelope)
        return token, read_token(token, envelope)
    except TimestampError as error:
        raise ExportError(f"no trusted timestamp: {error.reason}") from None


def epoch_of(moment: datetime) -> int:
    """SOURCE_DATE_EPOCH for reproducible PDFs: the bundle's known-at time."""
    return int(moment.astimezone(UTC).timestamp())
