"""Hand-built histories for view tests: commands run on an in-memory aggregate, each entry
given the record time the test chooses (as the ledger would have stamped it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import uuid4

from domain import commands as cmd
from domain.child import ChildRecord
from domain.envelope import EnvelopeDraft, RecordedBy
from domain.events import ChildEvent, ChildRegistered
from domain.vocabulary import DISCUSSION_OUTCOMES
from projections.timeline import Entry
from tests.factories import NOW, SENCO


def stamp(day: date, hour: int = 17) -> datetime:
    """A record time on `day`."""
    return datetime.combine(day, time(hour), tzinfo=UTC)


CONTEXT = cmd.Context(discussion_outcomes=DISCUSSION_OUTCOMES)


@dataclass
class Story:
    """A child's history with chosen record times (which must not run backwards)."""

    born: date = date(2022, 9, 1)
    registered: date = date(2024, 9, 2)
    entries: list[Entry] = field(default_factory=list)

    def __post_init__(self) -> None:
        envelope = EnvelopeDraft(self.registered, SENCO).seal(now=NOW, skew=timedelta(minutes=5))
        self.child = ChildRecord.register(
            envelope,
            child_id=uuid4(),
            given_name="Story",
            family_name="Fictional",
            date_of_birth=self.born,
            setting_id="test-setting",
        )
        self._collect(stamp(self.registered))

    def _collect(self, recorded: datetime) -> None:
        if self.entries and recorded < self.entries[-1].recorded_at:
            raise ValueError("record time runs forward only")
        for event in self.child.collect_events():
            assert isinstance(event, ChildEvent | ChildRegistered)
            self.entries.append(Entry(event, recorded))

    def add(
        self,
        kind: type[cmd.Command],
        day: date | datetime,
        *,
        recorded: datetime | None = None,
        by: RecordedBy = SENCO,
        basis: str = "fact",
        provenance: dict[str, Any] | None = None,
        **payload: Any,
    ) -> int:
        """Run a command that happened on `day`, recorded at `recorded` (default: that
        evening, or later if earlier entries were recorded later). Returns its version."""
        envelope = EnvelopeDraft(day, by, basis=basis, provenance=provenance).seal(
            now=NOW, skew=timedelta(minutes=5)
        )
        kind(**payload).apply(self.child, envelope, CONTEXT)
        when = recorded or max(
            stamp(envelope.occurred_on),
            self.entries[-1].recorded_at if self.entries else stamp(day),
        )
        self._collect(when)
        return self.child.version
