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

from ledger.framing import commitment_of
from ledger.leaf import GENESIS, LEAF_COLUMNS, format_time, leaf_bytes, parse_time
from ledger.merkle import MerkleError, extend_frontier, perfect_subtrees
from ledger.sql import Cursor, Tables, fetch_nodes, insert_rows

Clock = Callable[[], datetime]
NODE_COLUMNS = (("level", "integer"), ("idx", "bigint"), ("hash", "bytea"))
HEAD_COLUMNS = (
    ("child_id", "text"),
    ("version", "bigint"),
    ("leaf_index", "bigint"),
    ("leaf_hash", "text"),
)


def wall_clock() -> datetime:
    return datetime.now(tz=UTC)


def append_leaves(
    cursor: Cursor,
    tables: Tables,
    stored_events: Sequence[StoredEvent],
    clock: Clock = wall_clock,
) -> None:
    """Write one audit leaf per stored event, the Merkle nodes they complete and the
    children's new heads: three reads and one multi-row INSERT per table, whatever the
    batch's size. Raises (and so rolls the whole transaction back) on any error."""
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
    names = {e.originator_id: str(e.originator_id) for e in stored_events}
    heads = _heads(cursor, tables, sorted(set(names.values())))
    frontier = _frontier(cursor, tables, size)
    sha256 = hashlib.sha256
    leaves: list[tuple[int, str, int, str, str, str, str, str]] = []
    nodes: list[tuple[int, int, bytes]] = []
    head_rows: dict[str, tuple[str, int, int, str]] = {}
    for index, event in enumerate(stored_events, start=size):
        child, version, topic = names[event.originator_id], event.originator_version, event.topic
        state_sha256 = sha256(event.state).hexdigest()
        commitment = commitment_of(event.state).hex()
        prev = heads.get(child, GENESIS)
        leaf = (index, child, version, topic, recorded_at, state_sha256, commitment, prev)
        digest = sha256(b"\x00" + leaf_bytes(*leaf)).digest()  # RFC 9162 leaf hash
        nodes += extend_frontier(frontier, index, digest)
        heads[child] = hexed = digest.hex()
        head_rows[child] = (child, version, index, hexed)
        leaves.append(leaf)
    insert_rows(cursor, tables, "ledger_leaves", LEAF_COLUMNS, leaves)
    insert_rows(cursor, tables, "ledger_nodes", NODE_COLUMNS, nodes)
    insert_rows(
        cursor,
        tables,
        "ledger_heads",
        HEAD_COLUMNS,
        list(head_rows.values()),
        suffix=" ON CONFLICT (child_id) DO UPDATE SET version = excluded.version, "
        "leaf_index = excluded.leaf_index, leaf_hash = excluded.leaf_hash",
    )


def _heads(cursor: Cursor, tables: Tables, children: list[str]) -> dict[str, str]:
    """The current head leaf hash of each of `children` (one query)."""
    if not children:
        return {}
    marks = ",".join("?" * len(children))
    cursor.execute(
        tables.q(f"SELECT child_id, leaf_hash FROM {{p}}ledger_heads WHERE child_id IN ({marks})"),
        children,
    )
    return {str(r["child_id"]): str(r["leaf_hash"]) for r in cursor.fetchall()}


def _frontier(cursor: Cursor, tables: Tables, size: int) -> list[tuple[int, bytes]]:
    """The stored roots of the perfect subtrees of [0, size), largest first (one query)."""
    keys = perfect_subtrees(0, size)
    found = fetch_nodes(cursor, tables, keys)
    missing = [key for key in keys if key not in found]
    if missing:
        level, index = missing[0]
        raise MerkleError(f"subtree store has no node at level {level}, index {index}")
    return [(level, found[(level, index)]) for level, index in keys]
