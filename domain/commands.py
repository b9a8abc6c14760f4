"""Commands as data: one frozen dataclass per thing a user can record on a child.

A command names what was asked for in the caller's words (its fields are the aggregate
method's keyword arguments); `ChildRecords.handle(child_id, command, draft,
expected_version=...)` runs every one of them the same way. Each class says the aggregate
method that judges it (`runs`) and the one kind of event it records (`records`), so the
write catalogue, the API and the tests can go from either side to the other. A test checks
that every command's fields are exactly its method's arguments and that every kind of
child event has its command.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from domain import events as ev
from domain.child import ChildRecord
from domain.envelope import Envelope
from domain.retention import RetentionPolicy
from domain.vocabulary import Vocabulary


@dataclass(frozen=True)
class Context:
    """What the application knows that a command may need: the setting's vocabularies."""

    discussion_outcomes: Vocabulary


@dataclass(frozen=True, kw_only=True)
class Command:
    """Something asked of one child's record."""

    runs: ClassVar[str]
    records: ClassVar[type[ev.ChildEvent]]

    def arguments(self, context: Context) -> dict[str, Any]:
        """The keyword arguments of the aggregate method."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def apply(self, child: ChildRecord, envelope: Envelope, context: Context) -> None:
        """Judge the command against the record and record its one event (or raise)."""
        getattr(child, self.runs)(envelope, **self.arguments(context))


@dataclass(frozen=True, kw_only=True)
class RegisterChild:
    """Open a new record (the only command with no record to run on)."""

    given_name: str
    family_name: str
    date_of_birth: date | None
    setting_id: str
    child_id: UUID | None = None
    records: ClassVar[type[ev.ChildRegistered]] = ev.ChildRegistered


@dataclass(frozen=True, kw_only=True)
class LinkPerson(Command):
    """Records PersonLinked."""

    runs = "link_person"
    records = ev.PersonLinked

    person_id: str
    name: str
    relationship: str
    parental_responsibility: bool


@dataclass(frozen=True, kw_only=True)
class Enrol(Command):
    """Records ChildEnrolled."""

    runs = "enrol"
    records = ev.ChildEnrolled

    setting_id: str


@dataclass(frozen=True, kw_only=True)
class Transfer(Command):
    """Records ChildTransferred."""

    runs = "transfer"
    records = ev.ChildTransferred

    to_setting: str


@dataclass(frozen=True, kw_only=True)
class Leave(Command):
    """Records ChildLeft."""

    runs = "leave"
    records = ev.ChildLeft

    destination: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class Place(Command):
    """Records ChildPlaced."""

    runs = "place"
    records = ev.ChildPlaced

    room: str
    key_person: str = ""


@dataclass(frozen=True, kw_only=True)
class RecordObservation(Command):
    """Records ObservationRecorded."""

    runs = "record_observation"
    records = ev.ObservationRecorded

    area: str
    notes: str
    observer: str


@dataclass(frozen=True, kw_only=True)
class AssessTracking(Command):
    """Records TrackingAssessed."""

    runs = "assess_tracking"
    records = ev.TrackingAssessed

    area: str
    band: str
    months_low: int
    months_high: int
    chronological_months: int


@dataclass(frozen=True, kw_only=True)
class RecordProgressCheck(Command):
    """Records ProgressCheckAtTwoRecorded."""

    runs = "record_progress_check"
    records = ev.ProgressCheckAtTwoRecorded

    summary: str
    areas_of_concern: list[str]


@dataclass(frozen=True, kw_only=True)
class RecordAttendance(Command):
    """Records AttendanceRecorded."""

    runs = "record_attendance"
    records = ev.AttendanceRecorded

    period_start: date
    period_end: date
    sessions_possible: int
    sessions_attended: int


@dataclass(frozen=True, kw_only=True)
class RaiseConcern(Command):
    """Records ConcernRaised."""

    runs = "raise_concern"
    records = ev.ConcernRaised

    concern_id: str
    areas: list[str]
    level: str
    description: str


@dataclass(frozen=True, kw_only=True)
class HoldDiscussion(Command):
    """Records DiscussionHeld."""

    runs = "hold_discussion"
    records = ev.DiscussionHeld

    participants: list[str]
    outcome: str
    hypothesis: str
    evidence_needed: str
    actions: list[str]
    key_person_view: str = ""
    senco_view: str = ""

    def arguments(self, context: Context) -> dict[str, Any]:
        return {**super().arguments(context), "outcomes": context.discussion_outcomes}


@dataclass(frozen=True, kw_only=True)
class NotifyParent(Command):
    """Records ParentNotified."""

    runs = "notify_parent"
    records = ev.ParentNotified

    method: str
    information_service_given: bool


@dataclass(frozen=True, kw_only=True)
class ChangeSenStatus(Command):
    """Records SenStatusChanged."""

    runs = "change_sen_status"
    records = ev.SenStatusChanged

    status: str
    need_codes: list[str]
    primary_need: str | None
    reason: str


@dataclass(frozen=True, kw_only=True)
class GiveConsent(Command):
    """Records ConsentGiven."""

    runs = "give_consent"
    records = ev.ConsentGiven

    consent_id: str
    purpose: str
    service: str
    given_by: str


@dataclass(frozen=True, kw_only=True)
class RefuseConsent(Command):
    """Records ConsentRefused."""

    runs = "refuse_consent"
    records = ev.ConsentRefused

    consent_id: str
    purpose: str
    service: str
    refused_by: str


@dataclass(frozen=True, kw_only=True)
class WithdrawConsent(Command):
    """Records ConsentWithdrawn."""

    runs = "withdraw_consent"
    records = ev.ConsentWithdrawn

    consent_id: str
    withdrawn_by: str


@dataclass(frozen=True, kw_only=True)
class Share(Command):
    """Records RecordShared."""

    runs = "share"
    records = ev.RecordShared

    share_id: str
    shared_with: str
    consent_id: str


@dataclass(frozen=True, kw_only=True)
class WithdrawShare(Command):
    """Records ShareWithdrawn."""

    runs = "withdraw_share"
    records = ev.ShareWithdrawn

    share_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class IssuePlan(Command):
    """Records SupportPlanIssued."""

    runs = "issue_plan"
    records = ev.SupportPlanIssued

    plan_id: str
    start_date: date
    review_date: date
    outcomes: list[dict[str, Any]]
    provision_ids: list[str]
    shared_with_parents: bool


@dataclass(frozen=True, kw_only=True)
class RevisePlan(Command):
    """Records SupportPlanRevised."""

    runs = "revise_plan"
    records = ev.SupportPlanRevised

    plan_id: str
    review_date: date
    outcomes: list[dict[str, Any]]
    provision_ids: list[str]
    reason: str


@dataclass(frozen=True, kw_only=True)
class StartProvision(Command):
    """Records ProvisionStarted."""

    runs = "start_provision"
    records = ev.ProvisionStarted

    provision_id: str
    description: str
    area: str
    start_date: date
    group_size: int
    session_minutes: int
    sessions_per_week: int
    weeks: int
    staff_grade: str
    cost: Decimal | str
    funding_source: str


@dataclass(frozen=True, kw_only=True)
class ChangeProvision(Command):
    """Records ProvisionChanged."""

    runs = "change_provision"
    records = ev.ProvisionChanged

    provision_id: str
    changes: dict[str, Any]
    reason: str


@dataclass(frozen=True, kw_only=True)
class EndProvision(Command):
    """Records ProvisionEnded."""

    runs = "end_provision"
    records = ev.ProvisionEnded

    provision_id: str
    end_date: date
    reason: str


@dataclass(frozen=True, kw_only=True)
class DeliverSession(Command):
    """Records SessionDelivered."""

    runs = "deliver_session"
    records = ev.SessionDelivered

    provision_id: str
    session_date: date
    minutes: int
    notes: str = ""


@dataclass(frozen=True, kw_only=True)
class MissSession(Command):
    """Records SessionMissed."""

    runs = "miss_session"
    records = ev.SessionMissed

    provision_id: str
    session_date: date
    reason: str


@dataclass(frozen=True, kw_only=True)
class HoldReview(Command):
    """Records ReviewHeld."""

    runs = "hold_review"
    records = ev.ReviewHeld

    plan_id: str
    outcome_progress: list[dict[str, Any]]
    provision_impact: list[dict[str, Any]]
    reflection: str
    decision: str
    next_review_date: date | None
    attendees: list[str]


@dataclass(frozen=True, kw_only=True)
class MakeReferral(Command):
    """Records ReferralMade."""

    runs = "make_referral"
    records = ev.ReferralMade

    referral_id: str
    service: str
    reason: str
    consent_id: str


@dataclass(frozen=True, kw_only=True)
class RecordContact(Command):
    """Records ProfessionalContact."""

    runs = "record_contact"
    records = ev.ProfessionalContact

    professional: str
    professional_role: str
    service: str
    kind: str
    summary: str


@dataclass(frozen=True, kw_only=True)
class ReceiveReport(Command):
    """Records ReportReceived."""

    runs = "receive_report"
    records = ev.ReportReceived

    report_id: str
    author: str
    author_role: str
    service: str
    report_date: date
    summary: str
    recommendations: list[dict[str, Any]]


@dataclass(frozen=True, kw_only=True)
class ActionRecommendation(Command):
    """Records RecommendationActioned."""

    runs = "action_recommendation"
    records = ev.RecommendationActioned

    report_id: str
    recommendation_id: str
    action: str
    detail: str


@dataclass(frozen=True, kw_only=True)
class RecordParentView(Command):
    """Records ParentViewRecorded."""

    runs = "record_parent_view"
    records = ev.ParentViewRecorded

    person_id: str
    view: str


@dataclass(frozen=True, kw_only=True)
class RecordChildView(Command):
    """Records ChildViewRecorded."""

    runs = "record_child_view"
    records = ev.ChildViewRecorded

    view: str
    method: str


@dataclass(frozen=True, kw_only=True)
class SubmitEhcRequest(Command):
    """Records EhcRequestSubmitted."""

    runs = "submit_ehc_request"
    records = ev.EhcRequestSubmitted

    request_date: date
    local_authority: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class RecordEhcDecision(Command):
    """Records EhcDecisionRecorded."""

    runs = "record_ehc_decision"
    records = ev.EhcDecisionRecorded

    decision: str
    decision_date: date
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class ReceiveEhcAdvice(Command):
    """Records EhcAdviceReceived."""

    runs = "receive_ehc_advice"
    records = ev.EhcAdviceReceived

    advice_from: str
    advice_kind: str
    summary: str


@dataclass(frozen=True, kw_only=True)
class IssueEhcDraft(Command):
    """Records EhcDraftIssued."""

    runs = "issue_ehc_draft"
    records = ev.EhcDraftIssued

    draft_date: date


@dataclass(frozen=True, kw_only=True)
class FinaliseEhcPlan(Command):
    """Records EhcPlanFinalised."""

    runs = "finalise_ehc_plan"
    records = ev.EhcPlanFinalised

    decision: str
    final_date: date


@dataclass(frozen=True, kw_only=True)
class HoldEhcAnnualReview(Command):
    """Records EhcAnnualReviewHeld."""

    runs = "hold_ehc_annual_review"
    records = ev.EhcAnnualReviewHeld

    review_date: date
    summary: str


@dataclass(frozen=True, kw_only=True)
class CeaseEhcPlan(Command):
    """Records EhcPlanCeased."""

    runs = "cease_ehc_plan"
    records = ev.EhcPlanCeased

    cease_date: date
    reason: str
    status_after: str
    notes: str = ""


@dataclass(frozen=True, kw_only=True)
class NoteExport(Command):
    """Records EvidenceBundleExported."""

    runs = "note_export"
    records = ev.EvidenceBundleExported

    bundle_sha256: str
    as_of: date | None
    known_at: str | None
    purpose: str


@dataclass(frozen=True, kw_only=True)
class Correct(Command):
    """Records RecordCorrected."""

    runs = "correct"
    records = ev.RecordCorrected

    supersedes: int
    statement: str
    values: dict[str, Any] | None = None  # the corrected fields of its target (domain.corrections)


@dataclass(frozen=True, kw_only=True)
class MarkMistaken(Command):
    """Records EntryMarkedMistaken."""

    runs = "mark_mistaken"
    records = ev.EntryMarkedMistaken

    target_version: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class Dispute(Command):
    """Records EntryDisputed."""

    runs = "dispute"
    records = ev.EntryDisputed

    target_version: int
    person_id: str
    comment: str


@dataclass(frozen=True, kw_only=True)
class RestrictProcessing(Command):
    """Records ProcessingRestricted."""

    runs = "restrict_processing"
    records = ev.ProcessingRestricted

    reason: str


@dataclass(frozen=True, kw_only=True)
class LiftRestriction(Command):
    """Records ProcessingRestrictionLifted."""

    runs = "lift_restriction"
    records = ev.ProcessingRestrictionLifted

    reason: str


@dataclass(frozen=True, kw_only=True)
class PlaceLegalHold(Command):
    """Records LegalHoldPlaced."""

    runs = "place_legal_hold"
    records = ev.LegalHoldPlaced

    reason: str


@dataclass(frozen=True, kw_only=True)
class LiftLegalHold(Command):
    """Records LegalHoldLifted."""

    runs = "lift_legal_hold"
    records = ev.LegalHoldLifted

    reason: str


@dataclass(frozen=True, kw_only=True)
class Erase(Command):
    """Records RecordErased."""

    runs = "erase"
    records = ev.RecordErased

    reason: str


@dataclass(frozen=True, kw_only=True)
class Dispose(Command):
    """Records RetentionDisposed."""

    runs = "dispose"
    records = ev.RetentionDisposed

    policy: RetentionPolicy


COMMANDS: Mapping[str, type[Command]] = {kind.__name__: kind for kind in Command.__subclasses__()}
"""Every command by its name (for data files that name commands, such as mappings)."""
BY_EVENT: Mapping[type[ev.ChildEvent], type[Command]] = {
    kind.records: kind for kind in Command.__subclasses__()
}
"""The command that records each kind of child event."""
NO_COMMAND: Mapping[type[ev.ChildEvent], str] = {
    ev.RetentionReviewed: "read from stores that hold it; nothing records it any more",
}
"""Kinds of child event that no command records, and why they still exist."""
