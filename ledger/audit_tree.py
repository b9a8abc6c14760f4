"""The tree half of `sendtrail audit`: every stored Merkle node, checked level by level.

The leaf pass has already checked the stored level-0 nodes against the recomputed leaf
hashes. Here each stored node of level L must be exactly SHA-256(0x01 || its two children
at level L-1), every node a log of this size has must be there, and none beyond it. Once a
level holds, its stored values are trusted for the next one, so the roots at any size (the
log's, each checkpoint's) come from the verified nodes in O(log n): nothing is appended
leaf by leaf, and the proofs the store hands out are made of exactly these nodes.

Memory: the level below is kept as one bytearray (32 bytes a node), so a million leaves
take 32 MB at the widest level.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from itertools import islice

from ledger.merkle import EMPTY_ROOT, HASH_SIZE, fold, perfect_subtrees
from ledger.sql import Cursor, Tables, as_bytes, iter_tuples, tuple_rows

_NODE = b"\x01"
_PAGE = 20_000  # stored nodes read and compared at a time


class TreeMismatch(Exception):
    """A stored node is wrong, missing or beyond the log; `where` names it."""

    def __init__(self, reason: str, *, where: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.reason = reason
        self.where = where


def verify_levels(
    cursor: Cursor, tables: Tables, leaf_hashes: bytes, sizes: Iterable[int]
) -> dict[int, bytes]:
    """Check every stored node above level 0 against the leaf hashes; return the root of
    the tree at each of `sizes` (each at most the log's size), from the checked nodes."""
    size = len(leaf_hashes) // HASH_SIZE
    wanted = {key for m in sizes for key in perfect_subtrees(0, m)}
    found: dict[tuple[int, int], bytes] = {}
    below = leaf_hashes
    level = 0
    while True:
        for lvl, idx in wanted:
            if lvl == level:
                found[(lvl, idx)] = below[idx * HASH_SIZE : (idx + 1) * HASH_SIZE]
        level += 1
        count = size >> level
        if count == 0:
            nothing_at_or_above(cursor, tables, level)
            break
        below = _check_level(cursor, tables, level, count, below)
    return {m: fold([found[k] for k in perfect_subtrees(0, m)]) if m else EMPTY_ROOT for m in sizes}


def _check_level(cursor: Cursor, tables: Tables, level: int, count: int, below: bytes) -> bytes:
    """The stored nodes of `level` (there must be `count`), each checked against its
    children in `below`: a page at a time, compared whole (its indexes one run from the
    next expected, its hashes the recomputed ones); a page that differs is walked node by
    node to name the first node wrong."""
    out = bytearray()
    sql = f"SELECT idx, hash FROM {{p}}ledger_nodes WHERE level = {int(level)}"
    rows = iter_tuples(tuple_rows(cursor), tables, sql, key="idx", page=_PAGE)
    while page := list(islice(rows, _PAGE)):
        first, end = len(out) // HASH_SIZE, len(out) // HASH_SIZE + len(page)
        computed = _parents(below, first, min(end, count))
        same = (
            end <= count
            and [row[0] for row in page] == list(range(first, end))
            and b"".join(as_bytes(row[1]) for row in page) == computed
        )
        if not same:
            _first_wrong(page, level, first, count, computed)
        out += computed
    if len(out) // HASH_SIZE < count:
        raise TreeMismatch("stored Merkle node missing", where=_at(level, len(out) // HASH_SIZE))
    return bytes(out)


def _parents(below: bytes, first: int, end: int) -> bytes:
    """The nodes `first` to `end` (exclusive) of a level, from their children in `below`."""
    sha256 = hashlib.sha256
    step = 2 * HASH_SIZE
    return b"".join(
        sha256(_NODE + below[start : start + step]).digest()
        for start in range(first * step, end * step, step)
    )


def _first_wrong(
    page: list[tuple[int, object]], level: int, expected: int, count: int, computed: bytes
) -> None:
    """Raise for the first node of `page` (read from index `expected` on, whose recomputed
    values from there are `computed`) that is wrong."""
    first = expected
    for idx, stored in page:
        where = _at(level, idx)
        if idx != expected:
            if idx > expected:
                raise TreeMismatch("stored Merkle node missing", where=_at(level, expected))
            raise TreeMismatch("stored Merkle node out of order", where=where)
        if idx >= count:
            raise TreeMismatch("stored Merkle node beyond the log (leaves removed)", where=where)
        at = (idx - first) * HASH_SIZE
        if as_bytes(stored) != computed[at : at + HASH_SIZE]:
            raise TreeMismatch("stored Merkle node does not match the nodes below it", where=where)
        expected += 1


def nothing_at_or_above(cursor: Cursor, tables: Tables, level: int) -> None:
    cursor.execute(
        tables.q("SELECT level, idx FROM {p}ledger_nodes WHERE level >= ? ORDER BY level, idx"),
        [level],
    )
    row = tuple_rows(cursor).fetchone()
    if row is not None:
        raise TreeMismatch(
            "stored Merkle node beyond the log (leaves removed)", where=_at(row[0], row[1])
        )


def _at(level: int, idx: int) -> str:
    return f"tree node at level {level}, index {idx}"
