"""The key store: one AES-256 data key per originator (a child's record, its access log),
wrapped by the key-encryption key (KEK), in its own SQLite file — never the event store.

Erasure destroys an originator's wrapped key and leaves a tombstone, so a later read fails
with `DataKeyErased` (not `DataKeyMissing`, which means the store is wrong) and a later
write cannot quietly start a new key. The file is kept with a rollback journal that is
deleted at each commit and `secure_delete` on, so a destroyed key is overwritten in the
file and left in no journal or WAL beside it.

Unwrapped keys are cached per process. An erasure through any key store of the same
process empties every cache on that file at once; another process's commit (its erasure,
say) is noticed through `PRAGMA data_version` within REFRESH_SECONDS.

The key store is bound to one event store (`installation`, see `ledger.pairing`). Every
write transaction first checks that the file it opened is still the one at its path and
still bound the same way, so a key store deleted, emptied or swapped while a process runs
never receives a key that would exist only in a file nobody can find again. Every new key
is wrapped only after the KEK file has been read again and found to hold the active KEK:
a KEK that exists only in memory wraps nothing. SQLite failures surface as
`KeyStoreUnavailable` naming the file and the cause (disk full, read-only, damaged).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.faults import DAMAGED, classify
from ledger.kek import new_kek, read_keks, write_keks
from ledger.key_errors import (
    DataKeyErased,
    DataKeyMissing,
    KekError,
    KeyStoreRefused,
    KeyStoreUnavailable,
)

DATA_KEY_SIZE = 32
WRAP_NONCE_SIZE = 12
CACHE_LIMIT = 20_000
INSERT_KEY = (
    "INSERT INTO data_keys (originator_id, kek_version, wrapped, created_at) VALUES (?, ?, ?, ?)"
)
REFRESH_SECONDS = 0.05
# Per key-store file: bumped when a KeyStore of this process destroys or rewraps keys.
_GENERATIONS: dict[str, int] = {}

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS kek_versions ("
    "version INTEGER PRIMARY KEY, check_value BLOB NOT NULL, created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS keystore_state ("
    "id INTEGER PRIMARY KEY CHECK (id = 1), active_kek INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS data_keys ("
    "originator_id TEXT PRIMARY KEY, kek_version INTEGER NOT NULL, wrapped BLOB NOT NULL, "
    "created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS erased (originator_id TEXT PRIMARY KEY, erased_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS installation ("
    "id INTEGER PRIMARY KEY CHECK (id = 1), installation_id TEXT NOT NULL, bound_at TEXT NOT NULL)",
]


def check_value(kek: bytes) -> bytes:
    """Identifies a KEK without revealing it: HMAC-SHA256(kek, label)."""
    return hmac.new(kek, b"sendtrail-kek-check/1", hashlib.sha256).digest()


def _wrap_ad(originator: str, kek_version: int) -> bytes:
    # Binds a wrapped key to its row: a wrapped key copied to another child does not open.
    return f"sendtrail-data-key/1|{originator}|{kek_version}".encode()


def _now() -> str:
    return datetime.now(tz=UTC).isoformat()


def _identity(path: Path) -> tuple[int, int]:
    """Which file is at `path` (device, inode): a replaced or recreated file differs."""
    found = os.stat(path)
    return found.st_dev, found.st_ino


@dataclass(frozen=True)
class KeyStoreStatus:
    """What `sendtrail keys status` shows."""

    active_kek: int
    data_keys: int
    erased: int
    kek_versions_in_file: list[int]


class KeyStore:
    """Data keys by originator id, wrapped under the KEK in `kek_file`."""

    def __init__(self, path: Path, kek_file: Path, *, create: bool = True) -> None:
        """Open the key store at `path`; with `create` false, a missing or empty file is
        refused (KeyStoreRefused) instead of being made."""
        self.path = path
        self.kek_file = kek_file
        self._lock = threading.RLock()
        self._cache: dict[UUID, AESGCM] = {}
        self._keks: dict[int, bytes] = {}
        self._bound: str | None = None
        if not create and (not path.exists() or path.stat().st_size == 0):
            raise KeyStoreRefused(f"key store {path} is missing or empty", file=str(path))
        self._name = str(path.resolve())
        self._generation = _GENERATIONS.get(self._name, 0)
        self._checked = time.monotonic()
        with self._guard():
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():  # owner-only from the start (its journal inherits the mode)
                path.touch(mode=0o600)
            self._identity = _identity(path)
            self._db = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=30
            )
            try:
                self._db.execute("PRAGMA journal_mode = DELETE")
                self._db.execute("PRAGMA synchronous = FULL")
                self._db.execute("PRAGMA secure_delete = ON")
                if not create and not self._has_schema():
                    raise KeyStoreRefused(f"key store {path} is empty", file=str(path))
                self._open()
                self._bound = self._installation()
                self._data_version = self._current_data_version()
            except BaseException:
                self._db.close()
                raise

    # --- opening -------------------------------------------------------------------------

    # What the store's driver raises (the PostgreSQL key store says psycopg's).
    STORE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, OSError)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Storage failures as KeyStoreUnavailable, naming the store and the cause."""
        try:
            yield
        except self.STORE_ERRORS as error:
            fault = classify(error)
            cause = fault.cause if fault else DAMAGED
            said = "key store damaged: " if cause == DAMAGED else f"{cause}: key store "
            raise KeyStoreUnavailable(
                f"{said}{self.path}", file=str(self.path), cause=cause
            ) from error

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (the file's writer lock held until commit), on the file
        this key store was opened on and still bound to the same event store."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._check_still_ours()
            yield self._db
        except BaseException:
            with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already
                self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _check_still_ours(self) -> None:
        try:
            same = _identity(self.path) == self._identity
        except OSError:
            same = False
        if not same or (self._bound is not None and self._installation() != self._bound):
            raise KeyStoreRefused(
                f"key store {self.path} was removed or replaced while in use: nothing is "
                "written until the original is back and the service restarted",
                file=str(self.path),
            )

    def _has_schema(self) -> bool:
        row = self._db.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'keystore_state'"
        ).fetchone()
        return bool(row[0])

    def _open(self) -> None:
        with self._lock, self._write() as db:
            for statement in SCHEMA:
                db.execute(statement)
            row = db.execute("SELECT active_kek FROM keystore_state WHERE id = 1").fetchone()
            if row is None:
                self._adopt_or_create_kek(db)
            else:
                self._kek(int(row[0]))  # fails loudly now, not at the first read

    def _adopt_or_create_kek(self, db: sqlite3.Connection) -> None:
        # A fresh key store: take the KEK file's newest version, or make the first KEK.
        # The file is written before this transaction commits, so a crash in between
        # leaves a file that the next start adopts.
        if self.kek_file.exists():
            keks = read_keks(self.kek_file)
        else:
            keks = {1: new_kek()}
            write_keks(self.kek_file, keks)
        version = max(keks)
        db.execute(
            "INSERT INTO kek_versions (version, check_value, created_at) VALUES (?, ?, ?)",
            (version, check_value(keks[version]), _now()),
        )
        db.execute("INSERT INTO keystore_state (id, active_kek) VALUES (1, ?)", (version,))
        self._keks = {version: keks[version]}

    def _kek(self, version: int) -> bytes:
        """The KEK of `version`, checked against the key store (rereads the file once)."""
        if version not in self._keks:
            self._keks = read_keks(self.kek_file)
        kek = self._keks.get(version)
        if kek is None:
            raise KekError(
                f"KEK file {self.kek_file.name} lacks version {version}, which wraps data keys"
            )
        row = self._db.execute(
            "SELECT check_value FROM kek_versions WHERE version = ?", (version,)
        ).fetchone()
        if row is None or not hmac.compare_digest(bytes(row[0]), check_value(kek)):
            raise KekError(
                f"KEK file {self.kek_file.name} does not match this key store (wrong KEK)"
            )
        return kek

    def _active(self) -> int:
        row = self._db.execute("SELECT active_kek FROM keystore_state WHERE id = 1").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._cache.clear()
            self._db.close()

    # --- data keys -----------------------------------------------------------------------

    def _current_data_version(self) -> int:
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def _refresh(self) -> None:
        # Forget unwrapped keys when a key store in this process destroyed or rewrapped
        # keys (at once), or when another connection committed (looked at every
        # REFRESH_SECONDS: asking SQLite costs more than the decryption itself).
        generation = _GENERATIONS.get(self._name, 0)
        now = time.monotonic()
        if generation != self._generation:
            self._generation = generation
            self._cache.clear()
        if now - self._checked < REFRESH_SECONDS:
            return
        self._checked = now
        version = self._current_data_version()
        if version != self._data_version:
            self._data_version = version
            self._cache.clear()

    def _keys_changed(self, db: Any) -> None:
        """Inside a write that destroyed or rewrapped keys: tell other processes (SQLite
        tells them by itself, through `data_version`)."""

    def _bump(self) -> None:
        """Tell the other key stores of this process that keys changed."""
        _GENERATIONS[self._name] = _GENERATIONS.get(self._name, 0) + 1
        self._generation = _GENERATIONS[self._name]
        self._data_version = self._current_data_version()

    def _wrap(self, originator: str, key: bytes, kek_version: int) -> bytes:
        nonce = secrets.token_bytes(WRAP_NONCE_SIZE)
        sealed = AESGCM(self._kek(kek_version)).encrypt(
            nonce, key, _wrap_ad(originator, kek_version)
        )
        return nonce + sealed

    def _unwrap(self, originator: str, kek_version: int, wrapped: bytes) -> bytes:
        try:
            return AESGCM(self._kek(kek_version)).decrypt(
                wrapped[:WRAP_NONCE_SIZE],
                wrapped[WRAP_NONCE_SIZE:],
                _wrap_ad(originator, kek_version),
            )
        except InvalidTag:
            raise KekError(
                f"the data key of {originator[:8]} does not open with KEK version "
                f"{kek_version} (wrong KEK, or the wrapped key was changed or moved)"
            ) from None

    def aead(self, originator_id: UUID, *, create: bool) -> AESGCM:
        """The AES-GCM of an originator's data key. With `create`, a first key is made
        (only for an originator's first event: a missing key later is an error)."""
        with self._lock:
            self._refresh()
            cached = self._cache.get(originator_id)
            if cached is not None:
                return cached
            with self._guard():
                key = self._key_for(originator_id, create=create)
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            aead = self._cache[originator_id] = AESGCM(key)
            return aead

    def _key_for(self, originator_id: UUID, *, create: bool) -> bytes:
        originator = str(originator_id)
        key = self._stored_key(originator)
        if key is not None:
            return key
        if self._is_erased(originator):
            raise DataKeyErased(f"the data key of {originator[:8]} was destroyed (erased)")
        if not create:
            raise DataKeyMissing(f"no data key for {originator[:8]} in key store {self.path}")
        return self._create_key(originator)

    def _stored_key(self, originator: str) -> bytes | None:
        row = self._db.execute(
            "SELECT kek_version, wrapped FROM data_keys WHERE originator_id = ?", (originator,)
        ).fetchone()
        return None if row is None else self._unwrap(originator, int(row[0]), bytes(row[1]))

    def _is_erased(self, originator: str) -> bool:
        found = self._db.execute(
            "SELECT 1 FROM erased WHERE originator_id = ?", (originator,)
        ).fetchone()
        return found is not None

    def _create_key(self, originator: str) -> bytes:
        with self._write() as db:
            # Checked again under the writer lock: another process may have made it (or
            # erased it) since we looked.
            existing = self._stored_key(originator)
            if existing is not None:
                return existing
            if self._is_erased(originator):
                raise DataKeyErased(f"the data key of {originator[:8]} was destroyed (erased)")
            version = self._active()
            self._check_kek_file(version)
            key, row = self._new_key(originator, version)
            db.execute(INSERT_KEY, row)
        self._data_version = self._current_data_version()
        return key

    def _new_key(self, originator: str, version: int) -> tuple[bytes, tuple[Any, ...]]:
        """A fresh data key and its `data_keys` row, wrapped under KEK `version`."""
        key = secrets.token_bytes(DATA_KEY_SIZE)
        return key, (originator, version, self._wrap(originator, key, version), _now())

    def create_keys(self, originator_ids: Sequence[UUID]) -> None:
        """First data keys for several new records in one write transaction (an import, a
        bulk registration): one durable commit instead of one each. Records that already
        have a key, or were erased, are left to `aead`, which decides as it always does."""
        with self._lock:
            self._refresh()
            wanted = [o for o in dict.fromkeys(originator_ids) if o not in self._cache]
            if len(wanted) < 2:
                return  # one key: the ordinary path is the same single commit
            made: dict[UUID, bytes] = {}
            with self._guard(), self._write() as db:
                version = self._active()
                self._check_kek_file(version)
                rows = []
                for originator_id in wanted:
                    originator = str(originator_id)
                    if self._has(originator) or self._is_erased(originator):
                        continue
                    made[originator_id], row = self._new_key(originator, version)
                    rows.append(row)
                db.cursor().executemany(INSERT_KEY, rows)
            self._data_version = self._current_data_version()
            if len(self._cache) + len(made) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache.update({o: AESGCM(key) for o, key in made.items()})

    def _check_kek_file(self, version: int) -> None:
        """The KEK file, read again now, still holds the active KEK: a file deleted or
        replaced while we run must not leave new keys wrapped by a KEK held only here."""
        keks = read_keks(self.kek_file)  # KekError if the file is gone or unsafe
        kek = keks.get(version)
        expected = self._kek(version)
        if kek is None or not hmac.compare_digest(check_value(kek), check_value(expected)):
            raise KekError(
                f"KEK file {self.kek_file} changed while in use (no longer holds the active "
                f"KEK version {version}): refusing to wrap a new data key"
            )

    def has_key(self, originator_id: UUID) -> bool:
        """Whether a (wrapped) data key is stored for this originator."""
        with self._lock, self._guard():
            row = self._db.execute(
                "SELECT 1 FROM data_keys WHERE originator_id = ?", (str(originator_id),)
            ).fetchone()
            return row is not None

    def is_erased(self, originator_id: UUID) -> bool:
        """Whether this originator's key was destroyed by an erasure."""
        with self._lock, self._guard():
            return self._is_erased(str(originator_id))

    def with_keys(self, originator_ids: Sequence[UUID]) -> set[UUID]:
        """Those of `originator_ids` whose data key is still stored."""
        with self._lock, self._guard():
            return {o for o in originator_ids if self._has(str(o))}

    def _has(self, originator: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM data_keys WHERE originator_id = ?", (originator,)
        ).fetchone()
        return row is not None

    # --- the event store it belongs to ---------------------------------------------------

    def _installation(self) -> str | None:
        row = self._db.execute("SELECT installation_id FROM installation WHERE id = 1").fetchone()
        return None if row is None else str(row[0])

    def installation(self) -> str | None:
        """The id of the event store this key store belongs to (None: not bound yet)."""
        with self._lock, self._guard():
            return self._installation()

    def bind(self, installation: str) -> str:
        """Record the event store this key store belongs to, unless one is recorded;
        returns the one recorded (another process may have bound it first)."""
        with self._lock, self._guard():
            with self._write() as db:
                db.execute(
                    "INSERT INTO installation (id, installation_id, bound_at) VALUES (1, ?, ?) "
                    "ON CONFLICT (id) DO NOTHING",
                    (installation, _now()),
                )
                bound = self._installation()
            self._bound = bound
            return str(bound)

    def knows(self, originator: str) -> bool:
        """Whether this originator has a data key or a tombstone here."""
        with self._lock, self._guard():
            return self._has(originator) or self._is_erased(originator)

    def known_originators(self) -> set[str]:
        """Every originator with a data key or a tombstone (text form of the UUID)."""
        with self._lock, self._guard():
            rows = self._db.execute(
                "SELECT originator_id FROM data_keys UNION SELECT originator_id FROM erased"
            ).fetchall()
            return {str(r[0]) for r in rows}

    def is_empty(self) -> bool:
        """No data key and no tombstone: a key store that never served any event."""
        with self._lock, self._guard():
            keys = self._db.execute("SELECT 1 FROM data_keys LIMIT 1").fetchone()
            erased = self._db.execute("SELECT 1 FROM erased LIMIT 1").fetchone()
            return keys is None and erased is None

    def destroy(self, originator_ids: Sequence[UUID]) -> int:
        """Delete these originators' wrapped keys and leave tombstones, in one transaction;
        returns how many keys were destroyed. Idempotent."""
        names = [str(o) for o in originator_ids]
        with self._lock, self._guard():
            with self._write() as db:
                destroyed = 0
                for name in names:
                    destroyed += db.execute(
                        "DELETE FROM data_keys WHERE originator_id = ?", (name,)
                    ).rowcount
                    db.execute(
                        "INSERT INTO erased (originator_id, erased_at) VALUES (?, ?) "
                        "ON CONFLICT (originator_id) DO NOTHING",
                        (name, _now()),
                    )
                self._keys_changed(db)
            for originator in originator_ids:
                self._cache.pop(originator, None)
            self._bump()
            return destroyed

    # --- the KEK -------------------------------------------------------------------------

    def rotate_kek(self) -> int:
        """Rewrap every data key under a new KEK; returns its version. Events are untouched.

        Crash-safe: (1) the new KEK is added to the KEK file beside the old ones; (2) in
        one key-store transaction every key is rewrapped and the new version made active;
        (3) only then are the old KEKs dropped from the file. A crash before (2) commits
        leaves everything under the old KEK, which is still in the file; after it, under
        the new one, which is already in the file.
        """
        with self._lock, self._guard():
            keks = read_keks(self.kek_file)
            active = self._active()
            used = {
                int(r[0]) for r in self._db.execute("SELECT DISTINCT kek_version FROM data_keys")
            }
            recorded = {int(r[0]) for r in self._db.execute("SELECT version FROM kek_versions")}
            version = max([*keks, *recorded]) + 1
            fresh = new_kek()
            keep = {v: keks[v] for v in used | {active} if v in keks}
            write_keks(self.kek_file, {**keep, version: fresh})
            self._keks = {**keep, version: fresh}
            with self._write() as db:
                db.execute(
                    "INSERT INTO kek_versions (version, check_value, created_at) VALUES (?, ?, ?)",
                    (version, check_value(fresh), _now()),
                )
                rows = db.execute(
                    "SELECT originator_id, kek_version, wrapped FROM data_keys"
                ).fetchall()
                db.cursor().executemany(
                    "UPDATE data_keys SET kek_version = ?, wrapped = ? WHERE originator_id = ?",
                    [
                        (version, self._wrap(o, self._unwrap(o, int(v), bytes(w)), version), o)
                        for o, v, w in rows
                    ],
                )
                db.execute("UPDATE keystore_state SET active_kek = ? WHERE id = 1", (version,))
                self._keys_changed(db)
            write_keks(self.kek_file, {version: fresh})
            self._keks = {version: fresh}
            self._bump()
            return version

    def status(self) -> KeyStoreStatus:
        with self._lock, self._guard():
            keys = int(self._db.execute("SELECT COUNT(*) FROM data_keys").fetchone()[0])
            erased = int(self._db.execute("SELECT COUNT(*) FROM erased").fetchone()[0])
            return KeyStoreStatus(self._active(), keys, erased, sorted(read_keks(self.kek_file)))
