"""A Mapper that salts each event, commits to its canonical plaintext and frames it.

Configured by topic (MAPPER_TOPIC=ledger.mapper:CommittingMapper), so the domain never
imports the ledger. The privacy work replaces the payload with per-child ciphertext in
the same frame.
"""

from __future__ import annotations

import json
import secrets
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from ledger.framing import SALT_KEY, FrameError, canonical_plaintext, commit, frame, split


class CommittingMapper(Mapper[UUID]):
    """Event <-> framed stored bytes with a salted plaintext commitment."""

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        salt = secrets.token_bytes(16)
        state[SALT_KEY] = salt.hex()
        payload = self.transcoder.encode(state)
        # Commit to the JSON the transcoder wrote (dates etc. already encoded), canonicalised.
        commitment = commit(salt, canonical_plaintext(json.loads(payload)))
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(type(domain_event)),
            state=frame(commitment, payload),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        try:
            _, payload = split(stored_event.state)
            state: dict[str, Any] = self.transcoder.decode(payload)
        except (FrameError, ValueError) as error:
            raise MapperDeserialisationError(
                f"cannot read stored event version {stored_event.originator_version}: {error}"
            ) from None
        state.pop(SALT_KEY, None)
        cls = resolve_topic(stored_event.topic)
        state["originator_id"] = (
            stored_event.originator_id
            if isinstance(stored_event.originator_id, UUID)
            else UUID(str(stored_event.originator_id))
        )
        state["originator_version"] = stored_event.originator_version
        class_version = getattr(cls, "class_version", 1)
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return cast(DomainEventProtocol[UUID], event)
