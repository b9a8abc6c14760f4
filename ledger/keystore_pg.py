"""The key store in PostgreSQL, beside the events: what lets several app servers share one
installation (each reads and makes keys in the same tables; none keeps a key file).

The tables are the SQLite key store's (`ledger.keystore.SCHEMA`), in their own schema
(`<events schema>_keys`, or `sendtrail_keys` beside `public`), so a role can be given the
keys without the events or the other way round. What differs from the file:

- a write transaction holds a transaction-scoped advisory lock (one per key schema)
  instead of SQLite's writer lock, so two servers never make two keys for one record;
- other servers learn of an erasure or a KEK rotation through a generation counter that
  both bump in their transaction (SQLite's `data_version` does this for the file);
- the connection is the key store's own (never a pooled event-store connection, whose
  transactions it must not join), reconnected after the server restarts;
- an erasure deletes the wrapped key; PostgreSQL keeps the deleted row's bytes in dead
  tuples until VACUUM, in the WAL until it is recycled, and in replicas' and base backups'
  copies. Those bytes open only with the KEK they were wrapped under: after erasures,
  `sendtrail keys rotate-kek` (which drops the old KEK from the file) leaves every such
  copy unopenable; `destroy` also asks for a VACUUM of the keys table where allowed.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from ledger.key_errors import KeyStoreRefused
from ledger.keystore import _GENERATIONS, SCHEMA, KeyStore
from ledger.keystore_file import KeyStoreFile

GENERATION = [
    "CREATE TABLE IF NOT EXISTS keystore_generation ("
    "id INTEGER PRIMARY KEY CHECK (id = 1), generation BIGINT NOT NULL)",
    "INSERT INTO keystore_generation (id, generation) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
]
TABLES = ("kek_versions", "keystore_state", "data_keys", "erased", "installation")


@dataclass(frozen=True)
class PostgresKeys:
    """Where a key store in PostgreSQL lives: the server and the key schema."""

    conninfo: str
    schema: str
    connect_timeout: int = 10

    @property
    def name(self) -> str:
        """How messages name it (never the password)."""
        return f"PostgreSQL schema {self.schema}"


def key_schema(events_schema: str | None) -> str:
    """The schema of the keys beside an events schema."""
    return (
        f"{events_schema}_keys"
        if events_schema and events_schema != "public"
        else ("sendtrail_keys")
    )


class _PgDb:
    """A psycopg connection spoken to in the SQLite key store's SQL (`?` placeholders,
    BLOB columns); reconnected when the server went away between transactions."""

    def __init__(self, where: PostgresKeys) -> None:
        self.where = where
        self.conn = self._connect()
        self.in_transaction = False

    def _connect(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(
            self.where.conninfo, autocommit=True, connect_timeout=self.where.connect_timeout
        )
        conn.execute(SQL("SET search_path TO {}").format(Identifier(self.where.schema)))
        return conn

    @staticmethod
    def _sql(sql: str) -> bytes:
        return sql.replace("?", "%s").replace(" BLOB ", " BYTEA ").encode()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        if (self.conn.broken or self.conn.closed) and not self.in_transaction:
            self.conn = self._connect()  # lost between transactions: nothing half-done
        if sql == "BEGIN":
            self.in_transaction = True
        elif sql in ("COMMIT", "ROLLBACK"):
            self.in_transaction = False
        return self.conn.execute(self._sql(sql), params)

    def cursor(self) -> _PgCursor:
        return _PgCursor(self)

    def close(self) -> None:
        self.conn.close()


class _PgCursor:
    def __init__(self, db: _PgDb) -> None:
        self.db = db

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.db.conn.cursor() as cursor:
            cursor.executemany(self.db._sql(sql), rows)


class PostgresKeyStore(KeyStore):
    """Data keys by originator id in PostgreSQL, wrapped under the KEK in `kek_file`."""

    STORE_ERRORS = (psycopg.Error, OSError)

    def __init__(
        self, where: PostgresKeys, kek_file: Path, *, create: bool = True, view: bool = False
    ) -> None:
        """Open the key store in `where`. With `create` false, missing tables are refused
        (KeyStoreRefused); a `view` only reads (for checking a pairing) and checks no KEK."""
        self.where = where
        self.path = Path(where.name)  # named in messages, as the file is
        self.kek_file = kek_file
        self._lock = threading.RLock()
        self._cache = {}
        self._keks = {}
        self._bound = None
        self._name = f"postgresql|{where.conninfo}|{where.schema}"
        self._generation = _GENERATIONS.get(self._name, 0)
        self._checked = time.monotonic()
        self._data_version = 0
        with self._guard():
            self._db: Any = _PgDb(where)
            try:
                if not self._has_schema():
                    if not create or view:
                        raise KeyStoreRefused(f"key store {where.name} is empty", file=where.name)
                    self._create_schema()
                if not view:
                    self._open()
                self._bound = self._installation()
                self._data_version = self._current_data_version()
            except BaseException:
                self._db.close()
                raise

    def _create_schema(self) -> None:
        self._db.execute(
            SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(self.where.schema)).as_string()
        )

    def _may_create(self) -> bool:
        row = self._db.execute(
            "SELECT has_schema_privilege(?, 'CREATE')", (self.where.schema,)
        ).fetchone()
        return bool(row[0])

    def _open(self) -> None:
        may_create = self._may_create()
        with self._lock, self._write() as db:
            if may_create:
                for statement in [*SCHEMA, *GENERATION]:
                    db.execute(statement)
            row = db.execute("SELECT active_kek FROM keystore_state WHERE id = 1").fetchone()
            if row is None:
                self._adopt_or_create_kek(db)
            else:
                self._kek(int(row[0]))

    @contextmanager
    def _write(self) -> Iterator[Any]:
        """One write transaction, serialised with every other server's by an advisory
        lock on the key schema, and checked to be still bound to the same event store."""
        self._db.execute("BEGIN")
        try:
            self._db.execute(
                "SELECT pg_advisory_xact_lock(hashtext(?))",
                (f"sendtrail-keys|{self.where.schema}",),
            )
            self._check_still_ours()
            yield self._db
        except BaseException:
            with contextlib.suppress(psycopg.Error):
                self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _check_still_ours(self) -> None:
        if self._bound is not None and self._installation() != self._bound:
            raise KeyStoreRefused(
                f"key store {self.where.name} was replaced while in use: nothing is written "
                "until the original is back and the service restarted",
                file=self.where.name,
            )

    def _has_schema(self) -> bool:
        row = self._db.execute(
            "SELECT to_regclass(?) IS NOT NULL", (f'"{self.where.schema}".keystore_state',)
        ).fetchone()
        return bool(row[0])

    def _current_data_version(self) -> int:
        row = self._db.execute("SELECT generation FROM keystore_generation WHERE id = 1").fetchone()
        return 0 if row is None else int(row[0])

    def _keys_changed(self, db: Any) -> None:
        db.execute("UPDATE keystore_generation SET generation = generation + 1 WHERE id = 1")

    def destroy(self, originator_ids: Sequence[UUID]) -> int:
        destroyed = super().destroy(originator_ids)
        # Dead tuples hold the deleted wrapped keys until vacuumed; ask for it now where this
        # role may (the owner's autovacuum does it otherwise).
        with self._lock, contextlib.suppress(psycopg.Error):
            self._db.execute("VACUUM data_keys")
        return destroyed


class PostgresKeyView(PostgresKeyStore):
    """A read-only look at a key store in PostgreSQL (no KEK needed), as `KeyStoreFile`
    is for the file: for audits, backups and restores."""

    def __init__(self, where: PostgresKeys) -> None:
        super().__init__(where, Path("/nonexistent-kek"), create=False, view=True)

    def kek_versions_needed(self) -> list[int]:
        """The KEK versions that wrap a data key here, and the active one."""
        with self._lock, self._guard():
            rows = self._db.execute(
                "SELECT DISTINCT kek_version FROM data_keys "
                "UNION SELECT active_kek FROM keystore_state WHERE id = 1"
            ).fetchall()
            return sorted({int(r[0]) for r in rows})


def open_key_view(where: Path | PostgresKeys) -> PostgresKeyView | KeyStoreFile | None:
    """A read-only view of the key store at `where`; None if there is none (no file, an
    empty file, or no key tables)."""
    if isinstance(where, PostgresKeys):
        try:
            return PostgresKeyView(where)
        except KeyStoreRefused:
            return None
    if where.exists() and where.stat().st_size > 0:
        return KeyStoreFile(where)
    return None
