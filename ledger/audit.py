"""`sendtrail audit`: re-derive every leaf, chain, root and head from the stored rows.

The audit trusts nothing it reads: it recomputes each leaf from the stored event bytes and
the audit row, walks each child's hash chain, checks every stored Merkle node level by
level against the recomputed leaves, takes the root at each signed checkpoint's size from
those checked nodes, and finally checks the child heads. It stops at the first problem
with an `AuditError` naming the leaf and what is wrong, and fails closed: anything it
cannot read is an error, never a pass.

How it is fast: the rows are read a page at a time; the per-leaf hashing of a page (the
stored bytes, the frame, the leaf hash: `ledger.audit_leaves`) runs in worker processes
while this one reads the next page and walks the chains in order; the tree is checked
level by level from the stored nodes (`ledger.audit_tree`) instead of being rebuilt leaf
by leaf. For a leaf, the checks keep their order: its number, time and event first, then
its bytes, then its chain, then its stored node — so the first bad leaf is named as before.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from itertools import islice
from operator import le
from typing import cast
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger import checkpoint as cp
from ledger.audit_leaves import LeafRow, PageResult
from ledger.audit_pool import Checker, StoredPage, page_checker
from ledger.audit_tree import TreeMismatch, verify_levels
from ledger.leaf import GENESIS, LEAF_COLUMNS
from ledger.log import Ledger, heads_root
from ledger.merkle import HASH_SIZE
from ledger.sql import Cursor, as_bytes, iter_tuples, tuple_rows

Progress = Callable[[int], None]
PAGE = 5000  # leaves read, and checked by one worker, at a time
IN_FLIGHT = 3  # pages read ahead of the chain walk


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


@dataclass
class _Chain:
    version: int
    leaf_index: int
    leaf_hash: str


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
    workers: int | None = None,
) -> AuditReport:
    """Check the whole ledger; return a report or raise AuditError at the first problem.
    `workers` processes hash the pages of leaves (default: one per core once the log is
    large enough for that to pay; 0 does everything in this process)."""
    try:
        return _audit(ledger, log_key, key_name, extra_checkpoints or [], progress, workers)
    except AuditError:
        raise
    except TreeMismatch as error:
        raise AuditError(error.reason, where=error.where) from None
    except Exception as error:  # fail closed: an unreadable store is not a clean store
        raise AuditError(f"cannot read the store ({type(error).__name__})", where="store") from None


def _audit(
    ledger: Ledger,
    log_key: Ed25519PublicKey,
    key_name: str,
    extra: list[str],
    progress: Progress | None,
    workers: int | None,
) -> AuditReport:
    checkpoints = _verified_checkpoints(ledger, log_key, key_name, extra)
    walk = _Walk(ledger, set(checkpoints))
    with ledger.backend.ledger_cursor() as nodes_cur:
        # The leaves' and the events' transactions end with the walk: left open, idle
        # through the tree pass (minutes on a large log), PostgreSQL ends them
        # (idle_in_transaction_session_timeout) and the audit fails on closing them.
        with (
            ledger.backend.ledger_cursor() as leaves_cur,
            ledger.backend.ledger_cursor() as events_cur,
            page_checker(ledger.size(), _database(ledger), workers) as checker,
        ):
            reader = _Reader(ledger, leaves_cur, events_cur, nodes_cur, checker.reads_for_itself)
            walk_pages(reader, walk, checker, progress)
        sizes = {walk.size, *(size for size in checkpoints if size <= walk.size)}
        roots = verify_levels(nodes_cur, ledger.tables, bytes(walk.leaf_hashes), sizes)
    _check_checkpoints({k: v for k, v in checkpoints.items() if k <= walk.size}, walk, roots)
    _check_heads(ledger, walk.chains)
    _check_checkpoints(checkpoints, walk, roots)  # the ones beyond the log: truncation
    return AuditReport(
        leaves=walk.size,
        children=len(walk.chains),
        checkpoints=len(checkpoints),
        root=roots[walk.size],
        latest_checkpoint_size=max(checkpoints, default=None),
    )


def walk_pages(reader: _Reader, walk: _Walk, checker: Checker, progress: Progress | None) -> None:
    """Every page the reader gives, in order: its structure walked here while workers hash
    pages read ahead; raise at the first problem, then check nothing is left over."""
    pending: deque[tuple[_Page, _Broken | None, Future[PageResult]]] = deque()
    for page in reader.pages():
        broken = walk.structure(page)
        end = len(page.leaves) if broken is None else broken.position
        pending.append((page, broken, _check(checker, page, end)))
        if broken is not None:
            break  # the pages after it no longer line up
        if len(pending) > IN_FLIGHT:
            walk.finish(*pending.popleft(), progress)
    while pending:
        walk.finish(*pending.popleft(), progress)
    reader.nothing_left()


def _database(ledger: Ledger) -> str | None:
    """The SQLite file worker processes may read, if the store is one."""
    path = getattr(ledger.backend, "database_path", None)
    return path() if callable(path) else None


def _check(checker: Checker, page: _Page, end: int) -> Future[PageResult]:
    """Hash the page's first `end` leaves: here, or in a worker that reads them itself."""
    if not checker.reads_for_itself or end == 0:
        return checker.here(page.leaves[:end], page.states[:end])
    stored = StoredPage(page.leaves[0][0], end, page.events[0][0], page.events[end - 1][0])
    return checker.there(stored)


@dataclass
class _Page:
    """One page of leaves in index order with, position for position, the stored events
    (row id, id as stored, version, and the bytes unless workers read them), the bytes
    alone, and the stored level-0 nodes, as the driver's tuples."""

    leaves: list[LeafRow]
    events: list[tuple[int, object, int, object]]
    states: list[bytes]
    nodes: list[tuple[int, object]]


@dataclass(frozen=True)
class _Broken:
    """The first leaf of a page whose number, record time or event is wrong."""

    position: int
    reason: str
    where: str


class _Reader:
    """Leaves in index order, events in insertion order, level-0 nodes in index order:
    three cursors read side by side, a page at a time, as plain tuples."""

    def __init__(
        self,
        ledger: Ledger,
        leaves: Cursor,
        events: Cursor,
        nodes: Cursor,
        skip_bytes: bool,
        start: tuple[int, int] | None = None,
    ) -> None:
        """`start`, if given, is (first leaf, the stored-event order of the event before
        it): read from there on, for an audit since a kept checkpoint."""
        tables = ledger.tables
        self.skip_bytes = skip_bytes
        state = "NULL" if skip_bytes else "state"
        columns = ", ".join(name for name, _ in LEAF_COLUMNS)
        first, after = (int(start[0]), int(start[1])) if start else (0, -1)
        self.leaves = iter_tuples(
            tuple_rows(leaves), tables, f"SELECT {columns} FROM {{p}}ledger_leaves",
            key="leaf_index", page=PAGE, after=first - 1,
        )  # fmt: skip
        self.events = iter_tuples(
            tuple_rows(events), tables,
            f"SELECT {tables.events_order}, originator_id, originator_version, {state} "
            f"FROM {tables.events_table}",
            key=tables.events_order, page=PAGE, after=after,
        )  # fmt: skip
        self.nodes = iter_tuples(
            tuple_rows(nodes), tables, "SELECT idx, hash FROM {p}ledger_nodes WHERE level = 0",
            key="idx", page=PAGE, after=first - 1,
        )  # fmt: skip

    def pages(self) -> Iterator[_Page]:
        while leaves := cast(list[LeafRow], list(islice(self.leaves, PAGE))):
            found = list(islice(self.events, len(leaves)))
            states = [] if self.skip_bytes else [e[3] for e in found]
            if states and type(states[0]) is not bytes:  # a driver's memoryview
                states = [as_bytes(state) for state in states]
            yield _Page(leaves, found, states, list(islice(self.nodes, len(leaves))))

    def nothing_left(self) -> None:
        """No stored event lacks a leaf; no level-0 node lies beyond the last leaf."""
        event = next(self.events, None)
        if event is not None:
            raise AuditError(
                "stored event has no audit leaf (inserted outside the ledger)",
                where=f"event child {_text(event[1])[:8]} v{event[2]}",
            )
        node = next(self.nodes, None)
        if node is not None:
            raise AuditError(
                "stored Merkle node beyond the log (leaves removed)",
                where=f"tree node at level 0, index {node[0]}",
            )


def _text(raw: object) -> str:
    return str(raw if isinstance(raw, UUID) else UUID(str(raw)))


def _where(leaf: LeafRow) -> str:
    return f"leaf {leaf[0]} (child {leaf[1][:8]} v{leaf[2]})"


class _Walk:
    """What must be checked in order: leaf numbering, record time, which event each leaf
    is for, each child's chain, the stored level-0 nodes, the child heads at each
    checkpoint's size. Fed page by page; the per-leaf hashes come from `check_page`."""

    def __init__(self, ledger: Ledger, checkpoint_sizes: set[int]) -> None:
        self.ledger = ledger
        self.checkpoint_sizes = checkpoint_sizes
        self.size = 0
        self.chains: dict[str, _Chain] = {}
        self.leaf_hashes = bytearray()
        self.heads_at: dict[int, tuple[int, bytes]] = {0: (0, heads_root([]))}
        self.fixed_heads: list[tuple[str, int, int, str]] = []  # children with no new leaf
        self._read = 0  # leaves read so far (ahead of `size`, the leaves walked)
        self._last_time = ""
        self._children: dict[object, str] = {}  # originator id as stored -> text form

    def resume(self, size: int, last_time: str, chains: dict[str, _Chain]) -> None:
        """Walk on from leaf `size` (an audit since a kept checkpoint): the chains of the
        children written after it, as they stood there, and the last record time."""
        self.size = self._read = size
        self._last_time = last_time
        self.chains.update(chains)

    def structure(self, page: _Page) -> _Broken | None:
        """The first leaf of the page whose number, time or event is wrong, if any."""
        if self._page_in_order(page):
            return None
        for position, leaf in enumerate(page.leaves):
            index, child, version, recorded_at = leaf[0], leaf[1], leaf[2], leaf[4]
            expected = self._read + position
            if index != expected:
                reason = f"leaf index gap: expected {expected} (audit row deleted)"
                return _Broken(position, reason, f"leaf {index}")
            if recorded_at < self._last_time:
                return _Broken(position, "record time moved backwards", _where(leaf))
            self._last_time = recorded_at
            if position >= len(page.events) or self._event(page.events[position]) != (
                child,
                version,
            ):
                reason = _missing_or_moved(self.ledger, child, version)
                return _Broken(position, reason, _where(leaf))
        self._read += len(page.leaves)
        return None

    def _page_in_order(self, page: _Page) -> bool:
        """The whole page at once, the usual case: numbered on from the last, times never
        moving backwards, each leaf for the event beside it. False sends the page leaf by
        leaf through `structure` to name the first that is not."""
        leaves, events, first = page.leaves, page.events, self._read
        if len(events) < len(leaves) or not leaves:
            return False
        times = [self._last_time, *(leaf[4] for leaf in leaves)]
        children, text = self._children, _text
        in_order = (
            [leaf[0] for leaf in leaves] == list(range(first, first + len(leaves)))
            and all(map(le, times, islice(times, 1, None)))
            and [leaf[2] for leaf in leaves] == [event[2] for event in events]
            and [leaf[1] for leaf in leaves]
            == [children.get(e[1]) or children.setdefault(e[1], text(e[1])) for e in events]
        )
        if in_order:
            self._last_time = times[-1]
            self._read += len(leaves)
        return in_order

    def _event(self, event: tuple[int, object, int, object]) -> tuple[str, int]:
        raw, version = event[1], event[2]
        child = self._children.get(raw)
        if child is None:
            child = self._children[raw] = _text(raw)
        return child, version

    def finish(
        self,
        page: _Page,
        broken: _Broken | None,
        checked: Future[PageResult],
        progress: Progress | None,
    ) -> None:
        """Walk the chains over the page's checked leaves; raise at the first problem."""
        result = checked.result()
        hashes, nodes, chains, sizes = result.hashes, page.nodes, self.chains, self.checkpoint_sizes
        for position in range(len(hashes) // HASH_SIZE):  # `_chain`'s checks, inline: 100,000s
            leaf = page.leaves[position]
            digest = hashes[position * HASH_SIZE : (position + 1) * HASH_SIZE]
            node = nodes[position] if position < len(nodes) else None
            chain = chains.get(leaf[1])
            if (
                chain is None
                or leaf[2] != chain.version + 1
                or leaf[7] != chain.leaf_hash
                or node is None
                or node[0] != leaf[0]
                or node[1] != digest
            ):
                self._chain(leaf, digest, node)  # names what is wrong, or starts a chain
                continue
            chain.version, chain.leaf_index, chain.leaf_hash = leaf[2], leaf[0], digest.hex()
            if leaf[0] + 1 in sizes:
                self._heads_at(leaf[0] + 1)
        self.leaf_hashes += hashes
        if hashes:
            self.size = page.leaves[len(hashes) // HASH_SIZE - 1][0] + 1
        if result.failure is not None:
            position, reason = result.failure
            raise AuditError(reason, where=_where(page.leaves[position]))
        if broken is not None:
            raise AuditError(broken.reason, where=broken.where)
        if progress:
            progress(len(page.leaves))

    def _chain(self, leaf: LeafRow, digest: bytes, node: tuple[int, object] | None) -> None:
        index, child, version, prev = leaf[0], leaf[1], leaf[2], leaf[7]
        chain = self.chains.get(child)
        if version != (chain.version + 1 if chain else 1):
            after = chain.version if chain else 0
            raise AuditError(f"child chain skips from v{after}", where=_where(leaf))
        if prev != (chain.leaf_hash if chain else GENESIS):
            raise AuditError(
                "per-child hash chain broken (prev does not match)", where=_where(leaf)
            )
        if node is None or node[0] != index or node[1] != digest:
            raise AuditError(
                "leaf hash differs from the stored Merkle log (audit row altered)",
                where=_where(leaf),
            )
        hexed = digest.hex()
        if chain is None:
            self.chains[child] = _Chain(version, index, hexed)
        else:
            chain.version, chain.leaf_index, chain.leaf_hash = version, index, hexed
        if index + 1 in self.checkpoint_sizes:
            self._heads_at(index + 1)

    def _heads_at(self, size: int) -> None:
        heads = [(c, ch.version, ch.leaf_index, ch.leaf_hash) for c, ch in self.chains.items()]
        heads += self.fixed_heads
        self.heads_at[size] = (len(heads), heads_root(heads))


def _check_checkpoints(
    checkpoints: dict[int, cp.Checkpoint], walk: _Walk, roots: dict[int, bytes]
) -> None:
    for size in sorted(checkpoints):
        head, where = checkpoints[size], f"checkpoint at size {size}"
        if size > walk.size:
            raise AuditError(
                f"log truncated: signed at {size} leaves, now {walk.size}", where=where
            )
        if roots[size] != head.root:
            raise AuditError("recomputed root differs from the signed checkpoint", where=where)
        if walk.heads_at[size] != (head.heads_count, head.heads_root):
            raise AuditError("child heads differ from the signed checkpoint", where=where)


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
