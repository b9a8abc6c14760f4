"""A Mapper that salts each event, commits to its canonical plaintext and frames it —
sealed under the originator's own data key when a `ChildKeyCipher` is configured.

Configured by topic (MAPPER_TOPIC=ledger.mapper:CommittingMapper, and for encryption
CIPHER_TOPIC=ledger.cipher:ChildKeyCipher with KEY_STORE_PATH and KEK_FILE), so the
domain never imports the ledger. Events and snapshots go through the same mapper, so a
child's snapshots are sealed under the child's key and erasure covers them too. Clear
(ST1) frames written before encryption was configured are still read, and such a record's
next event makes its first data key (it stays partly in clear: see `api.erasure`).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any, cast
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Cipher,
    Compressor,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import get_topic, resolve_topic

from ledger.appender import StoredWithFiles
from ledger.cipher import ChildKeyCipher
from ledger.framing import SALT_KEY, FrameError, commit, frame, parse, salted, sealed_frame
from ledger.key_errors import DataKeyMissing
from ledger.transcoder import CanonicalTranscoder


def _digest(attachment: Any) -> str:
    """An attached file's SHA-256, whichever form the entry holds (a digest, or a stored
    file's description)."""
    return attachment if isinstance(attachment, str) else str(attachment["sha256"])


def _uuid(value: object) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


class CommittingMapper(Mapper[UUID]):
    """Event <-> framed stored bytes with a salted plaintext commitment."""

    def __init__(
        self,
        transcoder: Transcoder,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
    ) -> None:
        if compressor is not None:
            raise ValueError("CommittingMapper does not compress (COMPRESSOR_TOPIC)")
        if cipher is not None and not isinstance(cipher, ChildKeyCipher):
            raise ValueError("CommittingMapper needs CIPHER_TOPIC=ledger.cipher:ChildKeyCipher")
        super().__init__(transcoder, compressor, cipher)
        self.keys: ChildKeyCipher | None = cipher
        # Records read in clear (written before encryption was configured): their next
        # event may make their first data key although it is not their first event.
        self._read_in_clear: set[UUID] = set()
        # (record, version last sealed, its key): the batch being sealed.
        self._sealing: tuple[UUID, int, AESGCM] | None = None
        if not isinstance(transcoder, CanonicalTranscoder):
            raise ValueError(
                "CommittingMapper needs TRANSCODER_TOPIC=ledger.transcoder:CanonicalTranscoder"
            )
        self.canonical = transcoder

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        # One encoding, already canonical: the commitment's input and, salted, the payload.
        canonical, payload = self.canonical.canonical_and_payload(state)
        salt = secrets.token_bytes(16)
        commitment = commit(salt, canonical)
        payload = salted(payload, salt)
        topic = get_topic(type(domain_event))
        if self.keys is None:
            stored = frame(commitment, payload)
        else:
            originator = _uuid(originator_id)
            aead = self._key(originator, originator_version)
            body = self.keys.seal_with(
                aead, originator, originator_version, topic, commitment, payload
            )
            stored = sealed_frame(commitment, body)
        files = tuple(_digest(a) for a in getattr(domain_event, "attachments", None) or ())
        if files:
            return StoredWithFiles(
                originator_id=originator_id,
                originator_version=originator_version,
                topic=topic,
                state=stored,
                files=files,
            )
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=topic,
            state=stored,
        )

    def prepare_first_keys(self, originator_ids: Sequence[UUID]) -> None:
        """Make the first data keys of several new records at once, before their first
        events are sealed (see `KeyStore.create_keys`)."""
        if self.keys is not None:
            self.keys.keys.create_keys([_uuid(o) for o in originator_ids])

    def _key(self, originator: UUID, version: int) -> AESGCM:
        """The record's data key, looked up once for a run of its consecutive versions
        (eventsourcing hands the mapper a batch one event at a time)."""
        if self.keys is None:
            raise DataKeyMissing("no key store is configured")
        last = self._sealing
        if last is not None and last[0] == originator and last[1] == version - 1:
            aead = last[2]
        else:
            aead = self.keys.key_for(
                originator, version, may_create=originator in self._read_in_clear
            )
        self._sealing = (originator, version, aead)
        return aead

    def payload(self, stored_event: StoredEvent) -> bytes:
        """The plaintext payload JSON (salt included) of a stored event of either frame.

        Raises MapperDeserialisationError for bytes that are not a frame, and a typed
        `ledger.key_errors.PrivacyError` when a sealed payload cannot be opened."""
        try:
            parsed = parse(stored_event.state)
        except FrameError as error:
            raise MapperDeserialisationError(
                f"cannot read stored event version {stored_event.originator_version}: {error}"
            ) from None
        if not parsed.sealed:
            if self.keys is not None:
                self._read_in_clear.add(_uuid(stored_event.originator_id))
            return parsed.body
        if self.keys is None:
            raise DataKeyMissing("an encrypted event, but no key store is configured")
        return self.keys.open(
            _uuid(stored_event.originator_id),
            stored_event.originator_version,
            stored_event.topic,
            parsed.commitment,
            parsed.body,
        )

    def decode_state(
        self, topic: str, payload: bytes, version: int
    ) -> tuple[type[Any], dict[str, Any]]:
        """The class and the (upcast) field values of a plaintext payload: what an event's
        object is made of, less its originator id and version."""
        try:
            state: dict[str, Any] = self.transcoder.decode(payload)
        except ValueError as error:
            raise MapperDeserialisationError(
                f"cannot read stored event version {version}: {error}"
            ) from None
        state.pop(SALT_KEY, None)
        cls = resolve_topic(topic)
        class_version = getattr(cls, "class_version", 1)
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        return cls, state

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        version = stored_event.originator_version
        cls, state = self.decode_state(stored_event.topic, self.payload(stored_event), version)
        state["originator_id"] = _uuid(stored_event.originator_id)
        state["originator_version"] = version
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return cast(DomainEventProtocol[UUID], event)

    def close(self) -> None:
        """Release the key store (called by the application's close)."""
        if self.keys is not None:
            self.keys.close()
