"""Per-child views on both time axes: one entry point for the CLI, the API and exports.

Every view is a pure function of the entries `admit` lets through, so "now" and any past
(as_of, known_at) use the same code, and a view of the past is exactly a replay of the
events it admits.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from datetime import date, datetime
from functools import partial
from threading import Lock
from typing import Any
from uuid import UUID

from domain.application import ChildRecords
from domain.errors import ChildNotFound
from ledger.log import Ledger
from projections.chronology import Chronology, Only, chronology
from projections.ehc_timeline import ehc_timeline
from projections.jsonable import jsonable
from projections.la_profile import BUILTIN_DIR, LoadedProfile, readiness_profile
from projections.provision_map import provision_map
from projections.readiness import readiness
from projections.support_plan import support_plan
from projections.timeline import Entry, TimelineCache, admit

BUILTIN_GENERIC: Callable[[], LoadedProfile] = partial(readiness_profile, [BUILTIN_DIR])
View = Callable[[Sequence[Entry], date], dict[str, Any]]

VIEWS: dict[str, View] = {
    "plan": lambda entries, today: support_plan(entries, today=today),
    "chronology": lambda entries, _today: chronology(entries),
    "provision-map": lambda entries, today: provision_map(entries, today=today),
    "readiness": lambda entries, today: readiness(entries, today=today),
    "ehc-timeline": lambda entries, today: ehc_timeline(entries, today=today),
}


# What an admitted set of entries is named by: the child, its last version (events are
# immutable and versions only grow, so the version names the whole history), the times
# read for and the versions withheld from the reader.
_Key = tuple[UUID, int, date | None, datetime | None, frozenset[int]]


class _Admitted:
    """One admitted set of entries and, once asked for, its chronology."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self.chronology: Chronology | None = None


class ChildViews:
    """Builds any view of a child at (as_of, known_at). The readiness view judges by the
    profile `readiness_profile` gives (read on each use; default the built-in generic).

    The entries admitted at the last few (child, version, as_of, known_at, withheld)
    asked for are kept, each with its chronology once built: paging through a long
    chronology, or reading it again before anything new is recorded, neither admits nor
    orders nor flags its entries again."""

    def __init__(
        self,
        records: ChildRecords,
        ledger: Ledger,
        *,
        readiness_profile: Callable[[], LoadedProfile] = BUILTIN_GENERIC,
        kept: int = 32,
    ) -> None:
        self.records = records
        self.timeline = TimelineCache(records, ledger)
        self.readiness_profile = readiness_profile
        self.kept = kept
        self._admitted: OrderedDict[_Key, _Admitted] = OrderedDict()
        self._lock = Lock()

    def admitted(
        self,
        child_id: UUID,
        *,
        as_of: date | None = None,
        known_at: datetime | None = None,
        withhold: AbstractSet[int] = frozenset(),
    ) -> list[Entry]:
        """The entries a view at (as_of, known_at) is built from (less `withhold`)."""
        return list(self._admit(child_id, as_of, known_at, withhold).entries)

    def _admit(
        self,
        child_id: UUID,
        as_of: date | None,
        known_at: datetime | None,
        withhold: AbstractSet[int],
    ) -> _Admitted:
        try:
            timeline = self.timeline.entries(child_id)
        except ChildNotFound:  # erased: nothing of it is kept here either
            self.forget(child_id)
            raise
        key: _Key = (child_id, timeline[-1].version, as_of, known_at, frozenset(withhold))
        with self._lock:
            found = self._admitted.get(key)
            if found is not None:
                self._admitted.move_to_end(key)
                return found
        entries = admit(timeline, as_of=as_of, known_at=known_at)
        if withhold:
            entries = [e for e in entries if e.version not in withhold]
        found = _Admitted(entries)
        with self._lock:
            found = self._admitted.setdefault(key, found)
            while len(self._admitted) > self.kept:
                self._admitted.popitem(last=False)
        return found

    @staticmethod
    def _chronology(admitted: _Admitted) -> Chronology:
        if admitted.chronology is None:  # two readers may both build it: either is kept
            admitted.chronology = Chronology(admitted.entries)
        return admitted.chronology

    def forget(self, child_id: UUID) -> None:
        """Drop everything kept of a child (after erasure)."""
        self.timeline.forget(child_id)
        with self._lock:
            for key in [k for k in self._admitted if k[0] == child_id]:
                del self._admitted[key]

    def view(
        self,
        name: str,
        child_id: UUID,
        *,
        as_of: date | None = None,
        known_at: datetime | None = None,
        withhold: AbstractSet[int] = frozenset(),
    ) -> dict[str, Any]:
        """One named view (see VIEWS), stamped with the times it was built for."""
        return self.views([name], child_id, as_of=as_of, known_at=known_at, withhold=withhold)[name]

    def views(
        self,
        names: Sequence[str],
        child_id: UUID,
        *,
        as_of: date | None = None,
        known_at: datetime | None = None,
        withhold: AbstractSet[int] = frozenset(),
    ) -> dict[str, dict[str, Any]]:
        """Several named views at the same times, from one pass of `admit`."""
        admitted = self._admit(child_id, as_of, known_at, withhold)
        entries = list(admitted.entries)
        today = as_of or self.records.clock().date()
        bodies = {
            name: self._chronology(admitted).page()
            if name == "chronology"
            else self._body(name, entries, today)
            for name in names
        }
        return {
            name: _stamped(child_id, name, today, known_at, entries, body)
            for name, body in bodies.items()
        }

    def _body(self, name: str, entries: list[Entry], today: date) -> dict[str, Any]:
        if name == "readiness":
            return readiness(entries, self.readiness_profile(), today=today)
        return VIEWS[name](entries, today)

    def chronology_page(
        self,
        child_id: UUID,
        *,
        offset: int = 0,
        limit: int | None = None,
        only: Only | None = None,
        as_of: date | None = None,
        known_at: datetime | None = None,
        withhold: AbstractSet[int] = frozenset(),
    ) -> dict[str, Any]:
        """The chronology view filtered by `only`, or one page of it: only the entries
        listed are written out."""
        admitted = self._admit(child_id, as_of, known_at, withhold)
        today = as_of or self.records.clock().date()
        page = self._chronology(admitted).page(offset=offset, limit=limit, only=only)
        return _stamped(child_id, "chronology", today, known_at, admitted.entries, page)

    def events(
        self,
        child_id: UUID,
        *,
        as_of: date | None = None,
        known_at: datetime | None = None,
        withhold: AbstractSet[int] = frozenset(),
    ) -> list[dict[str, Any]]:
        """The admitted events themselves (less `withhold`), JSON-ready, in version order."""
        return [
            {
                "version": e.version,
                "kind": e.kind,
                "topic": f"domain.events:{e.kind}",
                "recorded_at": e.recorded_at.isoformat(),
                "event": jsonable(
                    {
                        k: v
                        for k, v in vars(e.event).items()
                        if k not in ("originator_id", "originator_version")
                    }
                ),
            }
            for e in self.admitted(child_id, as_of=as_of, known_at=known_at, withhold=withhold)
        ]


def _stamped(
    child_id: UUID,
    name: str,
    today: date,
    known_at: datetime | None,
    entries: list[Entry],
    body: dict[str, Any],
) -> dict[str, Any]:
    """A view's body with the times it was built for."""
    return {
        "child_id": str(child_id),
        "view": name,
        "as_of": today.isoformat(),
        "known_at": known_at.isoformat() if known_at else None,
        "events_admitted": len(entries),
        **body,
    }
