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
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    EventSourcedLog,
    ProcessingEvent,
)
from eventsourcing.persistence import IntegrityError, JSONTranscoder
from eventsourcing.utils import Environment, EnvType, get_topic

from domain import events as ev
from domain.access import RecordViewed, access_log_id
from domain.child import ChildRecord
from domain.envelope import Envelope, EnvelopeDraft
from domain.errors import ChildErased, ChildExists, ChildNotFound, VersionConflict
from domain.retention import RetentionPolicy
from domain.transcodings import DateAsISO, RecordedByAsDict
from domain.vocabulary import DISCUSSION_OUTCOMES, Vocabulary

Clock = Callable[[], datetime]
Command = Callable[[ChildRecord, Envelope], None]
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
        for attempt in range(100):
            if attempt:
                time.sleep(0.001 * (attempt % 10))  # another read took that slot: next one
            try:
                self.save(
                    log.trigger_event(
                        user=user,
                        role=role,
                        setting=setting,
                        view=view,
                        as_of=as_of,
                        known_at=known_at,
                    )
                )
                return
            except IntegrityError:
                continue
            except Exception:
                if self.is_erased(child_id):  # the log's key is gone with the record's
                    raise ChildErased("the record was erased", field="child_id") from None
                raise
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
        cache = self.repository.cache
        if cache is None:
            return
        with suppress(KeyError):
            cache.get(child_id, evict=True)

    # --- the one way a command runs ----------------------------------------------------

    def _run(
        self, child_id: UUID, draft: EnvelopeDraft, expected_version: int | None, command: Command
    ) -> int:
        envelope = draft.seal(now=self.clock(), skew=self.skew)
        child = self.get_child(child_id)
        if expected_version is not None and child.version != expected_version:
            raise VersionConflict(expected=expected_version, actual=child.version)
        loaded = child.version
        command(self._as_it_stood(child, envelope.occurred_at), envelope)
        try:
            self.save(child)
        except IntegrityError:
            actual = self.get_child(child_id).version
            if actual == loaded:
                raise  # nobody else wrote: a real store failure, not a conflict
            raise VersionConflict(expected=loaded, actual=actual) from None
        return child.version

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

    def register_child(
        self,
        draft: EnvelopeDraft,
        *,
        given_name: str,
        family_name: str,
        date_of_birth: date | None,
        setting_id: str,
        child_id: UUID | None = None,
    ) -> UUID:
        """Open a new record; returns its random id (never derived from the child)."""
        envelope = draft.seal(now=self.clock(), skew=self.skew)
        child = ChildRecord.register(
            envelope,
            child_id=child_id or uuid4(),
            given_name=given_name,
            family_name=family_name,
            date_of_birth=date_of_birth,
            setting_id=setting_id,
        )
        try:
            self.save(child)
        except IntegrityError:
            raise ChildExists(
                "a record with this child_id already exists", field="child_id"
            ) from None
        return child.id

    def link_person(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        person_id: str,
        name: str,
        relationship: str,
        parental_responsibility: bool,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.link_person(
                e,
                person_id=person_id,
                name=name,
                relationship=relationship,
                parental_responsibility=parental_responsibility,
            ),
        )

    def enrol(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        setting_id: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id, draft, expected_version, lambda c, e: c.enrol(e, setting_id=setting_id)
        )

    def transfer(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        to_setting: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id, draft, expected_version, lambda c, e: c.transfer(e, to_setting=to_setting)
        )

    def leave(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        destination: str,
        reason: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.leave(e, destination=destination, reason=reason),
        )

    def record_observation(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        area: str,
        notes: str,
        observer: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.record_observation(e, area=area, notes=notes, observer=observer),
        )

    def assess_tracking(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        area: str,
        band: str,
        months_low: int,
        months_high: int,
        chronological_months: int,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.assess_tracking(
                e,
                area=area,
                band=band,
                months_low=months_low,
                months_high=months_high,
                chronological_months=chronological_months,
            ),
        )

    def record_progress_check(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        summary: str,
        areas_of_concern: list[str],
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.record_progress_check(
                e, summary=summary, areas_of_concern=areas_of_concern
            ),
        )

    def record_attendance(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        period_start: date,
        period_end: date,
        sessions_possible: int,
        sessions_attended: int,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.record_attendance(
                e,
                period_start=period_start,
                period_end=period_end,
                sessions_possible=sessions_possible,
                sessions_attended=sessions_attended,
            ),
        )

    def raise_concern(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        concern_id: str,
        areas: list[str],
        level: str,
        description: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.raise_concern(
                e, concern_id=concern_id, areas=areas, level=level, description=description
            ),
        )

    def hold_discussion(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        participants: list[str],
        outcome: str,
        hypothesis: str,
        evidence_needed: str,
        actions: list[str],
        key_person_view: str = "",
        senco_view: str = "",
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.hold_discussion(
                e,
                outcomes=self.discussion_outcomes,
                participants=participants,
                outcome=outcome,
                hypothesis=hypothesis,
                evidence_needed=evidence_needed,
                actions=actions,
                key_person_view=key_person_view,
                senco_view=senco_view,
            ),
        )

    def notify_parent(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        method: str,
        information_service_given: bool,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.notify_parent(
                e, method=method, information_service_given=information_service_given
            ),
        )

    def change_sen_status(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        status: str,
        need_codes: list[str],
        primary_need: str | None,
        reason: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.change_sen_status(
                e, status=status, need_codes=need_codes, primary_need=primary_need, reason=reason
            ),
        )

    def give_consent(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        consent_id: str,
        purpose: str,
        service: str,
        given_by: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.give_consent(
                e, consent_id=consent_id, purpose=purpose, service=service, given_by=given_by
            ),
        )

    def refuse_consent(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        consent_id: str,
        purpose: str,
        service: str,
        refused_by: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.refuse_consent(
                e, consent_id=consent_id, purpose=purpose, service=service, refused_by=refused_by
            ),
        )

    def withdraw_consent(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        consent_id: str,
        withdrawn_by: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.withdraw_consent(e, consent_id=consent_id, withdrawn_by=withdrawn_by),
        )

    def share(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        share_id: str,
        shared_with: str,
        consent_id: str,
        expected_version: int | None = None,
    ) -> int:
        """Share the record with an outside body under a live consent (RecordShared)."""
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.share(
                e, share_id=share_id, shared_with=shared_with, consent_id=consent_id
            ),
        )

    def withdraw_share(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        share_id: str,
        reason: str,
        expected_version: int | None = None,
    ) -> int:
        """End a share (ShareWithdrawn)."""
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.withdraw_share(e, share_id=share_id, reason=reason),
        )

    def issue_plan(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        plan_id: str,
        start_date: date,
        review_date: date,
        outcomes: list[dict[str, Any]],
        provision_ids: list[str],
        shared_with_parents: bool,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.issue_plan(
                e,
                plan_id=plan_id,
                start_date=start_date,
                review_date=review_date,
                outcomes=outcomes,
                provision_ids=provision_ids,
                shared_with_parents=shared_with_parents,
            ),
        )

    def revise_plan(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        plan_id: str,
        review_date: date,
        outcomes: list[dict[str, Any]],
        provision_ids: list[str],
        reason: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.revise_plan(
                e,
                plan_id=plan_id,
                review_date=review_date,
                outcomes=outcomes,
                provision_ids=provision_ids,
                reason=reason,
            ),
        )

    def start_provision(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        provision_id: str,
        description: str,
        area: str,
        start_date: date,
        group_size: int,
        session_minutes: int,
        sessions_per_week: int,
        weeks: int,
        staff_grade: str,
        cost: Decimal | str,
        funding_source: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.start_provision(
                e,
                provision_id=provision_id,
                description=description,
                area=area,
                start_date=start_date,
                group_size=group_size,
                session_minutes=session_minutes,
                sessions_per_week=sessions_per_week,
                weeks=weeks,
                staff_grade=staff_grade,
                cost=cost,
                funding_source=funding_source,
            ),
        )

    def change_provision(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        provision_id: str,
        changes: dict[str, Any],
        reason: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.change_provision(
                e, provision_id=provision_id, changes=changes, reason=reason
            ),
        )

    def end_provision(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        provision_id: str,
        end_date: date,
        reason: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.end_provision(
                e, provision_id=provision_id, end_date=end_date, reason=reason
            ),
        )

    def deliver_session(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        provision_id: str,
        session_date: date,
        minutes: int,
        notes: str = "",
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.deliver_session(
                e,
                provision_id=provision_id,
                session_date=session_date,
                minutes=minutes,
                notes=notes,
            ),
        )

    def miss_session(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        provision_id: str,
        session_date: date,
        reason: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.miss_session(
                e, provision_id=provision_id, session_date=session_date, reason=reason
            ),
        )

    def hold_review(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        plan_id: str,
        outcome_progress: list[dict[str, Any]],
        provision_impact: list[dict[str, Any]],
        reflection: str,
        decision: str,
        next_review_date: date | None,
        attendees: list[str],
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.hold_review(
                e,
                plan_id=plan_id,
                outcome_progress=outcome_progress,
                provision_impact=provision_impact,
                reflection=reflection,
                decision=decision,
                next_review_date=next_review_date,
                attendees=attendees,
            ),
        )

    def make_referral(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        referral_id: str,
        service: str,
        reason: str,
        consent_id: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.make_referral(
                e, referral_id=referral_id, service=service, reason=reason, consent_id=consent_id
            ),
        )

    def record_contact(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        professional: str,
        professional_role: str,
        service: str,
        kind: str,
        summary: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.record_contact(
                e,
                professional=professional,
                professional_role=professional_role,
                service=service,
                kind=kind,
                summary=summary,
            ),
        )

    def receive_report(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        report_id: str,
        author: str,
        author_role: str,
        service: str,
        report_date: date,
        summary: str,
        recommendations: list[dict[str, Any]],
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.receive_report(
                e,
                report_id=report_id,
                author=author,
                author_role=author_role,
                service=service,
                report_date=report_date,
                summary=summary,
                recommendations=recommendations,
            ),
        )

    def action_recommendation(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        report_id: str,
        recommendation_id: str,
        action: str,
        detail: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.action_recommendation(
                e,
                report_id=report_id,
                recommendation_id=recommendation_id,
                action=action,
                detail=detail,
            ),
        )

    def record_parent_view(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        person_id: str,
        view: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.record_parent_view(e, person_id=person_id, view=view),
        )

    def record_child_view(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        view: str,
        method: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.record_child_view(e, view=view, method=method),
        )

    def submit_ehc_request(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        request_date: date,
        local_authority: str,
        reason: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.submit_ehc_request(
                e, request_date=request_date, local_authority=local_authority, reason=reason
            ),
        )

    def record_ehc_decision(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        decision: str,
        decision_date: date,
        reason: str = "",
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.record_ehc_decision(
                e, decision=decision, decision_date=decision_date, reason=reason
            ),
        )

    def receive_ehc_advice(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        advice_from: str,
        advice_kind: str,
        summary: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.receive_ehc_advice(
                e, advice_from=advice_from, advice_kind=advice_kind, summary=summary
            ),
        )

    def issue_ehc_draft(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        draft_date: date,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.issue_ehc_draft(e, draft_date=draft_date),
        )

    def finalise_ehc_plan(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        decision: str,
        final_date: date,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.finalise_ehc_plan(e, decision=decision, final_date=final_date),
        )

    def hold_ehc_annual_review(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        review_date: date,
        summary: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.hold_ehc_annual_review(e, review_date=review_date, summary=summary),
        )

    def note_export(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        bundle_sha256: str,
        as_of: date | None,
        known_at: str | None,
        purpose: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.note_export(
                e, bundle_sha256=bundle_sha256, as_of=as_of, known_at=known_at, purpose=purpose
            ),
        )

    def correct(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        supersedes: int,
        statement: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.correct(e, supersedes=supersedes, statement=statement),
        )

    def mark_mistaken(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        target_version: int,
        reason: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.mark_mistaken(e, target_version=target_version, reason=reason),
        )

    def dispute(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        target_version: int,
        person_id: str,
        comment: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id,
            draft,
            expected_version,
            lambda c, e: c.dispute(
                e, target_version=target_version, person_id=person_id, comment=comment
            ),
        )

    def restrict_processing(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        reason: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id, draft, expected_version, lambda c, e: c.restrict_processing(e, reason=reason)
        )

    def lift_restriction(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        reason: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id, draft, expected_version, lambda c, e: c.lift_restriction(e, reason=reason)
        )

    def place_legal_hold(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        reason: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id, draft, expected_version, lambda c, e: c.place_legal_hold(e, reason=reason)
        )

    def lift_legal_hold(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        reason: str,
        expected_version: int | None = None,
    ) -> int:
        return self._run(
            child_id, draft, expected_version, lambda c, e: c.lift_legal_hold(e, reason=reason)
        )

    def erase(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        reason: str,
        expected_version: int | None = None,
    ) -> int:
        """Record the erasure (refused under a legal hold). The composition root then
        destroys the data keys of `stored_ids`, which makes every event unreadable."""
        return self._run(child_id, draft, expected_version, lambda c, e: c.erase(e, reason=reason))

    def dispose(
        self,
        child_id: UUID,
        draft: EnvelopeDraft,
        *,
        policy: RetentionPolicy,
        expected_version: int | None = None,
    ) -> int:
        """Record the disposal at the end of the retention period (refused under a legal
        hold or before the date); the composition root then destroys the keys."""
        return self._run(
            child_id, draft, expected_version, lambda c, e: c.dispose(e, policy=policy)
        )
