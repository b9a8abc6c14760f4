"""Where the audit's pages of leaves are hashed: in worker processes when that pays, else
in the auditing process.

Hashing a leaf (its stored bytes, its frame, its canonical form) is a few microseconds of
pure Python that holds the GIL, so threads would not help; processes do, if the stored
bytes need not travel to them: pickling a page of events through a pipe costs as much as
hashing it. So a worker reads its page itself, from the SQLite file (read-only), by leaf
index and event row id, and sends back only the leaf hashes; the auditing process reads
the small columns (ids, versions, chain links) and walks the chains meanwhile. On
PostgreSQL, and for a store held in memory, everything stays in the auditing process.
Workers are spawned, not forked: the auditing process may hold database pools and their
threads, which a fork would copy half-alive.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from ledger.audit_leaves import LeafRow, PageResult, check_page
from ledger.leaf import LEAF_COLUMNS

POOL_FROM_LEAVES = 200_000  # below this, starting the processes costs more than it saves


@dataclass(frozen=True)
class StoredPage:
    """A page as a worker finds it: leaves [first_leaf, first_leaf + count), and their
    events, the stored rows with row ids from first_row to last_row."""

    first_leaf: int
    count: int
    first_row: int
    last_row: int


class Checker:
    """Checks pages: given their rows (`here`), or by their place in the file (`there`)."""

    def __init__(self, pool: ProcessPoolExecutor | None, database: str | None) -> None:
        self.pool = pool
        self.database = database

    @property
    def reads_for_itself(self) -> bool:
        """Whether pages are read by the workers (so the auditor need not read the bytes)."""
        return self.pool is not None

    def here(self, leaves: list[LeafRow], states: list[bytes]) -> Future[PageResult]:
        done: Future[PageResult] = Future()
        try:
            done.set_result(check_page(leaves, states))
        except Exception as error:  # surfaced by .result(), as a worker's would be
            done.set_exception(error)
        return done

    def there(self, page: StoredPage) -> Future[PageResult]:
        if self.pool is None or self.database is None:
            raise RuntimeError("no worker processes to read the page")
        return self.pool.submit(check_stored, self.database, page)


@contextmanager
def page_checker(
    leaves: int, database: str | None, workers: int | None = None
) -> Iterator[Checker]:
    """A Checker: with `workers` processes reading the SQLite file `database` (default:
    one per core, for a file store with POOL_FROM_LEAVES leaves or more on a machine with
    a core to spare), else none."""
    if database is None or database == ":memory:" or "mode=memory" in database:
        workers = 0
    if workers is None:
        workers = _spare_cores() if leaves >= POOL_FROM_LEAVES else 0
    if workers <= 0:
        yield Checker(None, None)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield Checker(pool, database)


def _spare_cores() -> int:
    """Workers worth starting: one per core, if a core is idle. On a machine already busy
    the workers only compete with the auditor for the same cores (measured: slower)."""
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:
        busy = float(cores)
    return cores if cores > 1 and busy <= cores - 1 else 0


_OPEN: dict[str, sqlite3.Connection] = {}


def check_stored(database: str, page: StoredPage) -> PageResult:
    """In a worker: read the page from the SQLite file and check it."""
    conn = _OPEN.get(database)
    if conn is None:
        conn = _OPEN[database] = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    columns = ", ".join(name for name, _ in LEAF_COLUMNS)
    leaves = conn.execute(
        f"SELECT {columns} FROM ledger_leaves WHERE leaf_index >= ? AND leaf_index < ? "
        "ORDER BY leaf_index",
        (page.first_leaf, page.first_leaf + page.count),
    ).fetchall()
    states = [
        row[0]
        for row in conn.execute(
            "SELECT state FROM stored_events WHERE rowid >= ? AND rowid <= ? ORDER BY rowid",
            (page.first_row, page.last_row),
        )
    ]
    if len(leaves) != page.count or len(states) != page.count:
        raise RuntimeError("the store changed while it was audited")
    return check_page(leaves, states)
