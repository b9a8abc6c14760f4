"""Per-child AES-256-GCM, handed to the mapper through eventsourcing's environment.

eventsourcing's factory builds the configured cipher class with the application's
environment (`CIPHER_TOPIC=ledger.cipher:ChildKeyCipher`) and gives it to the mapper, so
the key store's location travels as two settings (KEY_STORE_PATH, KEK_FILE) and the
domain never learns that keys exist. The stock `Cipher` interface has no originator, so
`encrypt`/`decrypt` refuse: only `ledger.mapper.CommittingMapper` knows how to use this.

The key store is attached after the application is built, not opened here: whether it may
be created, and whether it belongs to these events, depends on the event store, which
eventsourcing builds after the mapper (see `ledger.pairing` and `api.bootstrap`).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Cipher
from eventsourcing.utils import Environment

from ledger.framing import NONCE_SIZE, associated_data
from ledger.key_errors import KekError, KeyStoreRefused, PayloadRejected
from ledger.keystore import KeyStore

KEY_STORE_PATH = "KEY_STORE_PATH"
KEK_FILE = "KEK_FILE"


class ChildKeyCipher(Cipher):
    """Seals and opens payloads under their originator's own data key."""

    def __init__(self, environment: Environment) -> None:
        path, kek = environment.get(KEY_STORE_PATH), environment.get(KEK_FILE)
        if not path or not kek:
            raise KekError(f"{KEY_STORE_PATH} and {KEK_FILE} must both be set")
        self.key_store_path, self.kek_file = Path(path), Path(kek)
        self._keys: KeyStore | None = None

    def attach(self, keys: KeyStore) -> None:
        """Use this key store (checked to belong to the event store by the caller)."""
        self._keys = keys

    @property
    def keys(self) -> KeyStore:
        if self._keys is None:
            raise KeyStoreRefused(
                f"key store {self.key_store_path} was not opened for this event store",
                file=str(self.key_store_path),
            )
        return self._keys

    def encrypt(self, plaintext: bytes) -> bytes:
        raise TypeError("per-child keys need the originator: use ledger.mapper:CommittingMapper")

    def decrypt(self, ciphertext: bytes) -> bytes:
        raise TypeError("per-child keys need the originator: use ledger.mapper:CommittingMapper")

    def key_for(self, originator_id: UUID, version: int, *, may_create: bool = False) -> AESGCM:
        """The originator's data key. Its first event makes it (or `may_create`); later
        ones need it, so a lost key store never quietly starts a second key for a record."""
        return self.keys.aead(originator_id, create=version == 1 or may_create)

    def seal_with(
        self,
        aead: AESGCM,
        originator_id: UUID,
        version: int,
        topic: str,
        commitment: bytes,
        payload: bytes,
    ) -> bytes:
        """nonce || ciphertext of `payload` under `aead` (see `key_for`), bound to
        (commitment, originator, version, topic)."""
        nonce = secrets.token_bytes(NONCE_SIZE)
        ad = associated_data(commitment, originator_id, version, topic)
        return nonce + aead.encrypt(nonce, payload, ad)

    def seal(
        self,
        originator_id: UUID,
        version: int,
        topic: str,
        commitment: bytes,
        payload: bytes,
        *,
        may_create: bool = False,
    ) -> bytes:
        """`seal_with` the originator's own key."""
        aead = self.key_for(originator_id, version, may_create=may_create)
        return self.seal_with(aead, originator_id, version, topic, commitment, payload)

    def open(
        self, originator_id: UUID, version: int, topic: str, commitment: bytes, body: bytes
    ) -> bytes:
        """The payload sealed in `body`, or a typed PrivacyError (never wrong bytes)."""
        aead = self.keys.aead(originator_id, create=False)
        ad = associated_data(commitment, originator_id, version, topic)
        try:
            return aead.decrypt(body[:NONCE_SIZE], body[NONCE_SIZE:], ad)
        except InvalidTag:
            raise PayloadRejected(
                f"payload of {str(originator_id)[:8]} v{version} fails authentication "
                "(changed, moved from another child, version or topic, or another key)"
            ) from None

    def close(self) -> None:
        if self._keys is not None:
            self._keys.close()
