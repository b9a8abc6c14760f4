"""The ledger's tables and the one SQL dialect difference we need (SQLite vs PostgreSQL).

Both recorders and every reader go through `Tables`, so a table name or a placeholder is
written once.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

import psycopg
from psycopg.rows import tuple_row


class Cursor(Protocol):
    """The part of a DB-API cursor we use (sqlite3 and psycopg both fit)."""

    def execute(self, query: Any, params: Any = ..., /) -> Any: ...
    def executemany(self, query: Any, params_seq: Any, /) -> Any: ...
    def fetchall(self) -> Any: ...
    def fetchone(self) -> Any: ...


Row = Mapping[str, Any]


@dataclass(frozen=True)
class Tables:
    """Table names and SQL for one backend."""

    prefix: str  # "" for SQLite, '"schema".' for PostgreSQL
    blob: str  # BLOB / BYTEA
    placeholder: str  # ? / %s
    events_table: str  # where eventsourcing keeps the stored events
    events_order: str  # the column that orders stored events by insertion

    @classmethod
    def sqlite(cls) -> Tables:
        return cls(
            prefix="",
            blob="BLOB",
            placeholder="?",
            events_table="stored_events",
            events_order="rowid",
        )

    @classmethod
    def postgres(cls, schema: str, events_table: str) -> Tables:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", schema):
            raise ValueError("schema must be a plain SQL identifier")
        return cls(
            prefix=f'"{schema}".',
            blob="BYTEA",
            placeholder="%s",
            events_table=f'"{schema}"."{events_table}"',
            events_order="notification_id",
        )

    @property
    def schema(self) -> str | None:
        """The PostgreSQL schema the tables live in (None on SQLite)."""
        return self.prefix[1:-2] if self.prefix else None

    def freeze_writers(self) -> str:
        """A statement that, inside a transaction, waits for and then holds off event
        writers, so reads of the ledger tables see one consistent state."""
        if self.placeholder == "?":
            # SQLite: any write statement takes the single writer lock.
            return "UPDATE ledger_checkpoints SET note = note WHERE size = -1"
        return f"LOCK TABLE {self.events_table} IN SHARE MODE"

    def q(self, sql: str) -> str:
        """Fill in table prefixes ({p}) and placeholders (?)."""
        return sql.replace("{p}", self.prefix).replace("?", self.placeholder)

    def create_statements(self) -> list[str]:
        # On SQLite, INTEGER PRIMARY KEY makes leaf_index the rowid and WITHOUT ROWID
        # keeps nodes and heads in their key's b-tree: one b-tree fewer per row written.
        # Stores created before keep their tables; the columns and queries are the same.
        sqlite = self.placeholder == "?"
        index_type, clustered = ("INTEGER", " WITHOUT ROWID") if sqlite else ("BIGINT", "")
        return [
            self.q(
                "CREATE TABLE IF NOT EXISTS {p}ledger_leaves ("
                f"leaf_index {index_type} PRIMARY KEY, child_id TEXT NOT NULL, "
                "version BIGINT NOT NULL, topic TEXT NOT NULL, recorded_at TEXT NOT NULL, "
                "state_sha256 TEXT NOT NULL, commitment TEXT NOT NULL, prev TEXT NOT NULL, "
                "UNIQUE (child_id, version))"
            ),
            self.q(
                "CREATE TABLE IF NOT EXISTS {p}ledger_nodes ("
                f"level INTEGER NOT NULL, idx BIGINT NOT NULL, hash {self.blob} NOT NULL, "
                f"PRIMARY KEY (level, idx)){clustered}"
            ),
            self.q(
                "CREATE TABLE IF NOT EXISTS {p}ledger_heads ("
                "child_id TEXT PRIMARY KEY, version BIGINT NOT NULL, "
                f"leaf_index BIGINT NOT NULL, leaf_hash TEXT NOT NULL){clustered}"
            ),
            self.q(
                "CREATE TABLE IF NOT EXISTS {p}ledger_checkpoints ("
                "size BIGINT PRIMARY KEY, note TEXT NOT NULL)"
            ),
            # Witnesses' cosignature lines (C2SP tlog-cosignature) of stored checkpoints.
            self.q(
                "CREATE TABLE IF NOT EXISTS {p}ledger_cosignatures ("
                "size BIGINT NOT NULL, witness TEXT NOT NULL, line TEXT NOT NULL, "
                "PRIMARY KEY (size, witness))"
            ),
            # Which entry attaches which stored file, written with the entry's event (the
            # event itself is sealed): lets a key-free audit tell attached files from
            # orphans. Deleted with the child's files when it is erased.
            self.q(
                "CREATE TABLE IF NOT EXISTS {p}document_links ("
                "child_id TEXT NOT NULL, sha256 TEXT NOT NULL, version BIGINT NOT NULL, "
                f"PRIMARY KEY (child_id, sha256, version)){clustered}"
            ),
        ]


def may_create(cursor: Cursor, tables: Tables) -> bool:
    """Whether this connection may create tables: always on SQLite; on PostgreSQL only a
    role with CREATE on the schema (the owner). An application role with only the grants
    of `sendtrail db grant` creates nothing: the owner made every table beforehand."""
    if tables.schema is None:
        return True
    cursor.execute("SELECT has_schema_privilege(%s, 'CREATE') AS may", [tables.schema])
    return bool(cursor.fetchone()["may"])


def table_exists(cursor: Cursor, tables: Tables, name: str) -> bool:
    """Whether the table `name` exists (unprefixed) in these tables' database or schema."""
    if tables.schema is None:
        cursor.execute("SELECT COUNT(*) AS found FROM sqlite_master WHERE name = ?", [name])
    else:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL AS found", [f"{tables.prefix}{name}"])
    return bool(cursor.fetchone()["found"])


def create_tables(cursor: Cursor, tables: Tables, statements: Sequence[str]) -> None:
    """Run `statements` (CREATE ... IF NOT EXISTS, with {p} and ?) if this role may create
    tables; an application role without that right relies on the owner's."""
    if may_create(cursor, tables):
        for statement in statements:
            cursor.execute(tables.q(statement))


def postgres_may_create(conninfo: str, schema: str, *, timeout: int) -> bool:
    """Whether the role of `conninfo` may create tables in `schema` (asked before
    eventsourcing's factory makes its tables). Unreachable: True, so that the store's own
    open reports the fault as it always has."""
    try:
        with psycopg.connect(conninfo, connect_timeout=timeout, autocommit=True) as conn:
            row = conn.execute("SELECT has_schema_privilege(%s, 'CREATE')", [schema]).fetchone()
    except psycopg.Error:
        return True
    return bool(row and row[0])


# Bound parameters per statement: under SQLite's default limit (32,766 since 3.32), so a
# batch of a few thousand events is one statement per table.
MAX_PARAMETERS = 32_000


def insert_rows(
    cursor: Cursor,
    tables: Tables,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
    *,
    suffix: str = "",
) -> None:
    """Insert `rows` (values in `columns` order; each column is (name, PostgreSQL type))
    with one statement: a multi-row VALUES on SQLite, an INSERT ... SELECT FROM unnest()
    of one binary array per column on PostgreSQL (a VALUES list there costs psycopg a
    parameter each: four times slower than executemany, which is twice unnest's cost)."""
    if not rows:
        return
    names = ", ".join(name for name, _ in columns)
    if tables.placeholder == "%s":
        arrays = ", ".join(f"%b::{kind}[]" for _, kind in columns)
        cursor.execute(
            f"INSERT INTO {tables.prefix}{table} ({names}) SELECT * FROM unnest({arrays}){suffix}",
            [list(column) for column in zip(*rows, strict=True)],
        )
        return
    row_marks = "(" + ", ".join("?" * len(columns)) + ")"
    per_statement = max(1, MAX_PARAMETERS // len(columns))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        cursor.execute(
            f"INSERT INTO {table} ({names}) VALUES {', '.join([row_marks] * len(chunk))}{suffix}",
            [value for row in chunk for value in row],
        )


def fetch_nodes(
    cursor: Cursor, tables: Tables, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    """Stored perfect-subtree roots for `keys`, in one query per 200 keys."""
    found: dict[tuple[int, int], bytes] = {}
    for start in range(0, len(keys), 200):
        chunk = keys[start : start + 200]
        where = " OR ".join(["(level = ? AND idx = ?)"] * len(chunk))
        params = [value for key in chunk for value in key]
        cursor.execute(
            tables.q(f"SELECT level, idx, hash FROM {{p}}ledger_nodes WHERE {where}"), params
        )
        for row in cursor.fetchall():
            found[(int(row["level"]), int(row["idx"]))] = bytes(row["hash"])
    return found


def tuple_rows(cursor: Cursor) -> Cursor:
    """The same cursor, made to return plain tuples (a third of the cost of mapping rows,
    for readers that go through every row of the ledger)."""
    raw: Any = getattr(cursor, "sqlite_cursor", cursor)  # eventsourcing wraps sqlite3's
    raw.row_factory = None if isinstance(raw, sqlite3.Cursor) else tuple_row
    return cursor


def as_bytes(value: object) -> bytes:
    """A blob as the driver gave it (bytes, or a memoryview) as bytes."""
    return value if type(value) is bytes else bytes(cast(memoryview, value))


def iter_tuples(
    cursor: Cursor,
    tables: Tables,
    sql: str,
    *,
    key: str,
    page: int = 5000,
    after: int | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Every row of `sql` (its first column must be `key`) in `key` order, as tuples, a
    page at a time (a cursor made by `tuple_rows`); only rows with `key` > `after` if given.

    Each page's query has exactly one range condition on `key`: given two (a fixed lower
    bound and the page's), SQLite searches from the fixed one and steps over every row
    before the page, so reading a table cost time in the square of its length."""
    last: Any = after
    joiner = " AND " if " WHERE " in sql else " WHERE "
    while True:
        if last is None:
            cursor.execute(tables.q(f"{sql} ORDER BY {key} LIMIT {page}"))
        else:
            cursor.execute(tables.q(f"{sql}{joiner}{key} > ? ORDER BY {key} LIMIT {page}"), [last])
        rows = cursor.fetchall()
        yield from rows
        if len(rows) < page:
            return
        last = rows[-1][0]
