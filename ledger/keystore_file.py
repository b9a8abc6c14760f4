"""The key store read without the KEK and without changing a byte.

`sendtrail audit`, `backup` and `restore` look at the key store without unwrapping any key:
which event store it belongs to, which records still hold a data key, which were erased,
and which KEK versions a copy of it needs. The file is opened read-only (`mode=ro`), so a
missing file is reported, never created.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from uuid import UUID

from ledger.faults import DAMAGED, classify
from ledger.key_errors import KeyStoreRefused, KeyStoreUnavailable


class KeyStoreFile:
    """Read-only view of a key store file (see `ledger.keystore` for its tables)."""

    def __init__(self, path: Path) -> None:
        if not path.exists() or path.stat().st_size == 0:
            raise KeyStoreRefused(f"key store {path} is missing or empty", file=str(path))
        self.path = path
        with self._guard():
            self._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            self._tables = {
                str(r[0])
                for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except (sqlite3.Error, OSError) as error:
            fault = classify(error)
            cause = fault.cause if fault else DAMAGED
            said = "key store damaged: " if cause == DAMAGED else f"{cause}: key store "
            raise KeyStoreUnavailable(
                f"{said}{self.path}", file=str(self.path), cause=cause
            ) from error

    def _rows(self, sql: str, table: str) -> list[tuple[object, ...]]:
        if table not in self._tables:
            return []
        with self._guard():
            return list(self._db.execute(sql))

    def installation(self) -> str | None:
        """The id of the event store this key store belongs to (None: not bound)."""
        rows = self._rows("SELECT installation_id FROM installation WHERE id = 1", "installation")
        return str(rows[0][0]) if rows else None

    def is_empty(self) -> bool:
        """No data key and no tombstone: it never served an event."""
        return not self._rows("SELECT 1 FROM data_keys LIMIT 1", "data_keys") and not self._rows(
            "SELECT 1 FROM erased LIMIT 1", "erased"
        )

    def with_keys(self, originator_ids: Sequence[UUID]) -> set[UUID]:
        """Those of `originator_ids` whose data key is still stored."""
        held = {str(r[0]) for r in self._rows("SELECT originator_id FROM data_keys", "data_keys")}
        return {o for o in originator_ids if str(o) in held}

    def knows(self, originator: str) -> bool:
        """Whether this originator has a data key or a tombstone here."""
        return any(
            self._rows_with(f"SELECT 1 FROM {table} WHERE originator_id = ?", table, originator)
            for table in ("data_keys", "erased")
        )

    def _rows_with(self, sql: str, table: str, value: str) -> list[tuple[object, ...]]:
        if table not in self._tables:
            return []
        with self._guard():
            return list(self._db.execute(sql, (value,)))

    def known_originators(self) -> set[str]:
        """Every originator with a data key or a tombstone (text form of the UUID)."""
        keys = self._rows("SELECT originator_id FROM data_keys", "data_keys")
        erased = self._rows("SELECT originator_id FROM erased", "erased")
        return {str(r[0]) for r in [*keys, *erased]}

    def kek_versions_needed(self) -> list[int]:
        """The KEK versions that wrap a data key here, and the active one."""
        used = self._rows("SELECT DISTINCT kek_version FROM data_keys", "data_keys")
        active = self._rows("SELECT active_kek FROM keystore_state WHERE id = 1", "keystore_state")
        return sorted({int(str(r[0])) for r in [*used, *active]})

    def close(self) -> None:
        self._db.close()


@contextmanager
def key_store_file(path: Path) -> Iterator[KeyStoreFile]:
    """A read-only key store view, closed afterwards."""
    with closing(KeyStoreFile(path)) as view:
        yield view
