"""The event catalogue of a child's record (DOMAIN.md, "Event catalogue").

Every event carries the `Envelope` (occurred_at, precision, recorded_by, basis,
sensitivity, attachments). Events are facts: once stored they are never changed; a
correction is a new event that points at the one it corrects (by version).

Topics are stored in clear, so class names say what kind of entry it is and nothing
about the child. Renamed classes must be registered with `register_topic`.
"""

from __future__ import annotations

from dataclasses import field
from datetime import UTC, date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import AggregateCreated, AggregateEvent

from domain.envelope import Envelope

if TYPE_CHECKING:
    from domain.child import ChildRecord


class ChildEvent(Envelope, AggregateEvent):
    """Base of every event on a child's record."""

    def apply(self, aggregate: Any) -> None:
        child: ChildRecord = aggregate
        child.kinds.append(type(self).__name__)
        if child.latest_occurred_at is None or self.occurred_at > child.latest_occurred_at:
            child.latest_occurred_at = self.occurred_at
        if child.occurred_ats is not None:
            child.occurred_ats.append(self.occurred_at)
        if self.recorded_by.role == "parent":
            child.parent_versions.append(self.originator_version)
        self.evolve(child)

    def evolve(self, child: ChildRecord) -> None:
        """Change the record's state; most events only add to the history."""


# --- who the child is -------------------------------------------------------------------


class ChildRegistered(Envelope, AggregateCreated):
    given_name: str
    family_name: str
    date_of_birth: date | None
    setting_id: str

    def apply(self, aggregate: Any) -> None:
        child: ChildRecord = aggregate
        child.kinds.append(type(self).__name__)
        child.registered_on = self.occurred_at.astimezone(UTC).date()
        child.latest_occurred_at = self.occurred_at
        child.occurred_ats = [self.occurred_at]


class PersonLinked(ChildEvent):
    person_id: str
    name: str
    relationship: str
    parental_responsibility: bool

    def evolve(self, child: ChildRecord) -> None:
        child.people[self.person_id] = {
            "relationship": self.relationship,
            "parental_responsibility": self.parental_responsibility,
        }


class ChildEnrolled(ChildEvent):
    setting_id: str

    def evolve(self, child: ChildRecord) -> None:
        child.setting_id = self.setting_id
        child.status = "active"


class ChildTransferred(ChildEvent):
    from_setting: str
    to_setting: str

    def evolve(self, child: ChildRecord) -> None:
        child.setting_id = self.to_setting


class ChildLeft(ChildEvent):
    destination: str
    reason: str

    def evolve(self, child: ChildRecord) -> None:
        child.status = "left"


class ChildPlaced(ChildEvent):
    """The room (class or group) the child is in and their key person, from this date."""

    room: str
    key_person: str

    def evolve(self, child: ChildRecord) -> None:
        child.room, child.key_person = self.room, self.key_person


# --- information gathered ---------------------------------------------------------------


class ObservationRecorded(ChildEvent):
    area: str
    notes: str
    observer: str


class TrackingAssessed(ChildEvent):
    area: str
    band: str
    months_low: int
    months_high: int
    chronological_months: int


class ProgressCheckAtTwoRecorded(ChildEvent):
    summary: str
    areas_of_concern: list[str]


class AttendanceRecorded(ChildEvent):
    period_start: date
    period_end: date
    sessions_possible: int
    sessions_attended: int


class ConcernRaised(ChildEvent):
    concern_id: str
    areas: list[str]
    level: str
    description: str

    def evolve(self, child: ChildRecord) -> None:
        child.concern_ids.append(self.concern_id)


class DiscussionHeld(ChildEvent):
    participants: list[str]
    outcome: str
    hypothesis: str
    evidence_needed: str
    actions: list[str]
    key_person_view: str
    senco_view: str


# --- SEN support ------------------------------------------------------------------------


class ParentNotified(ChildEvent):
    about: str
    method: str
    information_service_given: bool

    def evolve(self, child: ChildRecord) -> None:
        child.parent_notified = True


class SenStatusChanged(ChildEvent):
    status: str
    need_codes: list[str]
    primary_need: str | None
    reason: str

    def evolve(self, child: ChildRecord) -> None:
        child.sen_status = self.status
        child.need_codes = list(self.need_codes)
        child.primary_need = self.primary_need
        child.sen_status_version = self.originator_version


class ConsentGiven(ChildEvent):
    consent_id: str
    purpose: str
    service: str
    given_by: str

    def evolve(self, child: ChildRecord) -> None:
        child.consents[self.consent_id] = {
            "purpose": self.purpose,
            "service": self.service,
            "state": "given",
        }


class ConsentRefused(ChildEvent):
    consent_id: str
    purpose: str
    service: str
    refused_by: str

    def evolve(self, child: ChildRecord) -> None:
        child.consents[self.consent_id] = {
            "purpose": self.purpose,
            "service": self.service,
            "state": "refused",
        }


class ConsentWithdrawn(ChildEvent):
    consent_id: str
    withdrawn_by: str

    def evolve(self, child: ChildRecord) -> None:
        child.consents[self.consent_id]["state"] = "withdrawn"


class SupportPlanIssued(ChildEvent):
    plan_id: str
    start_date: date
    review_date: date
    outcomes: list[dict[str, Any]]
    provision_ids: list[str]
    shared_with_parents: bool

    def evolve(self, child: ChildRecord) -> None:
        child.plans[self.plan_id] = {
            "start_date": self.start_date,
            "review_date": self.review_date,
            "outcome_ids": [o["outcome_id"] for o in self.outcomes],
            "provision_ids": list(self.provision_ids),
            "reviews": 0,
        }


class SupportPlanRevised(ChildEvent):
    plan_id: str
    review_date: date
    outcomes: list[dict[str, Any]]
    provision_ids: list[str]
    reason: str

    def evolve(self, child: ChildRecord) -> None:
        plan = child.plans[self.plan_id]
        plan["review_date"] = self.review_date
        plan["outcome_ids"] = [o["outcome_id"] for o in self.outcomes]
        plan["provision_ids"] = list(self.provision_ids)


class ProvisionStarted(ChildEvent):
    provision_id: str
    description: str
    area: str
    start_date: date
    group_size: int
    session_minutes: int
    sessions_per_week: int
    weeks: int
    staff_grade: str
    cost: Decimal
    funding_source: str

    def evolve(self, child: ChildRecord) -> None:
        child.provisions[self.provision_id] = {"start_date": self.start_date, "end_date": None}


class ProvisionChanged(ChildEvent):
    provision_id: str
    changes: dict[str, Any]
    reason: str


class ProvisionEnded(ChildEvent):
    provision_id: str
    end_date: date
    reason: str

    def evolve(self, child: ChildRecord) -> None:
        child.provisions[self.provision_id]["end_date"] = self.end_date


class SessionDelivered(ChildEvent):
    provision_id: str
    session_date: date
    minutes: int
    notes: str


class SessionMissed(ChildEvent):
    provision_id: str
    session_date: date
    reason: str


class ReviewHeld(ChildEvent):
    plan_id: str
    outcome_progress: list[dict[str, Any]]
    provision_impact: list[dict[str, Any]]
    reflection: str
    decision: str
    next_review_date: date | None
    attendees: list[str]

    def evolve(self, child: ChildRecord) -> None:
        plan = child.plans[self.plan_id]
        plan["reviews"] += 1
        if self.next_review_date is not None:
            plan["review_date"] = self.next_review_date


# --- outside advice ---------------------------------------------------------------------


class ReferralMade(ChildEvent):
    referral_id: str
    service: str
    reason: str
    consent_id: str

    def evolve(self, child: ChildRecord) -> None:
        child.referrals[self.referral_id] = {"service": self.service}


class ProfessionalContact(ChildEvent):
    professional: str
    professional_role: str
    service: str
    kind: str
    summary: str


class ReportReceived(ChildEvent):
    report_id: str
    author: str
    author_role: str
    service: str
    report_date: date
    summary: str
    recommendations: list[dict[str, Any]]

    def evolve(self, child: ChildRecord) -> None:
        child.reports[self.report_id] = {
            "recommendation_ids": [r["recommendation_id"] for r in self.recommendations]
        }


class RecommendationActioned(ChildEvent):
    report_id: str
    recommendation_id: str
    action: str
    detail: str


# --- voices -----------------------------------------------------------------------------


class ParentViewRecorded(ChildEvent):
    person_id: str
    view: str


class ChildViewRecorded(ChildEvent):
    view: str
    method: str


# --- EHC needs assessment ---------------------------------------------------------------


class EhcRequestSubmitted(ChildEvent):
    request_date: date
    local_authority: str
    reason: str

    def evolve(self, child: ChildRecord) -> None:
        child.ehc_stage = "requested"


class EhcDecisionRecorded(ChildEvent):
    decision: str
    decision_date: date
    reason: str

    def evolve(self, child: ChildRecord) -> None:
        child.ehc_stage = "assessing" if self.decision == "assess" else "refused"


class EhcAdviceReceived(ChildEvent):
    advice_from: str
    advice_kind: str
    summary: str


class EhcDraftIssued(ChildEvent):
    draft_date: date

    def evolve(self, child: ChildRecord) -> None:
        child.ehc_stage = "draft"


class EhcPlanFinalised(ChildEvent):
    decision: str
    final_date: date

    def evolve(self, child: ChildRecord) -> None:
        if self.decision == "issue":
            child.ehc_plan_version = self.originator_version
            child.before_ehc_plan = (child.ehc_stage, child.sen_status)
            child.sen_status = "E"  # follows from the plan: never typed twice
        child.ehc_stage = "plan" if self.decision == "issue" else "not_issued"


class EhcAnnualReviewHeld(ChildEvent):
    review_date: date
    summary: str


class EhcPlanCeased(ChildEvent):
    """The LA ceased to maintain the plan: status E ends with it, to the status given."""

    cease_date: date
    reason: str
    status_after: str
    notes: str

    def evolve(self, child: ChildRecord) -> None:
        child.ehc_ceased = (self.originator_version, child.ehc_plan_version)
        child.ehc_stage = "ceased"
        child.sen_status = self.status_after
        child.ehc_plan_version = None


# --- the record about the record -------------------------------------------------------


class EvidenceBundleExported(ChildEvent):
    bundle_sha256: str
    as_of: date | None
    known_at: str | None
    purpose: str


class RecordCorrected(ChildEvent):
    supersedes: int
    statement: str
    # The corrected values of the target's fields (domain.corrections), or None: a
    # statement only. Optional and keyword-only, so corrections stored before it decode.
    values: dict[str, Any] | None = field(default=None, kw_only=True)

    def evolve(self, child: ChildRecord) -> None:
        if not self.values or self.supersedes != child.sen_status_version:
            return
        # The latest status change was corrected: the record's status is the corrected one
        # (E stays while an issued plan is in force; the plan ends to the corrected one).
        child.need_codes = list(self.values["need_codes"])
        child.primary_need = self.values["primary_need"]
        if child.ehc_stage == "plan":
            child.before_ehc_plan = (child.before_ehc_plan[0], self.values["status"])
        else:
            child.sen_status = self.values["status"]


class EntryMarkedMistaken(ChildEvent):
    target_version: int
    reason: str

    def evolve(self, child: ChildRecord) -> None:
        if self.target_version == child.ehc_plan_version:
            # The issued plan was a mistake: the status E it set ends with it.
            child.ehc_stage, child.sen_status = child.before_ehc_plan
            child.ehc_plan_version = None
        elif child.ehc_ceased and self.target_version == child.ehc_ceased[0]:
            # The cessation was a mistake: the plan is in force again, and E with it.
            child.ehc_stage, child.sen_status = "plan", "E"
            child.ehc_plan_version, child.ehc_ceased = child.ehc_ceased[1], None


class EntryDisputed(ChildEvent):
    target_version: int
    person_id: str
    comment: str


class ProcessingRestricted(ChildEvent):
    reason: str

    def evolve(self, child: ChildRecord) -> None:
        child.restricted = True


class ProcessingRestrictionLifted(ChildEvent):
    reason: str

    def evolve(self, child: ChildRecord) -> None:
        child.restricted = False


class LegalHoldPlaced(ChildEvent):
    reason: str

    def evolve(self, child: ChildRecord) -> None:
        child.legal_hold = True


class LegalHoldLifted(ChildEvent):
    reason: str

    def evolve(self, child: ChildRecord) -> None:
        child.legal_hold = False


class RetentionReviewed(ChildEvent):
    retain_until: date | None
    policy: str
    decision: str


class RecordErased(ChildEvent):
    reason: str

    def evolve(self, child: ChildRecord) -> None:
        child.status = "erased"


class RetentionDisposed(ChildEvent):
    """The retention period is over: the record is disposed of (its keys destroyed next),
    exactly like an erasure but for this reason."""

    retain_until: date
    policy: str

    def evolve(self, child: ChildRecord) -> None:
        child.status = "erased"


# --- shares with a local authority (issue 14) ------------------------------------------


class RecordShared(ChildEvent):
    """The record is shared with an outside body (an LA's caseworkers, an inspectorate),
    from the entry's date, under a live consent to share with the LA."""

    share_id: str
    shared_with: str  # the body's code, as its users carry it (`users add --org`)
    consent_id: str

    def evolve(self, child: ChildRecord) -> None:
        child.__dict__.setdefault("shares", {})[self.share_id] = {
            "shared_with": self.shared_with,
            "consent_id": self.consent_id,
            "state": "live",
        }


class ShareWithdrawn(ChildEvent):
    """A share ends (a withdrawn consent ends its shares without this event)."""

    share_id: str
    reason: str

    def evolve(self, child: ChildRecord) -> None:
        child.__dict__["shares"][self.share_id]["state"] = "withdrawn"
