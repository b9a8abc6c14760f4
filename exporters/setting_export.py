"""The setting export (issue 22.6): every child's whole history, open and checkable, for
a setting that leaves sendtrail or moves to another installation.

A BagIt directory (RFC 8493; the `bagit` library validates it) holding, under data/:

    export.json                    what is in it: format, origin, the checkpoint's size and
                                   root, and per child its head and the head's proof
    checkpoint.txt                 the one signed checkpoint every proof below is against
    keys/log.pub.pem               the key that signed it (and keys/exporter.pub.pem)
    children/<id>/events.jsonl     one line per entry, in version order: its leaf, leaf
                                   hash, inclusion proof, stored bytes and plaintext event
    children/<id>/access.jsonl     who read the record there (its access log), the same way
    children/<id>/documents.json   the child's files (name, media type, size, digest) and
    children/<id>/documents/<sha256>   the files themselves, in clear
    summary/<Kind>.csv             one row per entry of each kind, for spreadsheets
    README.txt                     how to read and check it

It is plaintext: whoever holds the directory holds every child's record. Erased records
are not in it (they cannot be read); export.json says how many there were. The proofs
are checked the way `sendtrail verify` checks a bundle's; `sendtrail import DIR
--from-sendtrail` checks them all before it stores anything.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.access import access_log_id
from domain.application import ChildRecords
from exporters.bagit_files import directory_tags
from exporters.durable_file import fsync_dir
from exporters.setting_csv import KindTables
from ledger import checkpoint as cp
from ledger.cosignature import with_lines
from ledger.documents import DocumentStore
from ledger.keys import public_pem
from ledger.leaf import LEAF_FORMAT, AuditLeaf
from ledger.log import Ledger, head_leaf_hash
from ledger.mapper import CommittingMapper
from ledger.merkle import MemorySubtreeStore, MerkleLog

FORMAT = "sendtrail/setting-export/v1"
README = """sendtrail setting export ({format})

Every child's whole record, as the installation {origin} held it when its log had
{size} entries (data/checkpoint.txt, signed with data/keys/log.pub.pem).

data/children/<child id>/events.jsonl: one JSON object per line, in version order:
  leaf             the audit leaf (ledger/LEDGER.md section 2), leaf_hash its RFC 9162 hash
  inclusion_proof  RFC 9162 proof of the leaf in the checkpoint's tree (hex hashes)
  stored           the stored bytes (base64): SHA-256 of them is leaf.state_sha256
  event            the plaintext event; SHA-256(salt || JCS(event without _commit_salt))
                   is leaf.commitment, salt = event._commit_salt
data/children/<child id>/access.jsonl: who read the record there, line by line the same way.
data/export.json: per child, its head (the last leaf) and the head's proof in the
  checkpoint's child-heads tree, so a record's tail cannot be cut off unseen.
data/summary/<Kind>.csv: one row per entry of that kind (a reading aid).
data/children/<child id>/documents/<sha256>: the attached files, named by their digest.

This directory is a BagIt bag (manifest-sha256.txt lists every file's SHA-256).
It holds personal data in clear: keep it as safely as the installation itself.
Take it into another sendtrail with:  sendtrail import <this directory> --from-sendtrail
"""


class SettingExportError(Exception):
    """The export cannot be made (no covering checkpoint and no key; DIR not empty)."""


@dataclass(frozen=True)
class SettingKeys:
    log_public: Ed25519PublicKey
    origin: str
    log_private: Ed25519PrivateKey | None = None
    exporter_public: Ed25519PublicKey | None = None


@dataclass
class SettingExport:
    """What was written."""

    children: int = 0
    events: int = 0
    documents: int = 0
    erased_left_out: int = 0
    checkpoint_size: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


Progress = Callable[[int], None]


def _checkpoint(ledger: Ledger, keys: SettingKeys) -> str:
    """The newest checkpoint if it covers the whole log, else a new one (signed now)."""
    latest = ledger.latest_checkpoint()
    size = ledger.size()
    if latest is not None and cp.verify(latest, keys.log_public, keys.origin).size >= size:
        return latest
    if keys.log_private is None:
        if latest is None:
            raise SettingExportError("no checkpoint yet and no log key to sign one")
        return latest  # entries after it are left out, and export.json says so
    return ledger.create_checkpoint(keys.log_private, keys.origin)


def _event_line(leaf: AuditLeaf, proof: list[bytes], stored: bytes, event: Any) -> bytes:
    return (
        orjson.dumps(
            {
                "leaf": {
                    "index": leaf.index,
                    "child_id": leaf.child_id,
                    "version": leaf.version,
                    "topic": leaf.topic,
                    "recorded_at": leaf.recorded_at,
                    "state_sha256": leaf.state_sha256,
                    "commitment": leaf.commitment,
                    "prev": leaf.prev,
                    "v": LEAF_FORMAT,
                },
                "leaf_hash": leaf.hash().hex(),
                "inclusion_proof": [h.hex() for h in proof],
                "stored": base64.b64encode(stored).decode(),
                "event": event,
            },
            option=orjson.OPT_SORT_KEYS,
        )
        + b"\n"
    )


def _sequence(
    records: ChildRecords,
    ledger: Ledger,
    originator: UUID,
    size: int,
    target: Path,
    each: Callable[[AuditLeaf, type[Any], dict[str, Any]], None] | None = None,
) -> list[AuditLeaf]:
    """Write one stored sequence (a child's record, or its access log) as JSON Lines, each
    entry with its proof against the checkpoint of `size`; returns its leaves."""
    mapper = records.mapper
    if not isinstance(mapper, CommittingMapper):
        raise SettingExportError("the store is not configured with the committing mapper")
    leaves = [lf for lf in ledger.leaves(str(originator)) if lf.index < size]
    if not leaves:
        return leaves  # and no file
    stored = {s.originator_version: s for s in records.recorder.select_events(originator)}
    proofs = ledger.inclusion_proofs([lf.index for lf in leaves], size)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as lines:
        for leaf in leaves:
            found = stored[leaf.version]
            payload = mapper.payload(found)
            lines.write(_event_line(leaf, proofs[leaf.index], found.state, orjson.loads(payload)))
            if each is not None:
                each(leaf, *mapper.decode_state(found.topic, payload, leaf.version))
    return leaves


class _Writer:
    """Writes one export's files under a temporary folder beside the target."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        return self.root / "data" / name

    def write(self, name: str, content: bytes) -> None:
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)

    def finish(self, info: dict[str, str]) -> None:
        """Hash every payload file and write the bag's tag files."""
        data = self.root / "data"
        digests: dict[str, str] = {}
        total = 0
        for path in sorted(p for p in data.rglob("*") if p.is_file()):
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
                    total += len(block)
            digests[path.relative_to(data).as_posix()] = digest.hexdigest()
        for name, content in directory_tags(digests, total, info).items():
            (self.root / name).write_bytes(content)


def export_setting(
    records: ChildRecords,
    ledger: Ledger,
    documents: DocumentStore,
    aead: Callable[[UUID], AESGCM],
    out: Path,
    *,
    keys: SettingKeys,
    setting: str | None = None,
    progress: Progress | None = None,
) -> SettingExport:
    """Write the export to `out` (a new or empty folder), whole or not at all: it is built
    in a temporary folder beside `out` and renamed into place at the end."""
    out = out.resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SettingExportError(f"{out.name} exists and is not an empty folder")
    note = _checkpoint(ledger, keys)
    head = cp.verify(note, keys.log_public, keys.origin)
    heads = ledger.heads_at(head.size)
    position = {h[0]: n for n, h in enumerate(heads)}
    heads_tree = MerkleLog(MemorySubtreeStore())  # every head's proof in O(log n)
    for h in heads:
        heads_tree.append(head_leaf_hash(*h))
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.partial")
    shutil.rmtree(temp, ignore_errors=True)
    temp.mkdir(mode=0o700)
    try:
        writer = _Writer(temp)
        tables = KindTables(temp / "data" / "summary")
        done = SettingExport(checkpoint_size=head.size)
        children: list[dict[str, Any]] = []
        for child_id in list(records.child_ids()):
            child = records.get_child(child_id, read_only=True)
            if setting is not None and child.setting_id != setting:
                continue
            folder = f"children/{child_id}"
            leaves = _sequence(
                records,
                ledger,
                child_id,
                head.size,
                writer.path(f"{folder}/events.jsonl"),
                lambda leaf, cls, state: tables.add(
                    cls, state, leaf.child_id, leaf.version, leaf.recorded_at
                ),
            )
            if not leaves:
                continue  # registered after the checkpoint
            # Who read the record there, with the same proofs (kept as data: reads here
            # are logged here).
            log_id = access_log_id(child_id)
            _sequence(records, ledger, log_id, head.size, writer.path(f"{folder}/access.jsonl"))
            files = documents.documents(child_id)
            if files:
                key = aead(child_id)
                for doc in files:
                    writer.write(
                        f"{folder}/documents/{doc.sha256}",
                        documents.read(child_id, doc.sha256, key),
                    )
            writer.write(
                f"{folder}/documents.json",
                _pretty(
                    {
                        "documents": [
                            {**d.as_attachment(), "metadata_stripped": d.metadata_stripped}
                            for d in files
                        ]
                    }
                ),
            )
            last = leaves[-1]
            at = position[str(child_id)]
            children.append(
                {
                    "child_id": str(child_id),
                    "setting_id": child.setting_id,
                    "events": len(leaves),
                    "documents": len(files),
                    "head": list(heads[at]),
                    "head_position": at,
                    "head_proof": [h.hex() for h in heads_tree.inclusion_proof(at, len(heads))],
                }
            )
            if heads[at][1:3] != (last.version, last.index):
                raise SettingExportError("a child's last leaf is not its head at the checkpoint")
            done.children += 1
            done.events += len(leaves)
            done.documents += len(files)
            if progress:
                progress(len(leaves))
        done.kinds = tables.close()
        if setting is None:
            done.erased_left_out = sum(1 for _ in records.child_ids(include_erased=True)) - sum(
                1 for _ in records.child_ids()
            )
        writer.write("checkpoint.txt", with_lines(note, ledger.cosignatures(head.size)).encode())
        writer.write("keys/log.pub.pem", public_pem(keys.log_public))
        if keys.exporter_public is not None:
            writer.write("keys/exporter.pub.pem", public_pem(keys.exporter_public))
        writer.write(
            "README.txt",
            README.format(format=FORMAT, origin=head.origin, size=head.size).encode(),
        )
        writer.write(
            "export.json",
            _pretty(
                {
                    "format": FORMAT,
                    "origin": head.origin,
                    "setting": setting,
                    "checkpoint": {
                        "size": head.size,
                        "root": head.root.hex(),
                        "heads_count": head.heads_count,
                        "heads_root": head.heads_root.hex(),
                    },
                    "children": children,
                    "events": done.events,
                    "documents": done.documents,
                    "kinds": done.kinds,
                    "erased_left_out": done.erased_left_out,
                }
            ),
        )
        writer.finish(
            {
                "Source-Organization": "sendtrail",
                "External-Description": "Setting export: every child's SEN record (sendtrail)",
                "External-Identifier": head.origin,
                "Bagging-Date": records.clock().date().isoformat(),
            }
        )
        if out.exists():
            out.rmdir()  # empty (checked above)
        os.replace(temp, out)
        fsync_dir(out.parent)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return done


def _pretty(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
