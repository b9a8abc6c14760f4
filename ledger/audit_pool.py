"""Where the audit's pages of leaves are hashed: worker processes when that pays, else here.

Hashing a leaf (its stored bytes, its frame, its canonical form) takes a few microseconds
of pure Python that holds the GIL, so threads would not help; processes do, once the log is
large enough to repay starting them (a spawned worker imports only the leaf and frame
formats, about a tenth of a second). Spawned, not forked: the auditing process may hold
database pools and their threads, which a fork would copy half-alive.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager

from ledger.audit_leaves import LeafRow, PageResult, check_page

Submit = Callable[[Sequence[LeafRow], Sequence[bytes]], "Future[PageResult]"]
POOL_FROM_LEAVES = 500_000  # below this, starting and feeding processes cost more than they save


@contextmanager
def page_checker(leaves: int, workers: int | None = None) -> Iterator[Submit]:
    """A `submit(leaves, states)` that checks a page, in `workers` processes (default: one
    per core, if there are several and the log has POOL_FROM_LEAVES leaves or more)."""
    if workers is None:
        cores = os.cpu_count() or 1
        workers = cores if cores > 1 and leaves >= POOL_FROM_LEAVES else 0
    if workers <= 0:
        yield _here
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:

        def submit(page: Sequence[LeafRow], states: Sequence[bytes]) -> Future[PageResult]:
            return pool.submit(check_page, list(page), list(states))

        yield submit


def _here(page: Sequence[LeafRow], states: Sequence[bytes]) -> Future[PageResult]:
    done: Future[PageResult] = Future()
    try:
        done.set_result(check_page(page, states))
    except Exception as error:  # surfaced by .result(), as a worker's would be
        done.set_exception(error)
    return done
