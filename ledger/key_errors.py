"""Typed errors of per-child encryption: every way a payload can fail to open, loudly.

Messages name the originator (a random id) and the version, never plaintext or key bytes.
None of these subclass ValueError, so eventsourcing never folds them into a generic
deserialisation error: callers can tell an erased record from a tampered one.
"""

from __future__ import annotations


class PrivacyError(Exception):
    """Base of every refusal to seal or open a payload."""


class KekError(PrivacyError):
    """The key-encryption key file is missing, unreadable, unsafe, or not the one that
    wrapped the data keys in the key store."""


class DataKeyMissing(PrivacyError):
    """No data key for this originator, and it was never erased: the key store is not the
    one the events were written with (or it lost rows)."""


class DataKeyErased(PrivacyError):
    """The originator's data key was destroyed on purpose (the record was erased)."""


class PayloadRejected(PrivacyError):
    """AES-GCM authentication failed: the ciphertext was changed, moved to another
    originator, version or topic, or the key is not the one it was sealed with."""


class KeyStoreFault(PrivacyError):
    """The key store file cannot be used; `file` names it (the path as configured)."""

    def __init__(self, message: str, *, file: str) -> None:
        super().__init__(message)
        self.file = file


class KeyStoreRefused(KeyStoreFault):
    """The key store is missing, empty, replaced, or belongs to another event store, while
    encrypted events need it: using it would make records unreadable for good."""


class KeyStoreUnavailable(KeyStoreFault):
    """The key store file could not be read or written (damaged, disk full, read-only);
    `cause` says which, in `ledger.faults` words."""

    def __init__(self, message: str, *, file: str, cause: str) -> None:
        super().__init__(message, file=file)
        self.cause = cause
