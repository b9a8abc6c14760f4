"""Reading the ledger: sizes, roots, proofs, child heads, record times and checkpoints."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger import checkpoint as cp
from ledger.canonical import canonical
from ledger.leaf import AuditLeaf
from ledger.merkle import (
    MerkleError,
    MerkleLog,
    _inclusion_ranges,
    fold,
    leaf_hash,
    perfect_subtrees,
    root,
)
from ledger.sql import Cursor, Row, Tables, fetch_nodes, table_exists


class LedgerBackend(Protocol):
    """What the audited recorders offer the readers."""

    tables: Tables

    def ledger_cursor(self, *, commit: bool = False) -> AbstractContextManager[Cursor]: ...

    def scrub(self) -> None:
        """Make rows deleted so far unrecoverable from the store's files, where it can."""


class _ReadNodes:
    def __init__(self, cursor: Cursor, tables: Tables) -> None:
        self.cursor, self.tables = cursor, tables

    def get(self, level: int, index: int) -> bytes | None:
        return fetch_nodes(self.cursor, self.tables, [(level, index)]).get((level, index))

    def put(self, level: int, index: int, value: bytes) -> None:
        raise TypeError("the ledger is read-only here")


class _ReadLog(MerkleLog):
    """Merkle reads over stored nodes, one query per proof."""

    def __init__(self, nodes: _ReadNodes, size: int) -> None:
        self._nodes = nodes
        super().__init__(nodes, size)

    def _fetch(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        found = fetch_nodes(self._nodes.cursor, self._nodes.tables, list(keys))
        if len(found) != len(set(keys)):
            return super()._fetch(keys)  # raises MerkleError naming the missing node
        return [found[k] for k in keys]


def head_leaf_hash(child_id: str, version: int, leaf_index: int, leaf_hash_hex: str) -> bytes:
    """Leaf of the child-heads tree: RFC 8785 of the head, hashed as an RFC 9162 leaf."""
    return leaf_hash(
        canonical(
            {
                "child_id": child_id,
                "leaf_hash": leaf_hash_hex,
                "leaf_index": leaf_index,
                "version": version,
            }
        )
    )


def heads_root(heads: Sequence[tuple[str, int, int, str]]) -> bytes:
    """Merkle root over child heads sorted by child id."""
    return root([head_leaf_hash(*h) for h in sorted(heads)])


def row_to_leaf(row: Row) -> AuditLeaf:
    return AuditLeaf(
        index=int(row["leaf_index"]),
        child_id=str(row["child_id"]),
        version=int(row["version"]),
        topic=str(row["topic"]),
        recorded_at=str(row["recorded_at"]),
        state_sha256=str(row["state_sha256"]),
        commitment=str(row["commitment"]),
        prev=str(row["prev"]),
    )


class Ledger:
    """Read access to the audit ledger, plus checkpoint creation."""

    def __init__(self, backend: LedgerBackend, *, origin: str) -> None:
        self.backend = backend
        self.tables = backend.tables
        self.origin = origin

    def _size(self, cursor: Cursor) -> int:
        cursor.execute(self.tables.q("SELECT MAX(leaf_index) AS top FROM {p}ledger_leaves"))
        row = cursor.fetchone()
        return 0 if row is None or row["top"] is None else int(row["top"]) + 1

    def size(self) -> int:
        with self.backend.ledger_cursor() as cursor:
            return self._size(cursor)

    def root(self, size: int | None = None) -> bytes:
        with self.backend.ledger_cursor() as cursor:
            current = self._size(cursor)
            return _ReadLog(_ReadNodes(cursor, self.tables), current).root(size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        with self.backend.ledger_cursor() as cursor:
            log = _ReadLog(_ReadNodes(cursor, self.tables), self._size(cursor))
            return log.inclusion_proof(index, size)

    def inclusion_proofs(self, indices: Sequence[int], size: int) -> dict[int, list[bytes]]:
        """Proofs for many leaves against one tree size, from one batched read. The proofs
        of neighbouring leaves share most of their subtrees: each is read and folded once."""
        paths = {i: _inclusion_ranges(i, size) for i in indices}
        ranges = {r: perfect_subtrees(*r) for r in {r for path in paths.values() for r in path}}
        keys = sorted({key for pieces in ranges.values() for key in pieces})
        with self.backend.ledger_cursor() as cursor:
            found = fetch_nodes(cursor, self.tables, keys)
        if len(found) != len(keys):
            raise MerkleError("the stored tree is missing nodes needed for a proof")
        hashes = {r: fold([found[k] for k in pieces]) for r, pieces in ranges.items()}
        return {i: [hashes[r] for r in path] for i, path in paths.items()}

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        with self.backend.ledger_cursor() as cursor:
            log = _ReadLog(_ReadNodes(cursor, self.tables), self._size(cursor))
            return log.consistency_proof(old_size, new_size)

    def leaves(self, child_id: str, *, after: int = 0) -> list[AuditLeaf]:
        """A child's leaves after version `after`, in version order."""
        with self.backend.ledger_cursor() as cursor:
            cursor.execute(
                self.tables.q(
                    "SELECT * FROM {p}ledger_leaves WHERE child_id = ? AND version > ? "
                    "ORDER BY version"
                ),
                [child_id, after],
            )
            return [row_to_leaf(r) for r in cursor.fetchall()]

    def iter_leaves(self, *, page: int = 5000) -> Iterator[AuditLeaf]:
        """Every leaf in index order."""
        last = -1
        while True:
            with self.backend.ledger_cursor() as cursor:
                cursor.execute(
                    self.tables.q(
                        f"SELECT * FROM {{p}}ledger_leaves WHERE leaf_index > ? "
                        f"ORDER BY leaf_index LIMIT {page}"
                    ),
                    [last],
                )
                rows = cursor.fetchall()
            yield from (row_to_leaf(r) for r in rows)
            if len(rows) < page:
                return
            last = int(rows[-1]["leaf_index"])

    def _heads(self, cursor: Cursor) -> list[tuple[str, int, int, str]]:
        cursor.execute(
            self.tables.q("SELECT child_id, version, leaf_index, leaf_hash FROM {p}ledger_heads")
        )
        return [
            (str(r["child_id"]), int(r["version"]), int(r["leaf_index"]), str(r["leaf_hash"]))
            for r in cursor.fetchall()
        ]

    def heads(self) -> list[tuple[str, int, int, str]]:
        with self.backend.ledger_cursor() as cursor:
            return self._heads(cursor)

    def heads_at(self, size: int) -> list[tuple[str, int, int, str]]:
        """Child heads as they stood when the log had `size` leaves."""
        with self.backend.ledger_cursor() as cursor:
            cursor.execute(
                self.tables.q(
                    "SELECT l.* FROM {p}ledger_leaves l JOIN (SELECT child_id, "
                    "MAX(leaf_index) AS top FROM {p}ledger_leaves WHERE leaf_index < ? "
                    "GROUP BY child_id) h ON l.leaf_index = h.top"
                ),
                [size],
            )
            leaves = [row_to_leaf(r) for r in cursor.fetchall()]
        return sorted((lf.child_id, lf.version, lf.index, lf.hash().hex()) for lf in leaves)

    def create_checkpoint(self, key: Ed25519PrivateKey, key_name: str) -> str:
        """Sign the current tree head and child heads; store and return the note."""
        with self.backend.ledger_cursor(commit=True) as cursor:
            cursor.execute(self.tables.freeze_writers())
            size = self._size(cursor)
            self._same_signer(cursor, key.public_key(), key_name)
            tree = _ReadLog(_ReadNodes(cursor, self.tables), size)
            heads = self._heads(cursor)
            head = cp.Checkpoint(
                origin=self.origin,
                size=size,
                root=tree.root(),
                heads_count=len(heads),
                heads_root=heads_root(heads),
            )
            note = cp.sign(head, key, key_name)
            cursor.execute(
                self.tables.q(
                    "INSERT INTO {p}ledger_checkpoints (size, note) VALUES (?, ?) "
                    "ON CONFLICT (size) DO NOTHING"
                ),
                [size, note],
            )
            return note

    def check_signer(self, public: Ed25519PublicKey, key_name: str) -> None:
        """Raise SignerChanged unless `public` under `key_name` signed this log's latest
        checkpoint (or there is none yet) and the log is this installation's origin."""
        with self.backend.ledger_cursor() as cursor:
            self._same_signer(cursor, public, key_name)

    def _same_signer(self, cursor: Cursor, public: Ed25519PublicKey, key_name: str) -> None:
        note = self._latest_note(cursor)
        if note is None:
            return
        try:
            head = cp.verify(note, public, key_name)
        except cp.CheckpointError:
            head = None
        if head is None or head.origin != self.origin:
            raise cp.SignerChanged(
                "this log's checkpoints were signed with another log key or origin than "
                "this server's (keys/): give every server of an installation the same key "
                "files; a new key would split the log between two signers"
            )

    def add_cosignature(self, size: int, witness: str, line: str) -> None:
        """Keep a witness's (checked) cosignature line of the checkpoint of `size`."""
        with self.backend.ledger_cursor(commit=True) as cursor:
            cursor.execute(
                self.tables.q(
                    "INSERT INTO {p}ledger_cosignatures (size, witness, line) VALUES (?, ?, ?) "
                    "ON CONFLICT (size, witness) DO NOTHING"
                ),
                [size, witness, line.rstrip("\n")],
            )

    def cosignatures(self, size: int) -> list[str]:
        """The witnesses' cosignature lines kept for the checkpoint of `size`."""
        with self.backend.ledger_cursor() as cursor:
            if not table_exists(cursor, self.tables, "ledger_cosignatures"):
                return []
            cursor.execute(
                self.tables.q(
                    "SELECT line FROM {p}ledger_cosignatures WHERE size = ? ORDER BY witness"
                ),
                [size],
            )
            return [str(r["line"]) for r in cursor.fetchall()]

    def latest_cosigned(self, witness: str) -> int:
        """The largest checkpoint size `witness` cosigned for this log (0: none)."""
        with self.backend.ledger_cursor() as cursor:
            if not table_exists(cursor, self.tables, "ledger_cosignatures"):
                return 0
            cursor.execute(
                self.tables.q(
                    "SELECT MAX(size) AS size FROM {p}ledger_cosignatures WHERE witness = ?"
                ),
                [witness],
            )
            row = cursor.fetchone()
            return int(row["size"] or 0)

    def checkpoints(self) -> list[str]:
        """Stored checkpoint notes, oldest first."""
        with self.backend.ledger_cursor() as cursor:
            cursor.execute(self.tables.q("SELECT note FROM {p}ledger_checkpoints ORDER BY size"))
            return [str(r["note"]) for r in cursor.fetchall()]

    def latest_checkpoint(self) -> str | None:
        with self.backend.ledger_cursor() as cursor:
            return self._latest_note(cursor)

    def _latest_note(self, cursor: Cursor) -> str | None:
        """The stored checkpoint of the largest size (one row, not every note)."""
        cursor.execute(
            self.tables.q("SELECT note FROM {p}ledger_checkpoints ORDER BY size DESC LIMIT 1")
        )
        row = cursor.fetchone()
        return None if row is None else str(row["note"])
