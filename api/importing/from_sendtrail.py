"""`sendtrail import DIR --from-sendtrail`: take in another installation's setting export
(exporters.setting_export) so that every view of every child is as it was there.

Nothing is taken on trust: the bag must validate (every file's SHA-256), the checkpoint
must be signed by the export's log key (or by `trusted_log_key`, when given), and every
entry must recompute to its leaf, sit in the checkpoint's tree, continue its child's
chain, carry the plaintext its leaf commits to, and end at the head the checkpoint
signed. Only when every child of the export checks out is anything stored.

Each entry is then stored as the same event (kind, fields, occurred_at and precision,
recorded_by, sensitivity, attachments) at the same version of the same child id, so
corrections and marks still point at what they pointed at. These are facts the source
installation already judged by the domain rules, so they are replayed rather than
re-judged. The envelope says `basis = imported`, with provenance naming the source log
(its origin), the leaf hash, index and record time of the source entry, its own basis, the
SHA-256 of the child's events file and the line. Record time is the import.

Idempotent: an entry whose source leaf is already stored here is skipped; a record taken
in before and grown there since gets only its new entries. A record that was written to
here after it was taken in is refused (its versions no longer line up).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import bagit
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from domain import events as ev
from domain.application import ChildRecords
from domain.child import ChildRecord
from domain.envelope import Envelope, EnvelopeDraft
from domain.errors import ChildErased, ChildNotFound, DomainError
from ledger import checkpoint as cp
from ledger.documents import DocumentStore
from ledger.framing import SALT_KEY, FrameError, canonical_plaintext, commit, parse
from ledger.keys import raw_public
from ledger.leaf import GENESIS, LEAF_FORMAT, AuditLeaf
from ledger.log import LedgerBackend, head_leaf_hash
from ledger.mapper import CommittingMapper
from ledger.merkle import MerkleError, verify_inclusion

FORMAT = "sendtrail/setting-export/v1"
SOURCE_SYSTEM = "sendtrail"
MAPPING_ID = "sendtrail-export"
MAPPING_KIND = "sendtrail_export"
EVENT_TOPICS = "domain.events:"
ENVELOPE_NAMES = frozenset(f.name for f in fields(Envelope))
NOT_FIELDS = ENVELOPE_NAMES | {"timestamp", "originator_topic", "originator_id"}
DIGEST = re.compile(r"[0-9a-f]{64}")
SAVE_BATCH = 100  # children per transaction (each child's entries always together)


class ExportRefused(ValueError):
    """The export cannot be taken in: where (file, line) and the rule broken."""

    def __init__(self, where: str, rule: str) -> None:
        self.where, self.rule = where, rule
        super().__init__(f"{where}: {rule}")


@dataclass
class Checked:
    """One verified entry of the export, ready to be stored."""

    cls: type
    state: dict[str, Any]
    provenance: dict[str, Any]


@dataclass
class Outcome:
    """What the import did (or, dry, would do)."""

    children: int = 0  # records created or extended
    events: int = 0  # entries stored (or that would be)
    skipped: int = 0  # entries already imported
    documents: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # where, rule
    written: bool = False
    stored: int = 0  # records saved (each whole); less than `children` only if refused midway
    origin: str = ""


def key_digest(origin: str, leaf_hash: str) -> str:
    """The stable key of an imported entry: its source log and leaf."""
    return hashlib.sha256(f"{origin}\x00{leaf_hash}".encode()).hexdigest()


class SendtrailImporter:
    def __init__(
        self,
        records: ChildRecords,
        source: Path,
        *,
        user: str,
        now: Callable[[], datetime] | None = None,
        trusted_log_key: Ed25519PublicKey | None = None,
    ) -> None:
        self.records, self.source, self.user = records, source, user
        self.now = now or records.clock
        self.imported_at = self.now().isoformat()
        self.trusted = trusted_log_key
        mapper = records.mapper
        if not isinstance(mapper, CommittingMapper):
            raise TypeError("the store is not configured with the committing mapper")
        self.mapper = mapper
        self.manifest: dict[str, Any] = {}
        self.head: cp.Checkpoint | None = None
        self.digests: dict[str, str] = {}
        self._verified: dict[str, str] = {}  # events file -> SHA-256 of the bytes verified

    # --- the export as a whole ------------------------------------------------------------

    def open(self) -> dict[str, Any]:
        """Validate the bag and the checkpoint; returns export.json."""
        if not (self.source / "bagit.txt").is_file():
            raise ExportRefused(self.source.name, "is not a setting export (no bagit.txt)")
        for path in self.source.rglob("*"):
            if path.is_symlink():  # an export holds files, never links to elsewhere
                raise ExportRefused(path.relative_to(self.source).as_posix(), "is a link")
        try:
            bag = bagit.Bag(str(self.source))
            bag.validate(processes=1)
        except bagit.BagError as error:
            raise ExportRefused("(bag)", f"does not validate: {error}") from None
        self.digests = {
            name.removeprefix("data/"): hashes["sha256"]
            for name, hashes in bag.payload_entries().items()
        }
        data = self.source / "data"
        try:
            manifest = orjson.loads((data / "export.json").read_bytes())
        except (OSError, orjson.JSONDecodeError):
            raise ExportRefused("export.json", "missing or not JSON") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ExportRefused("export.json", f"format must be {FORMAT}")
        origin = manifest.get("origin")
        if not isinstance(origin, str) or not origin:
            raise ExportRefused("export.json", "origin is missing")
        try:
            key = load_pem_public_key((data / "keys" / "log.pub.pem").read_bytes())
        except (OSError, ValueError):
            raise ExportRefused("keys/log.pub.pem", "missing or not a PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ExportRefused("keys/log.pub.pem", "not an Ed25519 public key")
        if self.trusted is not None and raw_public(self.trusted) != raw_public(key):
            raise ExportRefused("keys/log.pub.pem", "is not the log key you trust")
        try:
            note = (data / "checkpoint.txt").read_text(encoding="utf-8")
            head = cp.verify(note, key, origin)
        except (OSError, UnicodeDecodeError):
            raise ExportRefused("checkpoint.txt", "missing or not text") from None
        except cp.CheckpointError as error:
            raise ExportRefused("checkpoint.txt", error.reason) from None
        stated = manifest.get("checkpoint") or {}
        if stated.get("size") != head.size or stated.get("root") != head.root.hex():
            raise ExportRefused("export.json", "checkpoint differs from the signed one")
        self.manifest, self.head = manifest, head
        return manifest

    def children(self) -> list[dict[str, Any]]:
        """export.json's list of children, each child once."""
        found = self.manifest.get("children")
        if not isinstance(found, list) or not all(isinstance(c, dict) for c in found):
            raise ExportRefused("export.json", "children must be a list of objects")
        ids = [str(c.get("child_id")) for c in found]
        if len(set(ids)) != len(ids):
            raise ExportRefused("export.json", "a child is listed twice")
        return cast(list[dict[str, Any]], found)

    # --- one child ------------------------------------------------------------------------

    def _lines(self, name: str) -> tuple[str, Iterator[tuple[int, dict[str, Any]]]]:
        """The file's SHA-256, and its lines as JSON objects."""
        try:
            raw = (self.source / "data" / name).read_bytes()
        except FileNotFoundError:
            raise ExportRefused(name, "missing") from None

        def lines() -> Iterator[tuple[int, dict[str, Any]]]:
            for number, text in enumerate(raw.splitlines(), start=1):
                try:
                    line = orjson.loads(text)
                except orjson.JSONDecodeError:
                    raise ExportRefused(f"{name} line {number}", "is not JSON") from None
                if not isinstance(line, dict):
                    raise ExportRefused(f"{name} line {number}", "must be a JSON object")
                yield number, line

        return hashlib.sha256(raw).hexdigest(), lines()

    def check_child(self, entry: dict[str, Any]) -> tuple[UUID, list[Checked]]:
        """Every entry of one child, verified against the signed checkpoint (bytes already
        verified by an earlier call, the same to the last bit, are not verified again)."""
        head = self.head
        if head is None:
            raise RuntimeError("open() the export first")
        try:
            child_id = UUID(str(entry["child_id"]))
            count = int(entry["events"])
            stated_head = tuple(entry["head"])
            verify_inclusion(
                head_leaf_hash(*stated_head),
                int(entry["head_position"]),
                head.heads_count,
                [bytes.fromhex(h) for h in entry["head_proof"]],
                head.heads_root,
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ExportRefused("export.json", "a child's entry is unreadable") from None
        except MerkleError:
            raise ExportRefused(
                "export.json", "a child's head is not one the checkpoint signed"
            ) from None
        name = f"children/{child_id}/events.jsonl"
        file_sha, lines = self._lines(name)
        verified = self._verified.get(name) == file_sha
        origin = head.origin
        checked: list[Checked] = []
        prev, last = GENESIS, None
        for number, line in lines:
            where = f"{name} line {number}"
            leaf = _leaf(line, where)
            if leaf.child_id != str(child_id) or leaf.version != number or leaf.prev != prev:
                raise ExportRefused(where, "breaks the child's chain (child, version or prev)")
            leaf_hash = leaf.hash()
            if verified:
                event = line["event"]
            else:
                if line.get("leaf_hash") != leaf_hash.hex():
                    raise ExportRefused(where, "leaf_hash is not the leaf's hash")
                try:
                    proof = [bytes.fromhex(h) for h in line["inclusion_proof"]]
                    verify_inclusion(leaf_hash, leaf.index, head.size, proof, head.root)
                except (KeyError, TypeError, ValueError, MerkleError):
                    raise ExportRefused(where, "is not in the signed checkpoint's tree") from None
                event = _committed_event(line, leaf, where)
            if not leaf.topic.startswith(EVENT_TOPICS):
                raise ExportRefused(where, "is not an entry of a child's record")
            try:
                cls, state = self.mapper.decode_state(leaf.topic, orjson.dumps(event), leaf.version)
            except Exception:
                raise ExportRefused(where, "the event cannot be read") from None
            opening = ev.ChildRegistered if number == 1 else ev.ChildEvent
            if not (isinstance(cls, type) and issubclass(cls, opening)):
                raise ExportRefused(where, "is not an entry of a child's record")
            provenance = {
                "source_system": SOURCE_SYSTEM,
                "source_origin": origin,
                "source_leaf_hash": leaf_hash.hex(),
                "source_leaf_index": leaf.index,
                "source_recorded_at": leaf.recorded_at,
                "source_basis": state.get("basis"),
                "source_checkpoint_size": head.size,
                "source_file_sha256": file_sha,
                "sheet": None,
                "row": number,
                "row_key": key_digest(origin, leaf_hash.hex()),
                "mapping": MAPPING_ID,
                "mapping_kind": MAPPING_KIND,
                "imported_by": self.user,
                "imported_at": self.imported_at,
            }
            if state.get("provenance") is not None:  # imported there too: keep its origin
                provenance["source_provenance"] = state["provenance"]
            checked.append(Checked(cls, state, provenance))
            prev, last = leaf_hash.hex(), leaf
        if last is None:
            raise ExportRefused(name, "holds no entries")
        if stated_head != (last.child_id, last.version, last.index, last.hash().hex()):
            raise ExportRefused(name, "stops before the child's last entry (tail left out)")
        if count != len(checked):
            raise ExportRefused("export.json", "a child's count of events is wrong")
        self._documents_listed(child_id)
        self._verified[name] = file_sha
        return child_id, checked

    def _documents_listed(self, child_id: UUID) -> list[dict[str, Any]]:
        """The child's files as documents.json lists them, each one checked: a digest that
        names a file of the bag whose bytes have that digest."""
        folder = f"children/{child_id}"
        where = f"{folder}/documents.json"
        try:
            listed = orjson.loads((self.source / "data" / where).read_bytes())["documents"]
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
            raise ExportRefused(where, "missing or unreadable") from None
        if not isinstance(listed, list):
            raise ExportRefused(where, "documents must be a list")
        for doc in listed:
            if not isinstance(doc, dict) or not DIGEST.fullmatch(str(doc.get("sha256"))):
                raise ExportRefused(where, "each document needs its sha256 (64 hex digits)")
            name = f"{folder}/documents/{doc['sha256']}"
            if self.digests.get(name) != doc["sha256"]:
                raise ExportRefused(name, "missing, or its bytes differ from its digest")
            if not isinstance(doc.get("name"), str) or not isinstance(doc.get("media_type"), str):
                raise ExportRefused(where, "each document needs its name and media_type")
        return cast(list[dict[str, Any]], listed)

    def _stored_upto(self, child_id: UUID, checked: list[Checked]) -> ChildRecord | None:
        """The record here, if it was taken in before; refused if it no longer lines up."""
        try:
            here = self.records.history(child_id)
        except ChildErased:
            raise ExportRefused(str(child_id), "this record was erased here") from None
        except ChildNotFound:
            return None
        for version, event in enumerate(here, start=1):
            prov = getattr(event, "provenance", None) or {}
            if (
                version > len(checked)
                or prov.get("source_origin") != checked[0].provenance["source_origin"]
                or prov.get("source_leaf_hash")
                != checked[version - 1].provenance["source_leaf_hash"]
            ):
                raise ExportRefused(
                    str(child_id),
                    "a record with this id is here already, with entries the export does not have",
                )
        return self.records.get_child(child_id)

    def build(self, child_id: UUID, checked: list[Checked]) -> tuple[ChildRecord | None, int]:
        """The record with the entries not yet stored here applied in memory (None when
        there are none), and how many were skipped as stored before."""
        child = self._stored_upto(child_id, checked)
        done = 0 if child is None else child.version
        now, skew = self.records.clock(), self.records.skew
        for item in checked[done:]:
            state = item.state
            where = f"children/{child_id}/events.jsonl line {item.provenance['row']}"
            try:
                envelope = EnvelopeDraft(
                    occurred_at=state["occurred_at"],
                    recorded_by=state["recorded_by"],
                    basis="imported",
                    precision=state["precision"],
                    sensitivity=state["sensitivity"],
                    attachments=list(state.get("attachments") or []),
                    provenance=item.provenance,
                ).seal(now=now, skew=skew)
                payload = {k: v for k, v in state.items() if k not in NOT_FIELDS}
                if child is None:
                    child = ChildRecord.register(envelope, child_id=child_id, **payload)
                else:
                    child.trigger_event(item.cls, **envelope.as_fields(), **payload)
            except DomainError as error:
                raise ExportRefused(where, f"{error.field or '(entry)'}: {error}") from None
            except (KeyError, TypeError):
                raise ExportRefused(where, "the event's fields are not its kind's") from None
        return (child if done < len(checked) else None), done

    # --- the import -----------------------------------------------------------------------

    def run(
        self,
        *,
        dry_run: bool,
        progress: Callable[[int], None] | None = None,
        stage: Callable[[str, int], None] | None = None,
    ) -> Outcome:
        """Check everything; then, unless dry or refused, store child by child. `stage`
        is told each pass's name and how many entries it goes through."""
        outcome = Outcome()
        try:
            self.open()
            entries = self.children()
        except ExportRefused as refusal:
            outcome.refused.append((refusal.where, refusal.rule))
            return outcome
        if self.head is None:
            raise RuntimeError("open() sets the checkpoint")
        outcome.origin = self.head.origin
        total = int(self.manifest.get("events") or 0)
        if stage:
            stage("Checking the export", total)
        for entry in entries:  # first pass: every child checks out, or nothing is stored
            try:
                child_id, checked = self.check_child(entry)
                child, skipped = self.build(child_id, checked)
            except ExportRefused as refusal:
                outcome.refused.append((refusal.where, refusal.rule))
                continue
            outcome.skipped += skipped
            if child is not None:
                outcome.children += 1
                outcome.events += len(checked) - skipped
            if progress:
                progress(len(checked))
        if dry_run or outcome.refused:
            return outcome
        if stage:
            stage("Storing", total)
        try:
            self._write(entries, outcome, progress)
        except ExportRefused as refusal:  # changed on disk since it was checked
            outcome.refused.append((refusal.where, refusal.rule))
        return outcome

    def _write(
        self,
        entries: list[dict[str, Any]],
        outcome: Outcome,
        progress: Callable[[int], None] | None,
    ) -> None:
        backend = cast(LedgerBackend, self.records.recorder)
        store = DocumentStore(backend)
        batch: list[tuple[ChildRecord, int]] = []
        for entry in entries:
            child_id, checked = self.check_child(entry)
            child, _ = self.build(child_id, checked)
            if child is None:  # every entry here already: only files may be missing
                outcome.documents += self._documents(child_id, store)
                if progress:
                    progress(len(checked))
                continue
            batch.append((child, len(checked)))
            if len(batch) >= SAVE_BATCH:
                self._save(batch, store, outcome, progress)
                batch = []
        if batch:
            self._save(batch, store, outcome, progress)
        outcome.written = True

    def _save(
        self,
        batch: list[tuple[ChildRecord, int]],
        store: DocumentStore,
        outcome: Outcome,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.records.save(*(child for child, _ in batch))
        outcome.stored += len(batch)
        for child, count in batch:
            outcome.documents += self._documents(child.id, store)
            if progress:
                progress(count)

    def _documents(self, child_id: UUID, store: DocumentStore) -> int:
        """Store the child's files under its key here (those already here are kept)."""
        folder = self.source / "data" / "children" / str(child_id)
        listed = self._documents_listed(child_id)
        if not listed:
            return 0
        keys = self.mapper.keys
        if keys is None:
            raise TypeError("the store is not configured with per-child keys")
        aead = keys.keys.aead(child_id, create=False)
        stored = 0
        for doc in listed:
            path = folder / "documents" / str(doc["sha256"])
            with path.open("rb") as content:
                found, new = store.put(
                    child_id,
                    content,
                    name=str(doc["name"]),
                    media_type=str(doc["media_type"]),
                    metadata_stripped=bool(doc["metadata_stripped"]),
                    aead=aead,
                )
            if found.sha256 != doc["sha256"]:  # changed since the bag was checked
                raise ExportRefused(str(path.name), "the file's bytes differ from its digest")
            stored += int(new)
        return stored


def _leaf(line: dict[str, Any], where: str) -> AuditLeaf:
    try:
        raw = line["leaf"]
        if raw["v"] != LEAF_FORMAT:
            raise ExportRefused(where, f"leaf format must be {LEAF_FORMAT}")
        return AuditLeaf(
            index=int(raw["index"]),
            child_id=str(raw["child_id"]),
            version=int(raw["version"]),
            topic=str(raw["topic"]),
            recorded_at=str(raw["recorded_at"]),
            state_sha256=str(raw["state_sha256"]),
            commitment=str(raw["commitment"]),
            prev=str(raw["prev"]),
        )
    except (KeyError, TypeError, ValueError):
        raise ExportRefused(where, "the leaf is unreadable") from None


def _committed_event(line: dict[str, Any], leaf: AuditLeaf, where: str) -> dict[str, Any]:
    """The plaintext event, checked against the stored bytes and the leaf's commitment."""
    try:
        stored = base64.b64decode(line["stored"], validate=True)
        frame = parse(stored)
    except (KeyError, TypeError, ValueError, FrameError):
        raise ExportRefused(where, "stored bytes missing or unreadable") from None
    if hashlib.sha256(stored).hexdigest() != leaf.state_sha256:
        raise ExportRefused(where, "stored bytes differ from the leaf (content changed)")
    if frame.commitment.hex() != leaf.commitment:
        raise ExportRefused(where, "stored commitment differs from the leaf")
    event = line.get("event")
    if not isinstance(event, dict) or not isinstance(event.get(SALT_KEY), str):
        raise ExportRefused(where, "event missing")
    try:
        salt = bytes.fromhex(event[SALT_KEY])
    except ValueError:
        raise ExportRefused(where, "event salt unreadable") from None
    if commit(salt, canonical_plaintext(event)) != frame.commitment:
        raise ExportRefused(where, "event does not match its commitment (content changed)")
    return event
