"""Appends audit leaves inside the event-writing transaction.

Called by both recorders with the cursor of the transaction that just inserted the
events (and, on PostgreSQL, while the EXCLUSIVE lock on the events table is held), so
leaf order equals commit order, and either both the events and their leaves are stored
or neither is.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from eventsourcing.persistence import StoredEvent

from ledger.framing import commitment_of
from ledger.leaf import GENESIS, LEAF_COLUMNS, format_time, leaf_bytes, parse_time
from ledger.merkle import MerkleError, extend_frontier, perfect_subtrees
from ledger.sql import Cursor, Row, Tables, fetch_nodes, insert_rows

Clock = Callable[[], datetime]
LAST_LEAF = "SELECT leaf_index, recorded_at FROM {p}ledger_leaves ORDER BY leaf_index DESC LIMIT 1"
HEADS_REMEMBERED = 50_000  # children whose head a TipCache keeps (then it starts afresh)
NODE_COLUMNS = (("level", "integer"), ("idx", "bigint"), ("hash", "bytea"))
HEAD_COLUMNS = (
    ("child_id", "text"),
    ("version", "bigint"),
    ("leaf_index", "bigint"),
    ("leaf_hash", "text"),
)


LINK_COLUMNS = (("child_id", "text"), ("sha256", "text"), ("version", "bigint"))


@dataclass(frozen=True)
class StoredWithFiles(StoredEvent):
    """A stored event whose entry attaches files (their SHA-256 digests): the mapper knows
    them before sealing, and the link rows are written in the event's own transaction."""

    files: tuple[str, ...] = ()


def wall_clock() -> datetime:
    return datetime.now(tz=UTC)


@dataclass
class Tip:
    """The end of the log: its size, the roots of its perfect subtrees (largest first) and
    the children's head leaf hashes (those known)."""

    size: int
    frontier: list[tuple[int, bytes]]
    heads: dict[str, str]


class TipCache:
    """The tip as this process last committed it, so that the next transaction need not
    read the frontier and the heads back: one query (the last leaf) tells whether anyone
    else has written since, and if so everything is read as usual. A transaction stages
    its new tip; the recorder promotes it once the commit has returned."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tip: Tip | None = None
        self._staged = threading.local()

    def known(self, size: int, children: Sequence[str]) -> Tip | None:
        """The cached frontier and these children's cached heads, if the log still has
        `size` leaves as this process left it."""
        with self._lock:
            tip = self._tip
            if tip is None or tip.size != size:
                return None
            heads = {c: tip.heads[c] for c in children if c in tip.heads}
            return Tip(size, list(tip.frontier), heads)

    def stage(self, base: int, tip: Tip) -> None:
        self._staged.value = (base, tip)

    def discard(self) -> None:
        self._staged.value = None

    def committed(self) -> None:
        """The staged tip is in the store now."""
        staged = getattr(self._staged, "value", None)
        self._staged.value = None
        if staged is None:
            return
        base, new = staged
        with self._lock:
            tip = self._tip
            if tip is not None and tip.size == base and len(tip.heads) < HEADS_REMEMBERED:
                tip.heads.update(new.heads)
                tip.size, tip.frontier = new.size, new.frontier
            else:
                self._tip = Tip(new.size, new.frontier, dict(new.heads))


def append_leaves(
    cursor: Cursor,
    tables: Tables,
    stored_events: Sequence[StoredEvent],
    clock: Clock = wall_clock,
    tips: TipCache | None = None,
    read: tuple[Row | None] | None = None,
) -> None:
    """Write one audit leaf per stored event, the Merkle nodes they complete and the
    children's new heads: at most three reads (one, when `tips` knows the log's end) and
    one multi-row INSERT per table, whatever the batch's size. `read` holds the row of
    LAST_LEAF if the caller has read it already. Raises (and so rolls the whole transaction
    back) on any error."""
    if read is None:
        cursor.execute(tables.q(LAST_LEAF))
        read = (cursor.fetchone(),)
    last = read[0]
    size = 0 if last is None else int(last["leaf_index"]) + 1
    now = clock()
    if last is not None:
        now = max(now, parse_time(str(last["recorded_at"])))  # the record clock never runs back
    recorded_at = format_time(now)
    names = {e.originator_id: str(e.originator_id) for e in stored_events}
    children = sorted(set(names.values()))
    known = tips.known(size, children) if tips is not None else None
    if known is None:
        heads, frontier = _heads(cursor, tables, children), _frontier(cursor, tables, size)
    else:
        frontier, heads = known.frontier, known.heads
        heads |= _heads(cursor, tables, [c for c in children if c not in heads])
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
    links = [
        (names[e.originator_id], sha, e.originator_version)
        for e in stored_events
        if isinstance(e, StoredWithFiles)
        for sha in dict.fromkeys(e.files)
    ]
    insert_rows(cursor, tables, "document_links", LINK_COLUMNS, links)
    if tips is not None:
        new_heads = {child: row[3] for child, row in head_rows.items()}
        tips.stage(size, Tip(size + len(stored_events), frontier, new_heads))


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
