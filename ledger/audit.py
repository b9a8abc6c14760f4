"""`sendtrail audit`: re-derive every leaf, chain, root and head from the stored rows.

The audit trusts nothing it reads: it recomputes each leaf from the stored event bytes and
the audit row, walks each child's hash chain, rebuilds the Merkle root incrementally and
compares it with the stored nodes and every signed checkpoint, and finally checks the
child heads. It stops at the first problem with an `AuditError` naming the leaf and what is
wrong, and fails closed: anything it cannot read is an error, never a pass.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger import checkpoint as cp
from ledger.framing import SALT_KEY, Frame, FrameError, canonical_plaintext, commit, parse
from ledger.leaf import GENESIS
from ledger.log import Ledger, _ReadLog, _ReadNodes, heads_root, row_to_leaf
from ledger.merkle import MerkleLog
from ledger.sql import Row, iter_rows

Progress = Callable[[int], None]


class AuditError(Exception):
    """The first thing found wrong; `where` names the leaf, child or checkpoint."""

    def __init__(self, reason: str, *, where: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.reason = reason
        self.where = where


@dataclass
class AuditReport:
    """What a clean audit covered."""

    leaves: int = 0
    children: int = 0
    checkpoints: int = 0
    root: bytes = b""
    latest_checkpoint_size: int | None = None
    notes: list[str] = field(default_factory=list)


class _FrontierOnly:
    """The audit needs only the running root: keep no nodes (1M leaves in O(log n) memory)."""

    def get(self, level: int, index: int) -> bytes | None:
        return None

    def put(self, level: int, index: int, value: bytes) -> None:
        return None


@dataclass
class _Chain:
    version: int
    leaf_index: int
    leaf_hash: str


def _event_key(row: Row) -> tuple[str, int]:
    raw = row["originator_id"]
    child = str(raw if isinstance(raw, UUID) else UUID(str(raw)))
    return child, int(row["originator_version"])


def _check_commitment(frame: Frame, where: str) -> None:
    if frame.sealed:
        return  # encrypted (ST2): only the key holder can open it; the leaf still binds it
    try:
        decoded = json.loads(frame.body)
        salt = bytes.fromhex(decoded[SALT_KEY])
    except (ValueError, KeyError, TypeError):
        raise AuditError("stored payload is unreadable", where=where) from None
    if commit(salt, canonical_plaintext(decoded)) != frame.commitment:
        raise AuditError("payload does not match its commitment (content changed)", where=where)


def _verified_checkpoints(
    ledger: Ledger, log_key: Ed25519PublicKey, key_name: str, extra: list[str]
) -> dict[int, cp.Checkpoint]:
    found: dict[int, cp.Checkpoint] = {}
    for note in [*ledger.checkpoints(), *extra]:
        try:
            head = cp.verify(note, log_key, key_name)
        except cp.CheckpointError as error:
            size = note.split("\n")[1] if note.count("\n") > 1 else "?"
            raise AuditError(error.reason, where=f"checkpoint at size {size}") from None
        if head.origin != ledger.origin:
            raise AuditError("checkpoint is for another log", where=f"checkpoint {head.size}")
        if head.size in found and found[head.size] != head:
            raise AuditError(
                "two signed checkpoints disagree (split view)",
                where=f"checkpoint at size {head.size}",
            )
        found[head.size] = head
    return found


def audit(
    ledger: Ledger,
    *,
    log_key: Ed25519PublicKey,
    key_name: str,
    extra_checkpoints: list[str] | None = None,
    progress: Progress | None = None,
) -> AuditReport:
    """Check the whole ledger; return a report or raise AuditError at the first problem."""
    try:
        return _audit(ledger, log_key, key_name, extra_checkpoints or [], progress)
    except AuditError:
        raise
    except Exception as error:  # fail closed: an unreadable store is not a clean store
        raise AuditError(f"cannot read the store ({type(error).__name__})", where="store") from None


def _audit(
    ledger: Ledger,
    log_key: Ed25519PublicKey,
    key_name: str,
    extra: list[str],
    progress: Progress | None,
) -> AuditReport:
    tables = ledger.tables
    checkpoints = _verified_checkpoints(ledger, log_key, key_name, extra)
    report = AuditReport(checkpoints=len(checkpoints))
    tree = MerkleLog(_FrontierOnly())
    chains: dict[str, _Chain] = {}
    last_time = ""
    with (
        ledger.backend.ledger_cursor() as leaves_cur,
        ledger.backend.ledger_cursor() as events_cur,
        ledger.backend.ledger_cursor() as nodes_cur,
    ):
        leaves = iter_rows(
            leaves_cur, "SELECT * FROM {p}ledger_leaves", [], key="leaf_index", tables=tables
        )
        events: Iterator[Row] = iter_rows(
            events_cur,
            f"SELECT {tables.events_order}, originator_id, originator_version, state "
            f"FROM {tables.events_table}",
            [],
            key=tables.events_order,
            tables=tables,
        )
        stored_leaf_hashes = iter_rows(
            nodes_cur,
            "SELECT idx, hash FROM {p}ledger_nodes WHERE level = 0",
            [],
            key="idx",
            tables=tables,
        )
        for expected_index, row in enumerate(leaves):
            leaf = row_to_leaf(row)
            where = f"leaf {leaf.index} (child {leaf.child_id[:8]} v{leaf.version})"
            if leaf.index != expected_index:
                raise AuditError(
                    f"leaf index gap: expected {expected_index} (audit row deleted)",
                    where=f"leaf {leaf.index}",
                )
            if leaf.recorded_at < last_time:
                raise AuditError("record time moved backwards", where=where)
            last_time = leaf.recorded_at
            event = next(events, None)
            if event is None or _event_key(event) != (leaf.child_id, leaf.version):
                raise AuditError(
                    _missing_or_moved(ledger, leaf.child_id, leaf.version), where=where
                )
            state = bytes(event["state"])
            if hashlib.sha256(state).hexdigest() != leaf.state_sha256:
                raise AuditError("stored event bytes changed", where=where)
            try:
                frame = parse(state)
            except FrameError:
                raise AuditError("stored event is not a sendtrail frame", where=where) from None
            if frame.commitment.hex() != leaf.commitment:
                raise AuditError("stored commitment differs from the leaf", where=where)
            _check_commitment(frame, where)
            chain = chains.get(leaf.child_id)
            expected_prev = chain.leaf_hash if chain else GENESIS
            expected_version = chain.version + 1 if chain else 1
            if leaf.version != expected_version:
                raise AuditError(f"child chain skips from v{expected_version - 1}", where=where)
            if leaf.prev != expected_prev:
                raise AuditError("per-child hash chain broken (prev does not match)", where=where)
            digest = leaf.hash()
            stored = next(stored_leaf_hashes, None)
            if (
                stored is None
                or int(stored["idx"]) != leaf.index
                or bytes(stored["hash"]) != digest
            ):
                raise AuditError(
                    "leaf hash differs from the stored Merkle log (audit row altered)", where=where
                )
            tree.append(digest)
            chains[leaf.child_id] = _Chain(leaf.version, leaf.index, digest.hex())
            head = checkpoints.get(tree.size)
            if head is not None:
                _check_against(head, tree, chains)
            if progress and tree.size % 1000 == 0:
                progress(1000)
        extra_event = next(events, None)
        if extra_event is not None:
            child, version = _event_key(extra_event)
            raise AuditError(
                "stored event has no audit leaf (inserted outside the ledger)",
                where=f"event child {child[:8]} v{version}",
            )
    if progress:
        progress(tree.size % 1000)
    _check_heads(ledger, chains)
    _check_stored_root(ledger, tree)
    for head in checkpoints.values():
        if head.size > tree.size:
            raise AuditError(
                f"log truncated: signed at {head.size} leaves, now {tree.size}",
                where=f"checkpoint at size {head.size}",
            )
    report.leaves, report.children, report.root = tree.size, len(chains), tree.root()
    report.latest_checkpoint_size = max(checkpoints, default=None)
    return report


def _missing_or_moved(ledger: Ledger, child: str, version: int) -> str:
    with ledger.backend.ledger_cursor() as cursor:
        ids = [child, UUID(child).hex] if ledger.tables.placeholder == "?" else [child, child]
        cursor.execute(
            ledger.tables.q(
                f"SELECT COUNT(*) AS n FROM {ledger.tables.events_table} "
                "WHERE (originator_id = ? OR originator_id = ?) AND originator_version = ?"
            ),
            [*ids, version],
        )
        row = cursor.fetchone()
    if row is None or int(row["n"]) == 0:
        return "stored event missing (deleted)"
    return "stored events out of ledger order (reordered or inserted)"


def _check_against(head: cp.Checkpoint, tree: MerkleLog, chains: dict[str, _Chain]) -> None:
    where = f"checkpoint at size {head.size}"
    if tree.root() != head.root:
        raise AuditError("recomputed root differs from the signed checkpoint", where=where)
    heads = [(c, ch.version, ch.leaf_index, ch.leaf_hash) for c, ch in chains.items()]
    if len(heads) != head.heads_count or heads_root(heads) != head.heads_root:
        raise AuditError("child heads differ from the signed checkpoint", where=where)


def _check_heads(ledger: Ledger, chains: dict[str, _Chain]) -> None:
    stored = {
        child: (version, index, leaf_hash) for child, version, index, leaf_hash in ledger.heads()
    }
    for child, chain in chains.items():
        head = stored.pop(child, None)
        if head is None:
            raise AuditError("child has leaves but no head", where=f"child {child[:8]}")
        if head != (chain.version, chain.leaf_index, chain.leaf_hash):
            raise AuditError(
                f"head says v{head[0]} but the chain ends at v{chain.version} (tail truncated)",
                where=f"child {child[:8]}",
            )
    if stored:
        child = sorted(stored)[0]
        raise AuditError("head without leaves (child's events removed)", where=f"child {child[:8]}")


def _check_stored_root(ledger: Ledger, tree: MerkleLog) -> None:
    with ledger.backend.ledger_cursor() as cursor:
        stored = _ReadLog(_ReadNodes(cursor, ledger.tables), tree.size)
        if tree.size and stored.root() != tree.root():
            raise AuditError(
                "stored Merkle nodes do not match the leaves", where=f"tree of size {tree.size}"
            )
