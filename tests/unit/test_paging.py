"""Reading a ledger table a page at a time costs work in proportion to its length.

Counted in SQLite virtual-machine steps (a progress handler), not timed: a page's query
that kept a fixed lower bound beside the page's own stepped over every row before the
page, so reading four times the rows cost about sixteen times the work."""

from __future__ import annotations

import sqlite3

import pytest

from ledger.sql import Tables, iter_tuples


def _table(rows: int) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", ((k, bytes(40)) for k in range(rows)))
    return conn


def _steps(rows: int, after: int | None) -> tuple[int, list[int]]:
    conn = _table(rows)
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    conn.set_progress_handler(count, 100)
    keys = [r[0] for r in iter_tuples(conn.cursor(), Tables.sqlite(), "SELECT k, v FROM t",
                                      key="k", page=250, after=after)]  # fmt: skip
    conn.close()
    return steps, keys


@pytest.mark.parametrize("after", [None, -1, 99])
def test_work_grows_linearly_with_the_rows_read(after: int | None) -> None:
    small, _ = _steps(4_000, after)
    large, _ = _steps(16_000, after)
    assert large < 5 * small, (small, large)  # linear: about 4x; quadratic: about 16x


def test_every_row_after_the_bound_comes_once_in_key_order() -> None:
    _, keys = _steps(1_001, 99)
    assert keys == list(range(100, 1_001))
    _, keys = _steps(1_000, None)
    assert keys == list(range(1_000))  # an exact multiple of the page: the last page empty


def test_a_where_clause_of_the_query_is_kept() -> None:
    conn = _table(2_000)
    sql = "SELECT k FROM t WHERE k % 2 = 0"
    keys = [r[0] for r in iter_tuples(conn.cursor(), Tables.sqlite(), sql, key="k", page=100,
                                      after=10)]  # fmt: skip
    assert keys == list(range(12, 2_000, 2))
