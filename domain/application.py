"""The application service: one method per command, optimistic concurrency, snapshots.

Persistence is chosen by the `env` mapping given at construction (eventsourcing's
environment settings: PERSISTENCE_MODULE, SQLITE_DBNAME, POSTGRES_*, and the ledger's
APPLICATION_RECORDER_TOPIC / MAPPER_TOPIC). The process environment is *not* read here:
the composition root (api/bootstrap.py) builds `env` from the settings object.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from copy import deepcopy
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    EventSourcedLog,
    ProcessingEvent,
)
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording
from eventsourcing.utils import Environment, EnvType, get_topic

from domain import commands as cmd
from domain import events as ev
from domain.access import RecordViewed, access_log_id
from domain.child import ChildRecord
from domain.envelope import Envelope, EnvelopeDraft
from domain.errors import (
    ChildErased,
    ChildExists,
    ChildNotFound,
    DomainError,
    GroupRefused,
    InvalidValue,
    VersionConflict,
)
from domain.transcodings import DateAsISO, RecordedByAsDict
from domain.vocabulary import DISCUSSION_OUTCOMES, Vocabulary

Clock = Callable[[], datetime]
Judge = Callable[[ChildRecord, Envelope], None]  # a command applied to a record
Together = tuple[UUID, "cmd.Command", EnvelopeDraft, int | None]  # child, command, draft, expected
# The last event a record takes before its keys are destroyed (topics stay in clear).
ERASURES = (ev.RecordErased, ev.RetentionDisposed)
ERASURE_TOPICS = frozenset(get_topic(kind) for kind in ERASURES)


def fold(aggregate: Any, events: Iterable[Any]) -> Any:
    """Apply events in order. (eventsourcing's default projector asserts a runtime
    Protocol on every event, which cost 40% of loading a child.) A sequence that does not
    open with a child's registration (or its snapshot) is not a child's record: another
    stored sequence, such as a child's access log, is an unknown child to every caller."""
    for event in events:
        if aggregate is None and not isinstance(event, RECORD_OPENINGS):
            raise ChildNotFound("no such child", field="child_id")
        aggregate = event.mutate(aggregate)
    return aggregate


RECORD_OPENINGS = (ev.ChildRegistered, ChildRecord.Snapshot)
ACCESS_VERSIONS_KEPT = 50_000  # access logs whose last version a process remembers
CHILD_EVENTS = (ev.ChildEvent, ev.ChildRegistered)


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(tz=UTC)


class ChildRecords(Application[UUID]):
    """Records children's SEN histories as events."""

    name = "sendtrail"
    is_snapshotting_enabled = True

    def __init__(
        self,
        env: EnvType | None = None,
        *,
        clock: Clock = utc_now,
        skew: timedelta = timedelta(minutes=5),
        snapshot_interval: int = 200,
        extra_outcomes: Mapping[str, str] | None = None,
    ) -> None:
        self.clock = clock
        self.skew = skew
        self.snapshot_interval = snapshot_interval
        self.discussion_outcomes: Vocabulary = DISCUSSION_OUTCOMES.extended(extra_outcomes or {})
        # The last version of each access log this process wrote, so that the next read
        # is logged without first reading (and decrypting) the log's last entry. Another
        # writer having moved on is an IntegrityError, and the retry reads the log.
        self._access_versions: dict[UUID, int] = {}
        super().__init__(env)

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only what the composition root passes: no hidden reads of os.environ.
        values = {"IS_SNAPSHOTTING_ENABLED": "y", **dict(env or {})}
        return Environment(name, values)

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        # eventsourcing 9.5 re-reads the aggregate from the store for every event whose
        # version is a multiple of the interval: a batch of 2,000 events took 10 re-reads.
        # The saved in-memory aggregate *is* the stored state, so snapshot it once per save
        # when the save crossed an interval boundary.
        if self.snapshots is None:
            return
        crossed = {
            event.originator_id
            for event in processing_event.events
            if event.originator_version % self.snapshot_interval == 0
        }
        for child_id in crossed:
            aggregate = processing_event.aggregates.get(child_id)
            if isinstance(aggregate, ChildRecord):
                self.snapshots.put([ChildRecord.Snapshot.take(aggregate)])

    def close(self) -> None:
        """Close the store, and whatever the configured mapper holds open (a key store)."""
        super().close()
        close_mapper = getattr(self.mapper, "close", None)
        if callable(close_mapper):
            close_mapper()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(RecordedByAsDict())

    # --- reading -----------------------------------------------------------------------

    def get_child(
        self, child_id: UUID, *, version: int | None = None, read_only: bool = False
    ) -> ChildRecord:
        """The child's record (at `version`), or ChildNotFound (ChildErased once erased).
        `read_only` skips the copy of the cached record: only for callers that never call a
        command on it."""
        with self._reading(child_id):
            try:
                child: object = self.repository.get(
                    child_id,
                    version=version,
                    projector_func=fold,
                    deepcopy_from_cache=not read_only,
                )
            except AggregateNotFoundError:
                raise ChildNotFound("no such child", field="child_id") from None
        if not isinstance(child, ChildRecord):
            raise ChildNotFound("no such child", field="child_id")
        if child.status == "erased" or (version is not None and self.is_erased(child_id)):
            raise ChildErased("the record was erased", field="child_id")
        return child

    def history(self, child_id: UUID) -> list[ev.ChildEvent | ev.ChildRegistered]:
        """Every event of the child, in version order."""
        return self.events_after(child_id, 0)

    def events_after(self, child_id: UUID, after: int) -> list[ev.ChildEvent | ev.ChildRegistered]:
        """The child's events after version `after`, in version order."""
        with self._reading(child_id):
            found = list(self.events.get(child_id, gt=after or None))
        if not found and not after:
            raise ChildNotFound("no such child", field="child_id")
        if not all(isinstance(e, CHILD_EVENTS) for e in found):
            raise ChildNotFound("no such child", field="child_id")  # e.g. an access log
        if found and isinstance(found[-1], ERASURES):
            raise ChildErased("the record was erased", field="child_id")
        return found  # type: ignore[return-value]

    @contextmanager
    def _reading(self, child_id: UUID) -> Iterator[None]:
        # After erasure the payloads cannot be opened (the mapper raises its own typed
        # error, which the domain does not import): name the reason the domain's way.
        try:
            yield
        except ChildNotFound:
            raise
        except Exception:
            if self.is_erased(child_id):
                raise ChildErased("the record was erased", field="child_id") from None
            raise

    def is_erased(self, child_id: UUID) -> bool:
        """Whether the child's record ends with its erasure (the topic is stored in clear,
        so this holds after the data key is gone)."""
        last = self.recorder.select_events(child_id, desc=True, limit=1)
        return bool(last) and last[0].topic in ERASURE_TOPICS

    def child_ids(self, *, page: int = 500, include_erased: bool = False) -> Iterator[UUID]:
        """Ids of every registered child, in registration order (erased ones left out)."""
        if include_erased:
            yield from self._ids_with([ev.ChildRegistered], page)
            return
        # One pass over registrations and erasures (an erasure always comes later).
        registered: dict[UUID, None] = {}
        registration = get_topic(ev.ChildRegistered)
        for child_id, topic in self._ids_and_topics([ev.ChildRegistered, *ERASURES], page):
            if topic == registration:
                registered[child_id] = None
            else:
                registered.pop(child_id, None)
        yield from registered

    def _ids_with(self, kinds: list[type], page: int) -> Iterator[UUID]:
        for child_id, _ in self._ids_and_topics(kinds, page):
            yield child_id

    def _ids_and_topics(self, kinds: list[type], page: int) -> Iterator[tuple[UUID, str]]:
        topics = [get_topic(kind) for kind in kinds]
        start = 1
        while True:
            batch = self.recorder.select_notifications(start, page, topics=topics)
            for notification in batch:
                yield UUID(str(notification.originator_id)), notification.topic
            if len(batch) < page:
                return
            start = batch[-1].id + 1

    # --- who looked ------------------------------------------------------------------------

    def note_access(
        self,
        child_id: UUID,
        *,
        user: str,
        role: str,
        setting: str,
        view: str,
        as_of: str | None = None,
        known_at: str | None = None,
    ) -> None:
        """Append a read to the child's access log (retrying if two reads race)."""
        log = EventSourcedLog(self.events, access_log_id(child_id), RecordViewed)
        known = self._access_versions.get(child_id)
        for attempt in range(100):
            if attempt and known is None:
                time.sleep(0.001 * (attempt % 10))  # another read took that slot: next one
            elif attempt:
                known = None  # another process wrote since: read the log's end this time
            try:
                logged = log.trigger_event(
                    next_originator_version=None if known is None else known + 1,
                    user=user,
                    role=role,
                    setting=setting,
                    view=view,
                    as_of=as_of,
                    known_at=known_at,
                )
                self.save(logged)
            except IntegrityError:
                continue
            except Exception:
                if self.is_erased(child_id):  # the log's key is gone with the record's
                    raise ChildErased("the record was erased", field="child_id") from None
                raise
            if len(self._access_versions) >= ACCESS_VERSIONS_KEPT:
                self._access_versions.clear()
            self._access_versions[child_id] = int(logged.originator_version)
            return
        raise VersionConflict(expected=0, actual=0)

    def note_list_access(
        self, child_ids: Sequence[UUID], *, user: str, role: str, setting: str, view: str
    ) -> None:
        """Append one read to the access log of each child shown in a list, all in one
        transaction (retrying the whole batch if a read of one of them races)."""
        if not child_ids:
            return
        logs = [EventSourcedLog(self.events, access_log_id(c), RecordViewed) for c in child_ids]
        for attempt in range(100):
            if attempt:
                time.sleep(0.001 * (attempt % 10))
            try:
                self.save(
                    *[
                        log.trigger_event(
                            user=user,
                            role=role,
                            setting=setting,
                            view=view,
                            as_of=None,
                            known_at=None,
                        )
                        for log in logs
                    ]
                )
                return
            except IntegrityError:
                continue
        raise VersionConflict(expected=0, actual=0)

    def accesses(self, child_id: UUID) -> list[RecordViewed]:
        """Every read of the child's record, oldest first."""
        log = EventSourcedLog(self.events, access_log_id(child_id), RecordViewed)
        with self._reading(child_id):
            return list(log.get())

    # --- erasure -------------------------------------------------------------------------

    def stored_ids(self, child_id: UUID) -> list[UUID]:
        """The ids of everything stored about this child — its record and its access log —
        each sealed under a data key of its own: the keys erasure must destroy."""
        return [child_id, access_log_id(child_id)]

    def forget(self, child_id: UUID) -> None:
        """Drop the child's decoded record from this process's cache (after erasure)."""
        self._access_versions.pop(child_id, None)
        cache = self.repository.cache
        if cache is None:
            return
        with suppress(KeyError):
            cache.get(child_id, evict=True)

    # --- the one way a command runs ----------------------------------------------------

    def _run(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        expected_version: int | None,
        command: Judge,
        loaded: ChildRecord | None = None,
    ) -> int:
        child, before = self._judged(child_id, draft, expected_version, command, loaded)
        try:
            self.save(child)
        except IntegrityError:
            actual = self.get_child(child_id).version
            if actual == before:
                raise  # nobody else wrote: a real store failure, not a conflict
            raise VersionConflict(expected=before, actual=actual) from None
        return child.version

    def _judged(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        expected_version: int | None,
        command: Judge,
        loaded: ChildRecord | None,
    ) -> tuple[ChildRecord, int]:
        """The record with the command's event pending (not saved), and its version before."""
        envelope = draft.seal(now=self.clock(), skew=self.skew)
        # A caller that already loaded the record (to check who may see it) lends it: one
        # load per request. The copy is what the command changes; a stale one is caught
        # by the store's unique version, as any race is.
        child = deepcopy(loaded) if loaded is not None else self.get_child(child_id)
        if child.id != child_id:
            raise ValueError("the loaded record is another child's")
        if loaded is not None and (expected_version or 0) > child.version:
            child = self.get_child(child_id)  # written since the caller read it: read again
        if expected_version is not None and child.version != expected_version:
            raise VersionConflict(expected=expected_version, actual=child.version)
        before = child.version
        command(self._as_it_stood(child, envelope.occurred_at), envelope)
        return child, before

    def _as_it_stood(self, child: ChildRecord, occurred_at: datetime) -> ChildRecord:
        """The record as it stood at `occurred_at`, to judge a new entry of that date by
        (DOMAIN.md: rules are checked at the entry's own date): the entries that happened
        by then, in version order, on the registration. The event goes onto `child`."""
        if child.newest_is_by(occurred_at):
            return child  # nothing on the record happened later: now is then
        stood: Any = None
        for event in self.events_after(child.id, 0):
            if event.originator_version > child.version:
                break
            if stood is None:
                stood = event.mutate(None)  # the registration opens every state
            elif event.occurred_at <= occurred_at:
                event.apply(stood)  # skipping later versions: no version sequence here
        if not isinstance(stood, ChildRecord):
            raise ChildNotFound("no such child", field="child_id")
        return stood.judged_with(child)

    # --- commands ----------------------------------------------------------------------

    def register(self, command: cmd.RegisterChild, draft: EnvelopeDraft) -> UUID:
        """Open a new record; returns its random id (never derived from the child)."""
        envelope = draft.seal(now=self.clock(), skew=self.skew)
        child = ChildRecord.register(
            envelope,
            child_id=command.child_id or uuid4(),
            given_name=command.given_name,
            family_name=command.family_name,
            date_of_birth=command.date_of_birth,
            setting_id=command.setting_id,
        )
        try:
            self.save(child)
        except IntegrityError:
            raise ChildExists(
                "a record with this child_id already exists", field="child_id"
            ) from None
        return child.id

    def handle(
        self,
        child_id: UUID,
        command: cmd.Command,
        draft: EnvelopeDraft,
        *,
        expected_version: int | None = None,
        loaded: ChildRecord | None = None,
    ) -> int:
        """Run one command on the child's record: judged at the entry's own date, stored
        as one event or nothing; returns the record's new version. An erasure or disposal
        records its event here; the composition root then destroys the data keys of
        `stored_ids`, which makes every event unreadable. `loaded` is the record as the
        caller already read it (any copy: it is not changed)."""
        context = cmd.Context(discussion_outcomes=self.discussion_outcomes)
        return self._run(
            child_id, draft, expected_version, partial(command.apply, context=context), loaded
        )

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """Store a batch; the first data keys of several new records in it (an import, a
        class registered at once) are made in one key-store write beforehand."""
        new = [e.originator_id for e in processing_event.events if e.originator_version == 1]
        prepare = getattr(self.mapper, "prepare_first_keys", None)
        if len(new) > 1 and callable(prepare):
            prepare(new)
        return super()._record(processing_event)

    def handle_together(self, items: Sequence[Together]) -> list[int]:
        """Several commands, each on its own child (one session for a provision's group, a
        class's attendance), stored in one transaction or not at all: each is judged as
        `handle` judges it, and if any is refused, `GroupRefused` names every refusal by
        its position and nothing is stored. Returns each record's new version."""
        context = cmd.Context(discussion_outcomes=self.discussion_outcomes)
        judged: list[tuple[ChildRecord, int]] = []
        refusals: dict[int, DomainError] = {}
        seen: set[UUID] = set()
        for i, (child_id, command, draft, expected_version) in enumerate(items):
            if child_id in seen:
                refusals[i] = InvalidValue("a child appears twice in the group", field="child_id")
                continue
            seen.add(child_id)
            try:
                judged.append(
                    self._judged(
                        child_id,
                        draft,
                        expected_version,
                        partial(command.apply, context=context),
                        None,
                    )
                )
            except DomainError as error:
                refusals[i] = error
        if refusals:
            raise GroupRefused(refusals)
        try:
            self.save(*[child for child, _ in judged])
        except IntegrityError:
            for child, before in judged:
                actual = self.get_child(child.id).version
                if actual != before:
                    raise VersionConflict(expected=before, actual=actual) from None
            raise
        return [child.version for child, _ in judged]
