"""Which key store belongs to which event store, so that neither is ever silently replaced.

A random installation id is recorded in both at creation: in the event store's
`ledger_installation` row and in the key store's `installation` row. A key store is used
with an event store only when

- both carry the same id; or
- one side carries none yet (made before binding existed, or a crash between the two
  writes) and the key store holds the key, or the tombstone, of the newest record that was
  written encrypted; or
- the key store is missing or empty and the event store holds no encrypted event (a new
  installation): only then is a key store made.

Otherwise the store is refused (`KeyStoreRefused`, naming the file) before anything is
created or written. The rule compares two ids and asks the key store one question (does it
know this record?), so it holds unchanged when the key store moves into PostgreSQL beside
the events: only where each id is kept changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from uuid import UUID

from ledger.framing import MAGIC_SEALED
from ledger.key_errors import KeyStoreRefused
from ledger.keystore import KeyStore
from ledger.keystore_file import KeyStoreFile
from ledger.keystore_pg import PostgresKeys, PostgresKeyStore
from ledger.log import LedgerBackend
from ledger.sql import create_tables, table_exists

TABLE = "ledger_installation"


class KeyHolder(Protocol):
    """What pairing asks of a key store (read-write or read-only)."""

    def installation(self) -> str | None: ...
    def is_empty(self) -> bool: ...
    def knows(self, originator: str) -> bool: ...
    def known_originators(self) -> set[str]: ...


def event_store_installation(backend: LedgerBackend) -> str | None:
    """The installation id recorded in the event store (None: not bound yet)."""
    with backend.ledger_cursor() as cursor:
        if not table_exists(cursor, backend.tables, TABLE):
            return None
        cursor.execute(backend.tables.q(f"SELECT installation_id FROM {{p}}{TABLE} WHERE id = 1"))
        row = cursor.fetchone()
        return None if row is None else str(row["installation_id"])


def bind_event_store(backend: LedgerBackend, installation: str) -> str:
    """Record the installation id in the event store unless one is there; returns the one
    recorded."""
    tables = backend.tables
    with backend.ledger_cursor(commit=True) as cursor:
        create_tables(
            cursor,
            tables,
            [
                f"CREATE TABLE IF NOT EXISTS {{p}}{TABLE} (id INTEGER PRIMARY KEY "
                "CHECK (id = 1), installation_id TEXT NOT NULL, bound_at TEXT NOT NULL)"
            ],
        )
        cursor.execute(
            tables.q(
                f"INSERT INTO {{p}}{TABLE} (id, installation_id, bound_at) VALUES (1, ?, ?) "
                "ON CONFLICT (id) DO NOTHING"
            ),
            [installation, datetime.now(tz=UTC).isoformat()],
        )
        cursor.execute(tables.q(f"SELECT installation_id FROM {{p}}{TABLE} WHERE id = 1"))
        return str(cursor.fetchone()["installation_id"])


def newest_sealed_originator(backend: LedgerBackend) -> str | None:
    """The record (originator) of the newest event written encrypted, or None if no event
    is encrypted (an empty store, or one written before per-child encryption)."""
    tables = backend.tables
    prefix = "substr(state, 1, 3)" if tables.placeholder == "?" else "substring(state, 1, 3)"
    with backend.ledger_cursor() as cursor:
        cursor.execute(
            tables.q(
                f"SELECT originator_id FROM {tables.events_table} WHERE {prefix} = ? "
                f"ORDER BY {tables.events_order} DESC LIMIT 1"
            ),
            [MAGIC_SEALED],
        )
        row = cursor.fetchone()
    return None if row is None else str(UUID(str(row["originator_id"])))


def refusal(backend: LedgerBackend, keys: KeyHolder | None, file: Path) -> str | None:
    """Why the key store `keys` (None: missing) may not serve this event store, or None."""
    ours = event_store_installation(backend)
    theirs = keys.installation() if keys is not None else None
    if ours is not None and theirs is not None and ours != theirs:
        return (
            f"key store {file} belongs to another event store (installation {theirs[:8]}; "
            f"this event store is {ours[:8]})"
        )
    sealed = newest_sealed_originator(backend)
    if sealed is None:
        return None
    if keys is None or keys.is_empty():
        return (
            f"key store {file} is missing or empty, but the event store holds encrypted "
            "events: put the key store that belongs to it back (or restore it from a backup)"
        )
    if not keys.knows(sealed):
        return (
            f"key store {file} lacks the key of the newest encrypted record ({sealed[:8]}): "
            "it is older than the event store, or another installation's"
        )
    return None


def open_paired_key_store(
    backend: LedgerBackend, path: Path | PostgresKeys, kek_file: Path
) -> KeyStore:
    """The key store that belongs to this event store, bound to it; KeyStoreRefused
    (naming the file) if it is missing, empty, replaced or another's while encrypted
    events need it. Nothing is created or written before that check passed."""
    if isinstance(path, PostgresKeys):
        return _open_paired_in_postgres(backend, path, kek_file)
    existed = path.exists() and path.stat().st_size > 0
    if existed:
        view = KeyStoreFile(path)
        try:
            why = refusal(backend, view, path)
            existed = not view.is_empty()
        finally:
            view.close()
    else:
        why = refusal(backend, None, path)
    if why:
        raise KeyStoreRefused(why, file=str(path))
    # A key store that held keys a moment ago is never made afresh should it vanish meanwhile.
    return _bound(backend, KeyStore(path, kek_file, create=not existed))


def _bound(backend: LedgerBackend, keys: KeyStore) -> KeyStore:
    """`keys`, bound to the event store (closed if that fails)."""
    try:
        bind(backend, keys, lambda: uuid.uuid4().hex)
    except BaseException:
        keys.close()
        raise
    return keys


def _open_paired_in_postgres(
    backend: LedgerBackend, where: PostgresKeys, kek_file: Path
) -> KeyStore:
    try:
        view: PostgresKeyStore | None = PostgresKeyStore(where, kek_file, create=False, view=True)
    except KeyStoreRefused:
        view = None  # no key tables yet
    try:
        why = refusal(backend, view, Path(where.name))
        existed = view is not None and not view.is_empty()
    finally:
        if view is not None:
            view.close()
    if why:
        raise KeyStoreRefused(why, file=where.name)
    return _bound(backend, PostgresKeyStore(where, kek_file, create=not existed))


def bind(backend: LedgerBackend, keys: KeyStore, new_id: Callable[[], str]) -> str:
    """Record one installation id in both stores (the event store's, else the key
    store's, else a new one); writes only what is missing. Returns the id."""
    ours = event_store_installation(backend)
    theirs = keys.installation()
    installation = ours or theirs or new_id()
    if theirs is None:
        theirs = keys.bind(installation)
    if ours is None:
        ours = bind_event_store(backend, theirs)
    if ours != theirs:  # two first starts raced and each bound one side
        raise KeyStoreRefused(
            f"key store {keys.path} and the event store were bound to different "
            f"installations ({theirs[:8]}, {ours[:8]})",
            file=str(keys.path),
        )
    return ours


def uncovered_originators(backend: LedgerBackend, keys: KeyHolder) -> list[str]:
    """Records whose latest event is encrypted but whose data key is neither in the key
    store nor tombstoned there (erased): they cannot be read with this key store."""
    known = keys.known_originators()
    tables = backend.tables
    with backend.ledger_cursor() as cursor:
        cursor.execute(tables.q("SELECT child_id, version FROM {p}ledger_heads"))
        suspects = [
            (str(r["child_id"]), int(r["version"]))
            for r in cursor.fetchall()
            if str(r["child_id"]) not in known
        ]
        missing = []
        for child, version in sorted(suspects):
            ids = [child, UUID(child).hex] if tables.placeholder == "?" else [child, child]
            cursor.execute(
                tables.q(
                    f"SELECT state FROM {tables.events_table} WHERE "
                    "(originator_id = ? OR originator_id = ?) AND originator_version = ?"
                ),
                [*ids, version],
            )
            row = cursor.fetchone()
            if row is not None and bytes(row["state"])[:3] == MAGIC_SEALED:
                missing.append(child)
    return missing
