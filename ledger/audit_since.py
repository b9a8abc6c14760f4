"""`sendtrail audit --since-checkpoint FILE --incremental`: check only what was written
after a checkpoint an earlier audit kept.

A full audit re-derives every leaf; on a log of ten million that is minutes. An operator
who audited the log when it had N leaves and kept that signed checkpoint somewhere the
setting cannot change needs to check only what came after, and that what came before is
still the tree the checkpoint signed. This does exactly that:

1. the kept checkpoint is signed by the log key, and the log has not shrunk below it;
2. the stored roots of the perfect subtrees of [0, N) fold to the kept root (so those
   stored nodes are the signed ones; nothing before N was rewritten under them);
3. for each child written after N, its last leaf before N is re-derived from its row and
   proved included in the kept tree (an inclusion proof from the stored nodes, checked
   against the kept root): the children's chains resume from authenticated leaves; the
   heads at N (these leaves and the stored heads of every child not written since) must
   give the kept checkpoint's heads root;
4. every leaf from N on is checked as the full audit checks it (its event's stored bytes,
   number, record time, chain, stored level-0 node), and every stored node above level 0
   that covers a new leaf must be the hash of its children, computed on from the kept
   frontier; each later signed checkpoint's root and heads are checked, and the heads.

What it does not do: re-derive the leaves before N from their events (the audit that kept
the checkpoint did). A changed old row whose stored nodes were left alone goes unseen here
unless it is the last leaf of a child written since; run the full audit for that.
"""

from __future__ import annotations

import hashlib
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger import checkpoint as cp
from ledger.audit import (
    AuditError,
    AuditReport,
    Progress,
    _Chain,
    _check_checkpoints,
    _check_heads,
    _database,
    _Reader,
    _verified_checkpoints,
    _Walk,
    _where,
    walk_pages,
)
from ledger.audit_leaves import LeafRow
from ledger.audit_pool import page_checker
from ledger.audit_tree import TreeMismatch, nothing_at_or_above
from ledger.leaf import LEAF_COLUMNS, leaf_bytes
from ledger.log import Ledger, heads_root
from ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    InclusionProofError,
    InclusionVerifier,
    extend_frontier,
    fold,
    inclusion_ranges,
    perfect_subtrees,
)
from ledger.sql import Cursor, fetch_nodes, iter_tuples, tuple_rows

_COLUMNS = ", ".join(name for name, _ in LEAF_COLUMNS)


def audit_since(
    ledger: Ledger,
    kept_note: str,
    *,
    log_key: Ed25519PublicKey,
    key_name: str,
    progress: Progress | None = None,
    workers: int | None = None,
) -> AuditReport:
    """Check the log after the kept checkpoint, and that the tree before it is the signed
    one; raise AuditError at the first problem (fails closed, as `audit` does)."""
    try:
        return _since(ledger, kept_note, log_key, key_name, progress, workers)
    except AuditError:
        raise
    except TreeMismatch as error:
        raise AuditError(error.reason, where=error.where) from None
    except Exception as error:  # an unreadable store is not a clean store
        raise AuditError(f"cannot read the store ({type(error).__name__})", where="store") from None


def _since(
    ledger: Ledger,
    kept_note: str,
    log_key: Ed25519PublicKey,
    key_name: str,
    progress: Progress | None,
    workers: int | None,
) -> AuditReport:
    checkpoints = _verified_checkpoints(ledger, log_key, key_name, [kept_note])
    kept = cp.verify(kept_note, log_key, key_name)
    n = kept.size
    with ledger.backend.ledger_cursor() as nodes_cur:
        size = ledger._size(nodes_cur)
        if n > size:
            raise AuditError(
                f"log truncated: signed at {n} leaves, now {size}", where=f"checkpoint at size {n}"
            )
        frontier = _kept_frontier(nodes_cur, ledger, kept)
        walk = _Walk(ledger, {s for s in checkpoints if s > n})
        heads = ledger._heads(nodes_cur)
        # Written since N: by their leaves, or by their stored heads (leaves cut off).
        touched = _touched(nodes_cur, ledger, n) | {h[0] for h in heads if h[2] >= n}
        chains, last_time = _resumed(nodes_cur, ledger, kept, touched)
        walk.resume(n, last_time, chains)
        walk.fixed_heads = [h for h in heads if h[0] not in touched]
        at_n = walk.fixed_heads + [
            (c, h.version, h.leaf_index, h.leaf_hash) for c, h in chains.items()
        ]
        if (len(at_n), heads_root(at_n)) != (kept.heads_count, kept.heads_root):
            raise AuditError(
                "child heads differ from the kept checkpoint (history before it rewritten)",
                where=f"checkpoint at size {n}",
            )
        after = _event_order_before(nodes_cur, ledger, n)
        with (  # open only for the walk, as in the full audit
            ledger.backend.ledger_cursor() as leaves_cur,
            ledger.backend.ledger_cursor() as events_cur,
            page_checker(size - n, _database(ledger), workers) as checker,
        ):
            reader = _Reader(
                ledger, leaves_cur, events_cur, nodes_cur, checker.reads_for_itself, (n, after)
            )
            walk_pages(reader, walk, checker, progress)
        roots = _check_new_nodes(
            nodes_cur, ledger, n, frontier, bytes(walk.leaf_hashes), set(checkpoints)
        )
    _check_checkpoints({s: c for s, c in checkpoints.items() if s > n}, walk, roots)
    fixed = {c: _Chain(v, i, h) for c, v, i, h in walk.fixed_heads}
    _check_heads(ledger, {**fixed, **walk.chains})
    return AuditReport(
        leaves=walk.size,
        children=len(fixed) + len(walk.chains),
        checkpoints=len(checkpoints),
        root=roots[walk.size],
        latest_checkpoint_size=max(checkpoints, default=None),
        notes=[f"incremental: leaves {n} to {walk.size - 1} re-derived; before {n}, the tree "
               "and heads the kept checkpoint signed"] if walk.size > n else [],
    )  # fmt: skip


def _kept_frontier(cursor: Cursor, ledger: Ledger, kept: cp.Checkpoint) -> list[tuple[int, bytes]]:
    """The stored roots of the perfect subtrees of [0, N), which must fold to the kept root."""
    keys = perfect_subtrees(0, kept.size)
    found = fetch_nodes(cursor, ledger.tables, keys)
    where = f"checkpoint at size {kept.size}"
    if len(found) != len(keys):
        raise AuditError("stored Merkle node missing under the kept checkpoint", where=where)
    hashes = [found[key] for key in keys]
    if (fold(hashes) if hashes else EMPTY_ROOT) != kept.root:
        raise AuditError(
            "stored tree differs from the kept checkpoint (history before it rewritten)",
            where=where,
        )
    return [(level, h) for (level, _), h in zip(keys, hashes, strict=True)]


def _touched(cursor: Cursor, ledger: Ledger, n: int) -> set[str]:
    """Children with a leaf at or after `n`."""
    cursor.execute(
        ledger.tables.q("SELECT DISTINCT child_id FROM {p}ledger_leaves WHERE leaf_index >= ?"),
        [n],
    )
    return {str(row["child_id"]) for row in cursor.fetchall()}


def _resumed(
    cursor: Cursor, ledger: Ledger, kept: cp.Checkpoint, touched: set[str]
) -> tuple[dict[str, _Chain], str]:
    """Each touched child's last leaf before N, and leaf N-1's record time: read, re-hashed
    and proved included in the kept tree."""
    n = kept.size
    if n == 0:
        return {}, ""
    rows = _last_leaves_before(cursor, ledger, n, touched)
    previous = _leaf_at(cursor, ledger, n - 1)
    wanted = {row[0]: row for row in [*rows, previous]}
    digests = {i: hashlib.sha256(b"\x00" + leaf_bytes(*row)).digest() for i, row in wanted.items()}
    ranges = {i: inclusion_ranges(i, n) for i in wanted}
    pieces = {i: [perfect_subtrees(lo, hi) for lo, hi in r] for i, r in ranges.items()}
    keys = sorted({key for parts in pieces.values() for part in parts for key in part})
    nodes = fetch_nodes(cursor, ledger.tables, keys)
    verifier = InclusionVerifier(n, kept.root)
    for index, parts in sorted(pieces.items()):
        try:
            proof = [fold([nodes[key] for key in part]) for part in parts]
            verifier.verify(digests[index], index, proof)
        except (KeyError, InclusionProofError):
            raise AuditError(
                "leaf before the kept checkpoint is not in its tree (history rewritten)",
                where=_where(wanted[index]),
            ) from None
    chains = {row[1]: _Chain(row[2], row[0], digests[row[0]].hex()) for row in rows}
    return chains, previous[4]


def _last_leaves_before(cursor: Cursor, ledger: Ledger, n: int, touched: set[str]) -> list[LeafRow]:
    found: list[LeafRow] = []
    children = sorted(touched)
    for start in range(0, len(children), 500):
        chunk = children[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        cursor.execute(
            ledger.tables.q(
                f"SELECT {_COLUMNS} FROM {{p}}ledger_leaves WHERE leaf_index IN ("
                "SELECT MAX(leaf_index) FROM {p}ledger_leaves "
                f"WHERE leaf_index < ? AND child_id IN ({marks}) GROUP BY child_id)"
            ),
            [n, *chunk],
        )
        found += [_leaf_row(row) for row in cursor.fetchall()]
    return found


def _leaf_at(cursor: Cursor, ledger: Ledger, index: int) -> LeafRow:
    cursor.execute(
        ledger.tables.q(f"SELECT {_COLUMNS} FROM {{p}}ledger_leaves WHERE leaf_index = ?"), [index]
    )
    row = cursor.fetchone()
    if row is None:
        raise AuditError("leaf index gap (audit row deleted)", where=f"leaf {index}")
    return _leaf_row(row)


def _leaf_row(row: object) -> LeafRow:
    values = [row[name] for name, _ in LEAF_COLUMNS]  # type: ignore[index]
    return (int(values[0]), str(values[1]), int(values[2]), *map(str, values[3:]))  # type: ignore[return-value]


def _event_order_before(cursor: Cursor, ledger: Ledger, n: int) -> int:
    """The stored-event order of leaf N-1's event (-1 when N is 0)."""
    if n == 0:
        return -1
    leaf = _leaf_at(cursor, ledger, n - 1)
    tables = ledger.tables
    ids = [leaf[1], UUID(leaf[1]).hex] if tables.placeholder == "?" else [leaf[1], leaf[1]]
    cursor.execute(
        tables.q(
            f"SELECT {tables.events_order} AS at FROM {tables.events_table} "
            "WHERE (originator_id = ? OR originator_id = ?) AND originator_version = ?"
        ),
        [*ids, leaf[2]],
    )
    row = cursor.fetchone()
    if row is None:
        raise AuditError("stored event missing (deleted)", where=_where(leaf))
    return int(row["at"])


def _check_new_nodes(
    cursor: Cursor,
    ledger: Ledger,
    n: int,
    frontier: list[tuple[int, bytes]],
    new_hashes: bytes,
    checkpoint_sizes: set[int],
) -> dict[int, bytes]:
    """Every stored node above level 0 that covers a leaf from N on, against the tree
    computed on from the kept frontier; the root at N, at the end and at each checkpoint
    size between."""
    size = n + len(new_hashes) // HASH_SIZE
    frontier = list(frontier)
    levels: dict[int, list[tuple[int, bytes]]] = {}
    roots = {n: fold([h for _, h in frontier]) if frontier else EMPTY_ROOT}
    for position in range(len(new_hashes) // HASH_SIZE):
        digest = new_hashes[position * HASH_SIZE : (position + 1) * HASH_SIZE]
        for level, idx, value in extend_frontier(frontier, n + position, digest)[1:]:
            levels.setdefault(level, []).append((idx, value))
        if n + position + 1 in checkpoint_sizes or n + position + 1 == size:
            roots[n + position + 1] = fold([h for _, h in frontier])
    top = size.bit_length()
    for level in range(1, top):
        _check_level_from(cursor, ledger, level, n >> level, levels.get(level, []))
    nothing_at_or_above(cursor, ledger.tables, max(top, 1))
    return roots


def _check_level_from(
    cursor: Cursor, ledger: Ledger, level: int, first: int, computed: list[tuple[int, bytes]]
) -> None:
    """The stored nodes of `level` from index `first` on must be exactly `computed`."""
    expected = iter(computed)
    sql = f"SELECT idx, hash FROM {{p}}ledger_nodes WHERE level = {int(level)}"
    rows = iter_tuples(tuple_rows(cursor), ledger.tables, sql, key="idx", after=first - 1)
    for idx, stored in rows:
        want = next(expected, None)
        if want is None:
            raise TreeMismatch(_BEYOND, where=_node(level, idx))
        if want[0] != idx:
            raise TreeMismatch("stored Merkle node missing", where=_node(level, want[0]))
        if bytes(stored) != want[1]:
            raise TreeMismatch(_MISMATCH, where=_node(level, idx))
    missing = next(expected, None)
    if missing is not None:
        raise TreeMismatch("stored Merkle node missing", where=_node(level, missing[0]))


_BEYOND = "stored Merkle node beyond the log (leaves removed)"
_MISMATCH = "stored Merkle node does not match the nodes below it"


def _node(level: int, idx: int) -> str:
    return f"tree node at level {level}, index {idx}"
