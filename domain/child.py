"""The `ChildRecord` aggregate: commands check the invariants of DOMAIN.md, then trigger
one event from `domain.events`. A refused command raises a `DomainError` before any
event is triggered, so nothing is ever half-recorded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import events as ev
from domain.corrections import replacement_values, sen_classification
from domain.envelope import Envelope
from domain.errors import (
    BeforeBirth,
    ConsentRequired,
    EhcStepOutOfOrder,
    InvalidValue,
    LegalHoldActive,
    ParentViewProtected,
    PlanInvalid,
    ProvisionClosed,
    RecordClosed,
    RetentionNotOver,
    StatusAgainstPlan,
    UnknownReference,
)
from domain.record_copy import copy_state
from domain.retention import RetentionPolicy
from domain.rules import SHORT, count, ident, money, not_before, terms, text, texts
from domain.vocabulary import (
    AREAS,
    CONCERN_LEVELS,
    CONSENT_PURPOSES,
    CONTACT_KINDS,
    EHC_CEASE_REASONS,
    EHC_DECISIONS,
    EHC_FINAL_DECISIONS,
    FUNDING_SOURCES,
    IMPACT,
    NOTIFICATION_METHODS,
    PROGRESS,
    RECOMMENDATION_ACTIONS,
    REVIEW_DECISIONS,
    STAFF_GRADES,
    Vocabulary,
)

# What a record that has left may still receive: the record about the record, views,
# late reports, and re-enrolment. An erased record receives nothing.
ALLOWED_WHEN_LEFT = frozenset(
    {
        ev.ChildEnrolled,
        ev.RecordCorrected,
        ev.EntryMarkedMistaken,
        ev.EntryDisputed,
        ev.ParentViewRecorded,
        ev.ReportReceived,
        ev.EvidenceBundleExported,
        ev.ProcessingRestricted,
        ev.ProcessingRestrictionLifted,
        ev.LegalHoldPlaced,
        ev.LegalHoldLifted,
        ev.RetentionReviewed,
        ev.RecordErased,
        ev.RetentionDisposed,
    }
)

# Entries in a parent's own words: staff can never correct them or mark them mistaken.
PARENTS_WORDS = frozenset({"ParentViewRecorded", "EntryDisputed"})

CONSENTS_TO_CONTACT = (
    "contact_professional",
    "referral",
    "share_with_health",
    "share_with_social_care",
)
CONTACT_PURPOSES = frozenset(CONSENTS_TO_CONTACT)

PROVISION_CHANGEABLE = {
    "description": str,
    "group_size": int,
    "session_minutes": int,
    "sessions_per_week": int,
    "weeks": int,
    "staff_grade": str,
    "cost": Decimal,
    "funding_source": str,
}

# The bounds of a provision's counts, the same when it starts and when it changes.
PROVISION_BOUNDS = {
    "group_size": (1, 60),
    "session_minutes": (1, 600),
    "sessions_per_week": (1, 50),
    "weeks": (1, 52),
}


def _bounded(value: int, name: str, *, where: str | None = None) -> int:
    low, high = PROVISION_BOUNDS[name]
    return count(value, where or name, low=low, high=high)


EHC_ORDER = {
    ev.EhcRequestSubmitted: ("none", "refused", "not_issued", "ceased"),
    ev.EhcDecisionRecorded: ("requested",),
    ev.EhcAdviceReceived: ("assessing",),
    ev.EhcDraftIssued: ("assessing",),
    ev.EhcPlanFinalised: ("assessing", "draft"),
    ev.EhcAnnualReviewHeld: ("plan",),
    ev.EhcPlanCeased: ("plan",),
}


class ChildRecord(Aggregate):
    """One child's SEN record: every entry an immutable event."""

    def __deepcopy__(self, memo: dict[int, Any]) -> ChildRecord:
        """The copy a command changes (see `domain.record_copy`: plain data, copied
        without `copy.deepcopy`'s per-value protocol)."""
        twin = object.__new__(type(self))
        copy_state(self, twin, memo)
        return twin

    registered_on: date | None = None  # set by the registration (absent from old snapshots)
    # The latest `occurred_at` of any entry (absent from old snapshots: None, "unknown").
    latest_occurred_at: datetime | None = None
    # The issued EHC plan in force: the version of its EhcPlanFinalised, and the stage and
    # SEN status it replaced (a mistake mark on it ends the plan and restores them).
    ehc_plan_version: int | None = None
    # The version of the latest SEN status change (a correction of it carrying values
    # changes the status now; absent from old snapshots: None).
    sen_status_version: int | None = None
    before_ehc_plan: tuple[str, str] = ("none", "N")
    # (version of the EhcPlanCeased, version of the plan it ended) while a plan is ceased.
    ehc_ceased: tuple[int, int | None] | None = None
    # The child's room and key person as the latest placement gave them ("" before any).
    room: str = ""
    key_person: str = ""
    # Each version's `occurred_at`, in version order (absent from old snapshots: None).
    occurred_ats: list[datetime] | None = None
    # Set on a record rebuilt as it stood on a new entry's date (`as_it_stood`): the whole
    # record, which holds what is about the record rather than the world (ids already used,
    # versions, erasure, legal hold, restriction) and takes the new event.
    _whole: ChildRecord | None = None

    def __init__(
        self, given_name: str, family_name: str, date_of_birth: date | None, setting_id: str
    ) -> None:
        self.given_name = given_name
        self.family_name = family_name
        self.date_of_birth = date_of_birth
        self.setting_id = setting_id
        self.status = "active"
        self.kinds: list[str] = []
        self.parent_versions: list[int] = []
        self.concern_ids: list[str] = []
        self.people: dict[str, dict[str, Any]] = {}
        self.sen_status = "N"
        self.need_codes: list[str] = []
        self.primary_need: str | None = None
        self.parent_notified = False
        self.consents: dict[str, dict[str, Any]] = {}
        self.plans: dict[str, dict[str, Any]] = {}
        self.provisions: dict[str, dict[str, Any]] = {}
        self.reports: dict[str, dict[str, Any]] = {}
        self.referrals: dict[str, dict[str, Any]] = {}
        self.ehc_stage = "none"
        self.legal_hold = False
        self.restricted = False

    # --- creation ----------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        env: Envelope,
        *,
        child_id: UUID,
        given_name: str,
        family_name: str,
        date_of_birth: date | None,
        setting_id: str,
    ) -> ChildRecord:
        """Open a record for a child in a setting."""
        given = text(given_name, "given_name", limit=SHORT)
        family = text(family_name, "family_name", limit=SHORT)
        setting = ident(setting_id, "setting_id")
        if date_of_birth is not None and env.occurred_on < date_of_birth:
            raise BeforeBirth("occurred_at is before date_of_birth", field="occurred_at")
        return cls._create(
            ev.ChildRegistered,
            id=child_id,
            given_name=given,
            family_name=family,
            date_of_birth=date_of_birth,
            setting_id=setting,
            **env.as_fields(),
        )

    # --- the state a command is judged against ---------------------------------------------

    def newest_is_by(self, occurred_at: datetime) -> bool:
        """Whether every entry of the record happened by `occurred_at`, so that the record
        as it stands now is the record as it stood then."""
        return self.latest_occurred_at is not None and self.latest_occurred_at <= occurred_at

    def judged_with(self, whole: ChildRecord) -> ChildRecord:
        """This record (rebuilt from the entries that happened by a new entry's date) set to
        judge a command against its own date, while the event goes onto `whole`."""
        self._whole = whole
        return self

    def _record_now(self) -> ChildRecord:
        """The whole record: what is about the record itself, not the world at a date."""
        return self._whole if self._whole is not None else self

    # --- the guard every command passes --------------------------------------------------

    def _record(self, event_class: type[ev.ChildEvent], env: Envelope, **payload: Any) -> None:
        if self._record_now().status == "erased":
            raise RecordClosed("the record was erased: nothing more can be recorded")
        if self.status == "left" and event_class not in ALLOWED_WHEN_LEFT:
            raise RecordClosed(
                f"the child has left the setting: {event_class.__name__} is not allowed"
            )
        if self.date_of_birth is not None and env.occurred_on < self.date_of_birth:
            raise BeforeBirth(
                "occurred_at is before the child's date of birth", field="occurred_at"
            )
        self._record_now().trigger_event(event_class, **env.as_fields(), **payload)

    def _check_unknown(self, key: str, known: dict[str, Any], field: str, what: str) -> None:
        if key not in known:
            raise UnknownReference(f"{field} names no {what} of this child", field=field)

    def _check_new(self, key: str, kind: str, field: str) -> str:
        """`key` unused among the record's `kind` (ids are the record's, whatever the date)."""
        ident(key, field)
        if key in getattr(self._record_now(), kind):
            raise InvalidValue(f"{field} is already used on this record", field=field)
        return key

    def _check_target(self, version: int, field: str, env: Envelope | None = None) -> str:
        whole = self._record_now()
        kinds = whole.kinds
        if not 1 <= version <= len(kinds):
            raise UnknownReference(f"{field} names no event of this child", field=field)
        dates = whole.occurred_ats if env is not None else None
        if (
            env is not None
            and dates is not None
            and len(dates) == len(kinds)
            and env.occurred_on < dates[version - 1].astimezone(UTC).date()
        ):
            raise InvalidValue(
                f"occurred_at must not be before the entry that {field} names "
                "(a mark cannot predate what it marks)",
                field="occurred_at",
            )
        return kinds[version - 1]

    def _parents_words(self, version: int) -> bool:
        """A parent's view or dispute, or anything a parent recorded (their corrections)."""
        whole = self._record_now()
        return whole.kinds[version - 1] in PARENTS_WORDS or version in whole.parent_versions

    def _not_after_entry(self, day: date, env: Envelope, field: str) -> date:
        """A date inside the data cannot lie after the day the entry says it happened."""
        if day > env.occurred_on:
            raise InvalidValue(f"{field} must not be after occurred_at", field=field)
        return day

    # --- who the child is ----------------------------------------------------------------

    def link_person(
        self,
        env: Envelope,
        *,
        person_id: str,
        name: str,
        relationship: str,
        parental_responsibility: bool,
    ) -> None:
        """Link a parent, carer or other person to the child."""
        self._record(
            ev.PersonLinked,
            env,
            person_id=self._check_new(person_id, "people", "person_id"),
            name=text(name, "name", limit=SHORT),
            relationship=text(relationship, "relationship", limit=SHORT),
            parental_responsibility=bool(parental_responsibility),
        )

    def enrol(self, env: Envelope, *, setting_id: str) -> None:
        """(Re-)enrol the child in a setting."""
        if self.status == "active":
            raise RecordClosed("the child is already enrolled")
        self._record(ev.ChildEnrolled, env, setting_id=ident(setting_id, "setting_id"))

    def transfer(self, env: Envelope, *, to_setting: str) -> None:
        """Move the record to another setting; the history goes with it."""
        to = ident(to_setting, "to_setting")
        if to == self.setting_id:
            raise InvalidValue("to_setting is the current setting", field="to_setting")
        self._record(ev.ChildTransferred, env, from_setting=self.setting_id, to_setting=to)

    def leave(self, env: Envelope, *, destination: str, reason: str) -> None:
        """The child left the setting; the record is kept, never deleted."""
        self._record(
            ev.ChildLeft,
            env,
            destination=text(destination, "destination", limit=SHORT, required=False),
            reason=text(reason, "reason", limit=SHORT, required=False),
        )

    def place(self, env: Envelope, *, room: str, key_person: str) -> None:
        """The child's room (class or group) and key person, from this date on."""
        self._record(
            ev.ChildPlaced,
            env,
            room=text(room, "room", limit=SHORT),
            key_person=text(key_person, "key_person", limit=SHORT, required=False),
        )

    # --- information gathered --------------------------------------------------------------

    def record_observation(self, env: Envelope, *, area: str, notes: str, observer: str) -> None:
        """An observation of the child in one area of learning."""
        self._record(
            ev.ObservationRecorded,
            env,
            area=AREAS.check(area, field_name="area"),
            notes=text(notes, "notes"),
            observer=text(observer, "observer", limit=SHORT),
        )

    def assess_tracking(
        self,
        env: Envelope,
        *,
        area: str,
        band: str,
        months_low: int,
        months_high: int,
        chronological_months: int,
    ) -> None:
        """Tracking data: the developmental band reached in one area."""
        low = count(months_low, "months_low", high=240)
        high = count(months_high, "months_high", high=240)
        if high < low:
            raise InvalidValue("months_high must not be below months_low", field="months_high")
        self._record(
            ev.TrackingAssessed,
            env,
            area=AREAS.check(area, field_name="area"),
            band=text(band, "band", limit=SHORT),
            months_low=low,
            months_high=high,
            chronological_months=count(chronological_months, "chronological_months", high=240),
        )

    def record_progress_check(
        self, env: Envelope, *, summary: str, areas_of_concern: list[str]
    ) -> None:
        """The EYFS progress check at age two."""
        self._record(
            ev.ProgressCheckAtTwoRecorded,
            env,
            summary=text(summary, "summary"),
            areas_of_concern=terms(areas_of_concern, AREAS, "areas_of_concern"),
        )

    def record_attendance(
        self,
        env: Envelope,
        *,
        period_start: date,
        period_end: date,
        sessions_possible: int,
        sessions_attended: int,
    ) -> None:
        """Attendance over a period, in sessions."""
        not_before(period_end, period_start, "period_end", "must not be before period_start")
        self._not_after_entry(period_end, env, "period_end")
        possible = count(sessions_possible, "sessions_possible", high=1000)
        attended = count(sessions_attended, "sessions_attended", high=possible)
        self._record(
            ev.AttendanceRecorded,
            env,
            period_start=period_start,
            period_end=period_end,
            sessions_possible=possible,
            sessions_attended=attended,
        )

    def raise_concern(
        self, env: Envelope, *, concern_id: str, areas: list[str], level: str, description: str
    ) -> None:
        """A concern raised by a practitioner, parent or professional."""
        areas_checked = terms(areas, AREAS, "areas")
        if not areas_checked:
            raise InvalidValue("areas must name at least one area", field="areas")
        self._record(
            ev.ConcernRaised,
            env,
            concern_id=self._check_new(concern_id, "concern_ids", "concern_id"),
            areas=areas_checked,
            level=CONCERN_LEVELS.check(level, field_name="level"),
            description=text(description, "description"),
        )

    def hold_discussion(
        self,
        env: Envelope,
        *,
        outcomes: Vocabulary,
        participants: list[str],
        outcome: str,
        hypothesis: str,
        evidence_needed: str,
        actions: list[str],
        key_person_view: str = "",
        senco_view: str = "",
    ) -> None:
        """A key person / SENCO discussion ending in one outcome of the vocabulary."""
        outcomes.check(outcome, field_name="outcome")
        kp_view = text(key_person_view, "key_person_view", required=False)
        senco = text(senco_view, "senco_view", required=False)
        if outcome == "different_views" and not (kp_view and senco):
            raise InvalidValue(
                "different_views needs both key_person_view and senco_view",
                field="key_person_view" if not kp_view else "senco_view",
            )
        people = texts(participants, "participants", limit=SHORT)
        if not people:
            raise InvalidValue("participants must name at least one person", field="participants")
        self._record(
            ev.DiscussionHeld,
            env,
            participants=people,
            outcome=outcome,
            hypothesis=text(hypothesis, "hypothesis", required=outcome != "no_current_concern"),
            evidence_needed=text(evidence_needed, "evidence_needed", required=False),
            actions=texts(actions, "actions"),
            key_person_view=kp_view,
            senco_view=senco,
        )

    # --- SEN support ---------------------------------------------------------------------

    def notify_parent(self, env: Envelope, *, method: str, information_service_given: bool) -> None:
        """Parents formally told that SEN provision is starting (CoP 6.43)."""
        self._record(
            ev.ParentNotified,
            env,
            about="sen_provision_starting",
            method=NOTIFICATION_METHODS.check(method, field_name="method"),
            information_service_given=bool(information_service_given),
        )

    def change_sen_status(
        self,
        env: Envelope,
        *,
        status: str,
        need_codes: list[str],
        primary_need: str | None,
        reason: str,
    ) -> None:
        """SEN status (N, K, E) and the DfE need codes behind it."""
        codes = sen_classification(status, need_codes, primary_need)["need_codes"]
        if status == "E" and self.ehc_stage != "plan":
            raise StatusAgainstPlan(
                "status E needs a finalised EHC plan on this record", field="status"
            )
        if status != "E" and self.ehc_stage == "plan":
            raise StatusAgainstPlan(
                "status must be E while the EHC plan issued on this record is in force "
                "(the status follows from the plan)",
                field="status",
            )
        self._record(
            ev.SenStatusChanged,
            env,
            status=status,
            need_codes=codes,
            primary_need=primary_need,
            reason=text(reason, "reason", required=False),
        )

    def give_consent(
        self, env: Envelope, *, consent_id: str, purpose: str, service: str, given_by: str
    ) -> None:
        """A parent consents to one purpose (and, for a referral, one named service)."""
        self._record(
            ev.ConsentGiven,
            env,
            consent_id=self._check_new(consent_id, "consents", "consent_id"),
            purpose=CONSENT_PURPOSES.check(purpose, field_name="purpose"),
            service=text(service, "service", limit=SHORT, required=purpose == "referral"),
            given_by=self._person(given_by, "given_by"),
        )

    def refuse_consent(
        self, env: Envelope, *, consent_id: str, purpose: str, service: str, refused_by: str
    ) -> None:
        """A parent refuses consent for one purpose."""
        self._record(
            ev.ConsentRefused,
            env,
            consent_id=self._check_new(consent_id, "consents", "consent_id"),
            purpose=CONSENT_PURPOSES.check(purpose, field_name="purpose"),
            service=text(service, "service", limit=SHORT, required=False),
            refused_by=self._person(refused_by, "refused_by"),
        )

    def withdraw_consent(self, env: Envelope, *, consent_id: str, withdrawn_by: str) -> None:
        """A consent given earlier is withdrawn."""
        self._check_unknown(consent_id, self.consents, "consent_id", "consent")
        if self.consents[consent_id]["state"] != "given":
            raise InvalidValue("consent_id is not a live consent", field="consent_id")
        self._record(
            ev.ConsentWithdrawn,
            env,
            consent_id=consent_id,
            withdrawn_by=self._person(withdrawn_by, "withdrawn_by"),
        )

    def _person(self, person_id: str, field: str) -> str:
        self._check_unknown(person_id, self.people, field, "linked person")
        return person_id

    def _outcomes(self, outcomes: list[dict[str, Any]], start: date) -> list[dict[str, Any]]:
        if not outcomes:
            raise PlanInvalid("a plan needs at least one outcome", field="outcomes")
        cleaned: list[dict[str, Any]] = []
        for i, outcome in enumerate(outcomes):
            where = f"outcomes[{i}]"
            target = outcome.get("target_date")
            if not isinstance(target, date):
                raise InvalidValue(
                    f"{where}.target_date must be a date", field=f"{where}.target_date"
                )
            not_before(target, start, f"{where}.target_date", "must not be before the plan starts")
            cleaned.append(
                {
                    "outcome_id": ident(str(outcome.get("outcome_id", "")), f"{where}.outcome_id"),
                    "description": text(
                        str(outcome.get("description", "")), f"{where}.description"
                    ),
                    "area": AREAS.check(str(outcome.get("area", "")), field_name=f"{where}.area"),
                    "target_date": target,
                }
            )
        if len({o["outcome_id"] for o in cleaned}) != len(cleaned):
            raise InvalidValue("outcome ids must be distinct", field="outcomes")
        return cleaned

    def _provision_ids(self, provision_ids: list[str]) -> list[str]:
        for pid in provision_ids:
            self._check_unknown(pid, self.provisions, "provision_ids", "provision")
        return list(dict.fromkeys(provision_ids))

    def issue_plan(
        self,
        env: Envelope,
        *,
        plan_id: str,
        start_date: date,
        review_date: date,
        outcomes: list[dict[str, Any]],
        provision_ids: list[str],
        shared_with_parents: bool,
    ) -> None:
        """An SEN support plan: measurable outcomes with target dates and a review date."""
        self._check_new(plan_id, "plans", "plan_id")
        if review_date <= start_date:
            raise PlanInvalid("review_date must be after start_date", field="review_date")
        self._record(
            ev.SupportPlanIssued,
            env,
            plan_id=plan_id,
            start_date=start_date,
            review_date=review_date,
            outcomes=self._outcomes(outcomes, start_date),
            provision_ids=self._provision_ids(provision_ids),
            shared_with_parents=bool(shared_with_parents),
        )

    def revise_plan(
        self,
        env: Envelope,
        *,
        plan_id: str,
        review_date: date,
        outcomes: list[dict[str, Any]],
        provision_ids: list[str],
        reason: str,
    ) -> None:
        """A revision of a plan (new outcomes, provisions or review date)."""
        self._check_unknown(plan_id, self.plans, "plan_id", "plan")
        start = self.plans[plan_id]["start_date"]
        if review_date <= start:
            raise PlanInvalid(
                "review_date must be after the plan's start_date", field="review_date"
            )
        self._record(
            ev.SupportPlanRevised,
            env,
            plan_id=plan_id,
            review_date=review_date,
            outcomes=self._outcomes(outcomes, start),
            provision_ids=self._provision_ids(provision_ids),
            reason=text(reason, "reason"),
        )

    def start_provision(
        self,
        env: Envelope,
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
    ) -> None:
        """An intervention or support, costed for the provision map."""
        self._record(
            ev.ProvisionStarted,
            env,
            provision_id=self._check_new(provision_id, "provisions", "provision_id"),
            description=text(description, "description", limit=2000),
            area=AREAS.check(area, field_name="area"),
            start_date=start_date,
            group_size=_bounded(group_size, "group_size"),
            session_minutes=_bounded(session_minutes, "session_minutes"),
            sessions_per_week=_bounded(sessions_per_week, "sessions_per_week"),
            weeks=_bounded(weeks, "weeks"),
            staff_grade=STAFF_GRADES.check(staff_grade, field_name="staff_grade"),
            cost=money(cost, "cost"),
            funding_source=FUNDING_SOURCES.check(funding_source, field_name="funding_source"),
        )

    def _open_provision(self, provision_id: str) -> dict[str, Any]:
        self._check_unknown(provision_id, self.provisions, "provision_id", "provision")
        provision = self.provisions[provision_id]
        if provision["end_date"] is not None:
            raise ProvisionClosed("the provision has ended", field="provision_id")
        return provision

    def change_provision(
        self, env: Envelope, *, provision_id: str, changes: dict[str, Any], reason: str
    ) -> None:
        """Change how a running provision is delivered or funded."""
        self._open_provision(provision_id)
        if not changes:
            raise InvalidValue("changes must name at least one field", field="changes")
        cleaned: dict[str, Any] = {}
        for key, value in changes.items():
            if key not in PROVISION_CHANGEABLE:
                allowed = ", ".join(sorted(PROVISION_CHANGEABLE))
                raise InvalidValue(
                    f"changes may only name these fields: {allowed}", field="changes"
                )
            if key == "cost":
                cleaned[key] = money(value, "changes.cost")
            elif key == "staff_grade":
                cleaned[key] = STAFF_GRADES.check(value, field_name="changes.staff_grade")
            elif key == "funding_source":
                cleaned[key] = FUNDING_SOURCES.check(value, field_name="changes.funding_source")
            elif key == "description":
                cleaned[key] = text(value, "changes.description", limit=2000)
            else:
                cleaned[key] = _bounded(value, key, where=f"changes.{key}")
        self._record(
            ev.ProvisionChanged,
            env,
            provision_id=provision_id,
            changes=cleaned,
            reason=text(reason, "reason"),
        )

    def end_provision(
        self, env: Envelope, *, provision_id: str, end_date: date, reason: str
    ) -> None:
        """A provision ends (never before it started)."""
        provision = self._open_provision(provision_id)
        self._not_after_entry(end_date, env, "end_date")
        if end_date < provision["start_date"]:
            raise ProvisionClosed("end_date is before the provision started", field="end_date")
        self._record(
            ev.ProvisionEnded,
            env,
            provision_id=provision_id,
            end_date=end_date,
            reason=text(reason, "reason"),
        )

    def _session_date(self, provision_id: str, session_date: date, env: Envelope) -> None:
        self._not_after_entry(session_date, env, "session_date")
        provision = self._open_provision(provision_id)
        if session_date < provision["start_date"]:
            raise ProvisionClosed(
                "session_date is before the provision started", field="session_date"
            )

    def deliver_session(
        self, env: Envelope, *, provision_id: str, session_date: date, minutes: int, notes: str
    ) -> None:
        """One session of a provision was delivered (fidelity)."""
        self._session_date(provision_id, session_date, env)
        self._record(
            ev.SessionDelivered,
            env,
            provision_id=provision_id,
            session_date=session_date,
            minutes=count(minutes, "minutes", low=1, high=600),
            notes=text(notes, "notes", required=False),
        )

    def miss_session(
        self, env: Envelope, *, provision_id: str, session_date: date, reason: str
    ) -> None:
        """A planned session did not happen, and why."""
        self._session_date(provision_id, session_date, env)
        self._record(
            ev.SessionMissed,
            env,
            provision_id=provision_id,
            session_date=session_date,
            reason=text(reason, "reason", limit=SHORT),
        )

    def hold_review(
        self,
        env: Envelope,
        *,
        plan_id: str,
        outcome_progress: list[dict[str, Any]],
        provision_impact: list[dict[str, Any]],
        reflection: str,
        decision: str,
        next_review_date: date | None,
        attendees: list[str],
    ) -> None:
        """A review of a plan: progress per outcome, impact per provision, a decision."""
        self._check_unknown(plan_id, self.plans, "plan_id", "plan")
        plan = self.plans[plan_id]
        progress = []
        for i, item in enumerate(outcome_progress):
            oid = str(item.get("outcome_id", ""))
            if oid not in plan["outcome_ids"]:
                raise UnknownReference(
                    f"outcome_progress[{i}].outcome_id names no outcome of this plan",
                    field=f"outcome_progress[{i}].outcome_id",
                )
            progress.append(
                {
                    "outcome_id": oid,
                    "progress": PROGRESS.check(
                        str(item.get("progress", "")), field_name=f"outcome_progress[{i}].progress"
                    ),
                    "note": text(
                        str(item.get("note", "")), f"outcome_progress[{i}].note", required=False
                    ),
                }
            )
        impact = []
        for i, item in enumerate(provision_impact):
            pid = str(item.get("provision_id", ""))
            self._check_unknown(
                pid, self.provisions, f"provision_impact[{i}].provision_id", "provision"
            )
            impact.append(
                {
                    "provision_id": pid,
                    "impact": IMPACT.check(
                        str(item.get("impact", "")), field_name=f"provision_impact[{i}].impact"
                    ),
                    "note": text(
                        str(item.get("note", "")), f"provision_impact[{i}].note", required=False
                    ),
                }
            )
        REVIEW_DECISIONS.check(decision, field_name="decision")
        if decision != "stop" and next_review_date is None:
            raise PlanInvalid(
                "next_review_date is required unless the plan stops", field="next_review_date"
            )
        if next_review_date is not None and next_review_date <= env.occurred_on:
            raise PlanInvalid("next_review_date must be after the review", field="next_review_date")
        self._record(
            ev.ReviewHeld,
            env,
            plan_id=plan_id,
            outcome_progress=progress,
            provision_impact=impact,
            reflection=text(reflection, "reflection", required=False),
            decision=decision,
            next_review_date=next_review_date,
            attendees=texts(attendees, "attendees", limit=SHORT),
        )

    # --- outside advice ----------------------------------------------------------------

    def make_referral(
        self, env: Envelope, *, referral_id: str, service: str, reason: str, consent_id: str
    ) -> None:
        """A referral to an outside service: needs a live consent for referral."""
        consent = self.consents.get(consent_id)
        if consent is None or consent["state"] != "given" or consent["purpose"] != "referral":
            raise ConsentRequired(
                "consent_id must name a live consent for referral", field="consent_id"
            )
        if consent["service"].strip().casefold() != service.strip().casefold():
            raise ConsentRequired("the consent is for referral to another service", field="service")
        self._record(
            ev.ReferralMade,
            env,
            referral_id=self._check_new(referral_id, "referrals", "referral_id"),
            service=text(service, "service", limit=SHORT),
            reason=text(reason, "reason"),
            consent_id=consent_id,
        )

    def record_contact(
        self,
        env: Envelope,
        *,
        professional: str,
        professional_role: str,
        service: str,
        kind: str,
        summary: str,
    ) -> None:
        """A call, visit or meeting with an outside professional: only with the parents'
        agreement (CoP 6.47), i.e. a live consent to contact, refer or share."""
        if not any(
            c["state"] == "given" and c["purpose"] in CONTACT_PURPOSES
            for c in self.consents.values()
        ):
            raise ConsentRequired(
                "contacting a professional needs a live parental consent "
                "(contact_professional, referral, share_with_health or share_with_social_care)",
                field="consent",
            )
        self._record(
            ev.ProfessionalContact,
            env,
            professional=text(professional, "professional", limit=SHORT),
            professional_role=text(professional_role, "professional_role", limit=SHORT),
            service=text(service, "service", limit=SHORT),
            kind=CONTACT_KINDS.check(kind, field_name="kind"),
            summary=text(summary, "summary"),
        )

    def receive_report(
        self,
        env: Envelope,
        *,
        report_id: str,
        author: str,
        author_role: str,
        service: str,
        report_date: date,
        summary: str,
        recommendations: list[dict[str, Any]],
    ) -> None:
        """A report from an outside professional, with its recommendations."""
        recs = []
        for i, rec in enumerate(recommendations):
            recs.append(
                {
                    "recommendation_id": ident(
                        str(rec.get("recommendation_id", "")),
                        f"recommendations[{i}].recommendation_id",
                    ),
                    "text": text(str(rec.get("text", "")), f"recommendations[{i}].text"),
                }
            )
        if len({r["recommendation_id"] for r in recs}) != len(recs):
            raise InvalidValue("recommendation ids must be distinct", field="recommendations")
        self._record(
            ev.ReportReceived,
            env,
            report_id=self._check_new(report_id, "reports", "report_id"),
            author=text(author, "author", limit=SHORT),
            author_role=text(author_role, "author_role", limit=SHORT),
            service=text(service, "service", limit=SHORT),
            report_date=self._not_after_entry(report_date, env, "report_date"),
            summary=text(summary, "summary"),
            recommendations=recs,
        )

    def action_recommendation(
        self, env: Envelope, *, report_id: str, recommendation_id: str, action: str, detail: str
    ) -> None:
        """What was done with one recommendation of a report (or why not)."""
        self._check_unknown(report_id, self.reports, "report_id", "report")
        if recommendation_id not in self.reports[report_id]["recommendation_ids"]:
            raise UnknownReference(
                "recommendation_id names no recommendation of that report",
                field="recommendation_id",
            )
        self._record(
            ev.RecommendationActioned,
            env,
            report_id=report_id,
            recommendation_id=recommendation_id,
            action=RECOMMENDATION_ACTIONS.check(action, field_name="action"),
            detail=text(detail, "detail"),
        )

    # --- voices ------------------------------------------------------------------------

    def record_parent_view(self, env: Envelope, *, person_id: str, view: str) -> None:
        """A parent's own words: attributed, never overwritten."""
        self._record(
            ev.ParentViewRecorded,
            env,
            person_id=self._person(person_id, "person_id"),
            view=text(view, "view"),
        )

    def record_child_view(self, env: Envelope, *, view: str, method: str) -> None:
        """The child's own voice, and how it was gathered."""
        self._record(
            ev.ChildViewRecorded,
            env,
            view=text(view, "view"),
            method=text(method, "method", limit=SHORT),
        )

    # --- EHC needs assessment ----------------------------------------------------------

    def _ehc_step(self, event_class: type[ev.ChildEvent]) -> None:
        if self.ehc_stage not in EHC_ORDER[event_class]:
            raise EhcStepOutOfOrder(
                f"{event_class.__name__} cannot follow EHC stage '{self.ehc_stage}'"
            )

    def submit_ehc_request(
        self, env: Envelope, *, request_date: date, local_authority: str, reason: str
    ) -> None:
        """A request to the LA for an EHC needs assessment."""
        self._ehc_step(ev.EhcRequestSubmitted)
        self._record(
            ev.EhcRequestSubmitted,
            env,
            request_date=self._not_after_entry(request_date, env, "request_date"),
            local_authority=text(local_authority, "local_authority", limit=SHORT),
            reason=text(reason, "reason"),
        )

    def record_ehc_decision(
        self, env: Envelope, *, decision: str, decision_date: date, reason: str
    ) -> None:
        """The LA's decision whether to assess."""
        self._ehc_step(ev.EhcDecisionRecorded)
        self._record(
            ev.EhcDecisionRecorded,
            env,
            decision=EHC_DECISIONS.check(decision, field_name="decision"),
            decision_date=self._not_after_entry(decision_date, env, "decision_date"),
            reason=text(reason, "reason", required=False),
        )

    def receive_ehc_advice(
        self, env: Envelope, *, advice_from: str, advice_kind: str, summary: str
    ) -> None:
        """Advice gathered for the assessment."""
        self._ehc_step(ev.EhcAdviceReceived)
        self._record(
            ev.EhcAdviceReceived,
            env,
            advice_from=text(advice_from, "advice_from", limit=SHORT),
            advice_kind=text(advice_kind, "advice_kind", limit=SHORT),
            summary=text(summary, "summary"),
        )

    def issue_ehc_draft(self, env: Envelope, *, draft_date: date) -> None:
        """The draft EHC plan is issued (parents have 15 days to comment)."""
        self._ehc_step(ev.EhcDraftIssued)
        self._record(
            ev.EhcDraftIssued, env, draft_date=self._not_after_entry(draft_date, env, "draft_date")
        )

    def finalise_ehc_plan(self, env: Envelope, *, decision: str, final_date: date) -> None:
        """The final plan is issued, or the LA decides not to issue one."""
        self._ehc_step(ev.EhcPlanFinalised)
        self._record(
            ev.EhcPlanFinalised,
            env,
            decision=EHC_FINAL_DECISIONS.check(decision, field_name="decision"),
            final_date=self._not_after_entry(final_date, env, "final_date"),
        )

    def hold_ehc_annual_review(self, env: Envelope, *, review_date: date, summary: str) -> None:
        """An annual review of the EHC plan."""
        self._ehc_step(ev.EhcAnnualReviewHeld)
        self._record(
            ev.EhcAnnualReviewHeld,
            env,
            review_date=self._not_after_entry(review_date, env, "review_date"),
            summary=text(summary, "summary"),
        )

    def cease_ehc_plan(
        self, env: Envelope, *, cease_date: date, reason: str, status_after: str, notes: str
    ) -> None:
        """The LA ceases to maintain the EHC plan (CoP 9.199): status E ends with it."""
        self._ehc_step(ev.EhcPlanCeased)
        if status_after not in ("K", "N"):
            raise InvalidValue(
                "status_after must be K (SEN support continues) or N (no SEN): E ends with "
                "the plan",
                field="status_after",
            )
        self._record(
            ev.EhcPlanCeased,
            env,
            cease_date=self._not_after_entry(cease_date, env, "cease_date"),
            reason=EHC_CEASE_REASONS.check(reason, field_name="reason"),
            status_after=status_after,
            notes=text(notes, "notes", required=False),
        )

    # --- the record about the record ---------------------------------------------------

    def note_export(
        self,
        env: Envelope,
        *,
        bundle_sha256: str,
        as_of: date | None,
        known_at: str | None,
        purpose: str,
    ) -> None:
        """An evidence bundle of this record was exported."""
        if len(bundle_sha256) != 64 or any(c not in "0123456789abcdef" for c in bundle_sha256):
            raise InvalidValue(
                "bundle_sha256 must be a lower-case hex SHA-256 digest", field="bundle_sha256"
            )
        self._record(
            ev.EvidenceBundleExported,
            env,
            bundle_sha256=bundle_sha256,
            as_of=as_of,
            known_at=known_at,
            purpose=text(purpose, "purpose", limit=SHORT),
        )

    def correct(
        self,
        env: Envelope,
        *,
        supersedes: int,
        statement: str,
        values: dict[str, Any] | None = None,
    ) -> None:
        """A supplementary statement that corrects an earlier entry; the original stays.
        For some kinds (`domain.corrections`) it may carry the corrected field values,
        checked by that entry's own rules, which derived views then use."""
        kind = self._check_target(supersedes, "supersedes", env)
        if self._parents_words(supersedes) and env.recorded_by.role != "parent":
            raise ParentViewProtected(
                "a parent's words can only be corrected by a parent", field="supersedes"
            )
        replaced = None if values is None else replacement_values(kind, values)
        self._record(
            ev.RecordCorrected,
            env,
            supersedes=supersedes,
            statement=text(statement, "statement"),
            **({} if replaced is None else {"values": replaced}),
        )

    def mark_mistaken(self, env: Envelope, *, target_version: int, reason: str) -> None:
        """Flag an entry as a mistake: it is kept and shown as such."""
        self._check_target(target_version, "target_version", env)
        if self._parents_words(target_version) and env.recorded_by.role != "parent":
            raise ParentViewProtected(
                "a parent's words cannot be marked mistaken by staff", field="target_version"
            )
        self._record(
            ev.EntryMarkedMistaken,
            env,
            target_version=target_version,
            reason=text(reason, "reason"),
        )

    def dispute(self, env: Envelope, *, target_version: int, person_id: str, comment: str) -> None:
        """A parent disputes an entry: the entry stays, with their comment beside it."""
        self._check_target(target_version, "target_version", env)
        self._record(
            ev.EntryDisputed,
            env,
            target_version=target_version,
            person_id=self._person(person_id, "person_id"),
            comment=text(comment, "comment"),
        )

    def restrict_processing(self, env: Envelope, *, reason: str) -> None:
        """Processing restricted (e.g. while accuracy is contested)."""
        if self._record_now().restricted:
            raise InvalidValue("processing is already restricted", field="reason")
        self._record(ev.ProcessingRestricted, env, reason=text(reason, "reason"))

    def lift_restriction(self, env: Envelope, *, reason: str) -> None:
        """Processing no longer restricted."""
        if not self._record_now().restricted:
            raise InvalidValue("processing is not restricted", field="reason")
        self._record(ev.ProcessingRestrictionLifted, env, reason=text(reason, "reason"))

    def place_legal_hold(self, env: Envelope, *, reason: str) -> None:
        """A legal hold: the record must not be disposed of."""
        if self._record_now().legal_hold:
            raise InvalidValue("a legal hold is already in place", field="reason")
        self._record(ev.LegalHoldPlaced, env, reason=text(reason, "reason"))

    def lift_legal_hold(self, env: Envelope, *, reason: str) -> None:
        """The legal hold ends."""
        if not self._record_now().legal_hold:
            raise InvalidValue("no legal hold is in place", field="reason")
        self._record(ev.LegalHoldLifted, env, reason=text(reason, "reason"))

    def erase(self, env: Envelope, *, reason: str) -> None:
        """Erasure (right to erasure, or end of retention): the last event the record takes.
        The application then destroys the child's data key, so every event becomes unreadable.
        Refused while a legal hold is in place."""
        if self._record_now().legal_hold:
            raise LegalHoldActive("the record is under a legal hold: lift it first", field="reason")
        self._record(ev.RecordErased, env, reason=text(reason, "reason"))

    def dispose(self, env: Envelope, *, policy: RetentionPolicy) -> None:
        """The retention period is over: dispose of the record (then its keys go).
        Refused under a legal hold, before the date, or when a person must review it."""
        if self._record_now().legal_hold:
            raise LegalHoldActive("the record is under a legal hold: lift it first", field="policy")
        until = policy.retain_until(self.date_of_birth, self.registered_on)
        if until is None:
            raise RetentionNotOver(
                "no date of birth: the retention policy asks for a review", field="policy"
            )
        if env.occurred_on < until:
            raise RetentionNotOver("the retention period has not ended", field="occurred_at")
        self._record(
            ev.RetentionDisposed, env, retain_until=until, policy=policy.basis(self.date_of_birth)
        )

    # --- shares with a local authority (issue 14) ---------------------------------------

    def share(self, env: Envelope, *, share_id: str, shared_with: str, consent_id: str) -> None:
        """Share the record with an outside body: needs a live consent to share with the LA."""
        consent = self.consents.get(consent_id)
        if consent is None or consent["state"] != "given" or consent["purpose"] != "share_with_la":
            raise ConsentRequired(
                "consent_id must name a live consent to share with the LA", field="consent_id"
            )
        self._record(
            ev.RecordShared,
            env,
            share_id=self._new_share_id(share_id),
            shared_with=ident(shared_with, "shared_with"),
            consent_id=consent_id,
        )

    def _new_share_id(self, share_id: str) -> str:
        """A share id unused on the whole record (whatever the entry's date)."""
        ident(share_id, "share_id")
        if share_id in self._record_now().__dict__.get("shares", {}):
            raise InvalidValue("share_id is already used on this record", field="share_id")
        return share_id

    def withdraw_share(self, env: Envelope, *, share_id: str, reason: str) -> None:
        """A share ends."""
        shares: dict[str, Any] = self.__dict__.get("shares", {})
        self._check_unknown(share_id, shares, "share_id", "share")
        if shares[share_id]["state"] != "live":
            raise InvalidValue("share_id is not a live share", field="share_id")
        self._record(ev.ShareWithdrawn, env, share_id=share_id, reason=text(reason, "reason"))

    def is_shared_with(self, body: str) -> bool:
        """Whether a live share names `body`: not withdrawn, and its consent still live
        (withdrawing the consent ends the share)."""
        return any(
            s["shared_with"] == body
            and s["state"] == "live"
            and self.consents.get(s["consent_id"], {}).get("state") == "given"
            for s in self.__dict__.get("shares", {}).values()
        )
