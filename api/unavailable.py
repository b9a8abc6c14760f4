"""Storage and key faults as HTTP answers: 503 with Retry-After, saying what, never whose.

A full disk, an unreachable PostgreSQL, a read-only folder, a damaged or replaced key
store, a KEK file gone: none is the client's fault nor a bug, and retrying later may
work, so each is "503 Service Unavailable" with a `Retry-After`, and the detail names the
cause and the file (its name only), never a path or a record's content. Nothing was
stored: every write is one transaction (and a key store write is refused before it starts).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import psycopg
from eventsourcing.persistence import PersistenceError

from ledger.faults import DAMAGED, classify
from ledger.key_errors import (
    DataKeyMissing,
    KekError,
    KeyStoreFault,
    KeyStoreUnavailable,
    PayloadRejected,
    PrivacyError,
)
from ledger.keyless import StoreUnavailable

# What the app registers a 503 handler for (an erased record's key is answered 410 by
# the domain before any of these reaches the edge).
FAULTS: tuple[type[Exception], ...] = (
    PersistenceError,
    sqlite3.Error,
    psycopg.Error,
    PrivacyError,
    StoreUnavailable,
)
KEY_RETRY_SECONDS = 300


@dataclass(frozen=True)
class Unavailable:
    """A problem+json 503: `code` for its type URI, `detail` for people, `retry_after`."""

    code: str
    detail: str
    retry_after: int


def unavailable(error: BaseException) -> Unavailable | None:
    """The 503 for a storage or key fault; None if `error` is neither."""
    if isinstance(error, KeyStoreUnavailable):
        name = Path(error.file).name
        said = f"key store damaged: {name}" if error.cause == DAMAGED else f"{error.cause}: {name}"
        return Unavailable("key_store_unavailable", said, KEY_RETRY_SECONDS)
    if isinstance(error, KeyStoreFault):
        return Unavailable(
            "key_store_refused",
            f"the key store {Path(error.file).name} is missing, replaced or not this "
            "installation's: nothing can be read or written until it is back",
            KEY_RETRY_SECONDS,
        )
    if isinstance(error, KekError):
        return Unavailable(
            "kek_unavailable",
            "the key-encryption key file is missing or changed: nothing new can be sealed",
            KEY_RETRY_SECONDS,
        )
    if isinstance(error, DataKeyMissing | PayloadRejected):
        return Unavailable(
            "key_store_damaged",
            "a data key is missing from the key store, or a stored record fails authentication",
            KEY_RETRY_SECONDS,
        )
    if isinstance(error, StoreUnavailable):
        return Unavailable("storage_unavailable", error.cause, error.retry_after)
    fault = classify(error)
    if fault is None:
        return None
    return Unavailable("storage_unavailable", fault.cause, fault.retry_after)
