"""Appends audit leaves inside the event-writing transaction.

Called by both recorders with the cursor of the transaction that just inserted the
events (and, on PostgreSQL, while the EXCLUSIVE lock on the events table is held), so
leaf order equals commit order, and either both the events and their leaves are stored
or neither is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from eventsourcing.persistence import StoredEvent

from ledger.framing import split
from ledger.leaf import GENESIS, AuditLeaf, format_time, parse_time
from ledger.merkle import MerkleLog
from ledger.sql import Cursor, Tables, fetch_nodes

Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    return datetime.now(tz=UTC)


class _BatchNodes:
    """Subtree store for one transaction: reads in one query, writes collected."""

    def __init__(self, cursor: Cursor, tables: Tables) -> None:
        self.cursor = cursor
        self.tables = tables
        self.written: dict[tuple[int, int], bytes] = {}

    def get(self, level: int, index: int) -> bytes | None:
        key = (level, index)
        if key in self.written:
            return self.written[key]
        return fetch_nodes(self.cursor, self.tables, [key]).get(key)

    def get_many(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        missing = [k for k in keys if k not in self.written]
        found = fetch_nodes(self.cursor, self.tables, missing) if missing else {}
        return {k: self.written.get(k) or found[k] for k in keys if k in self.written or k in found}

    def put(self, level: int, index: int, value: bytes) -> None:
        self.written[(level, index)] = value


class BatchMerkleLog(MerkleLog):
    """A MerkleLog whose reads are one SQL query per batch of keys."""

    def __init__(self, store: _BatchNodes, size: int) -> None:
        self._batch = store
        super().__init__(store, size)

    def _fetch(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        found = self._batch.get_many(keys)
        missing = [k for k in keys if k not in found]
        if missing:
            return super()._fetch(keys)  # raises the library's MerkleError naming the node
        return [found[k] for k in keys]


def append_leaves(
    cursor: Cursor,
    tables: Tables,
    stored_events: Sequence[StoredEvent],
    clock: Clock = wall_clock,
) -> list[AuditLeaf]:
    """Write one audit leaf per stored event, the Merkle nodes they complete and the
    children's new heads. Raises (and so rolls the whole transaction back) on any error."""
    cursor.execute(
        tables.q(
            "SELECT leaf_index, recorded_at FROM {p}ledger_leaves ORDER BY leaf_index DESC LIMIT 1"
        )
    )
    last = cursor.fetchone()
    size = 0 if last is None else int(last["leaf_index"]) + 1
    now = clock()
    if last is not None:
        now = max(now, parse_time(str(last["recorded_at"])))  # the record clock never runs back
    recorded_at = format_time(now)

    children = sorted({str(e.originator_id) for e in stored_events})
    heads: dict[str, str] = {}
    if children:
        marks = ",".join("?" * len(children))
        cursor.execute(
            tables.q(
                f"SELECT child_id, leaf_hash FROM {{p}}ledger_heads WHERE child_id IN ({marks})"
            ),
            children,
        )
        heads = {str(r["child_id"]): str(r["leaf_hash"]) for r in cursor.fetchall()}

    nodes = _BatchNodes(cursor, tables)
    log = BatchMerkleLog(nodes, size)
    leaves: list[AuditLeaf] = []
    head_rows: dict[str, tuple[str, int, int, str]] = {}
    for event in stored_events:
        child = str(event.originator_id)
        commitment, _ = split(event.state)
        leaf = AuditLeaf(
            index=log.size,
            child_id=child,
            version=event.originator_version,
            topic=event.topic,
            recorded_at=recorded_at,
            state_sha256=hashlib.sha256(event.state).hexdigest(),
            commitment=commitment.hex(),
            prev=heads.get(child, GENESIS),
        )
        digest = leaf.hash()
        log.append(digest)
        heads[child] = digest.hex()
        head_rows[child] = (child, leaf.version, leaf.index, digest.hex())
        leaves.append(leaf)

    cursor.executemany(
        tables.q(
            "INSERT INTO {p}ledger_leaves (leaf_index, child_id, version, topic, recorded_at, "
            "state_sha256, commitment, prev) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        [
            (
                lf.index,
                lf.child_id,
                lf.version,
                lf.topic,
                lf.recorded_at,
                lf.state_sha256,
                lf.commitment,
                lf.prev,
            )
            for lf in leaves
        ],
    )
    cursor.executemany(
        tables.q("INSERT INTO {p}ledger_nodes (level, idx, hash) VALUES (?, ?, ?)"),
        [(level, idx, value) for (level, idx), value in nodes.written.items()],
    )
    cursor.executemany(
        tables.q(
            "INSERT INTO {p}ledger_heads (child_id, version, leaf_index, leaf_hash) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (child_id) DO UPDATE SET version = excluded.version, "
            "leaf_index = excluded.leaf_index, leaf_hash = excluded.leaf_hash"
        ),
        list(head_rows.values()),
    )
    return leaves
