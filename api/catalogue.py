"""The write catalogue: one row per kind of entry a user records on a child.

A row says everything the edges need about one kind of write: its path under
`/v1/children/{child_id}/`, the input model, the command it becomes, the permission it
needs, its summary for the API document, the message a page shows once it is saved, and
whether a parent may dispute what it records. The HTTP routes (api/routes/records.py) and
the web forms (api/web/record_forms.py) are made from these rows, and every write runs
through one service (api/recording.py). Rows are written out by hand only in what is
really irregular: `build` when the body's fields are not the command's (a consent given
or refused, a session delivered or missed), `check` when a write needs more than the
permission table (a parent writes only as their own linked person).

A test over every kind of child event fails when a kind has no row here and is not one of
the record's own entries (`NOT_WRITTEN_HERE`): no kind falls back to a generic default.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException

from api import schemas as s
from api.deps import Services, withheld_from
from api.users import User
from domain import commands as cmd
from domain import events as ev
from domain.child import ChildRecord
from domain.errors import EntryNotFound, InvalidValue

PathArgs = Mapping[str, str]
Build = Callable[[Any, PathArgs], cmd.Command]


@dataclass(frozen=True)
class Admitted:
    """A write the caller may make: they see the child and their role may record this."""

    svc: Services
    user: User
    child: ChildRecord


Check = Callable[[Admitted, Any], None]


@dataclass(frozen=True)
class WriteKind:
    """One kind of write."""

    slug: str  # its name on pages (form, saved message) and in tests
    path: str  # under /v1/children/{child_id}/
    model: type[s.Entry]
    command: type[cmd.Command]  # the command it becomes (or the first of `also`)
    action: str  # in the permission table (api.permissions)
    summary: str
    description: str
    saved: str  # shown on the page once it is recorded
    disputable: bool = True  # a parent may dispute the entry it records
    also: tuple[type[cmd.Command], ...] = ()  # other commands `build` may choose
    build: Build | None = None
    renamed: Mapping[str, str] = field(default_factory=dict)  # command field -> body field
    check: Check | None = None
    tags: tuple[str, ...] = ("records",)

    @property
    def commands(self) -> tuple[type[cmd.Command], ...]:
        """Every command this write may run."""
        return (self.command, *self.also)

    @property
    def path_params(self) -> tuple[str, ...]:
        """The path's own parameters besides the child, in order."""
        return tuple(re.findall(r"{(\w+)}", self.path))

    def command_for(self, body: s.Entry, path_args: PathArgs) -> cmd.Command:
        """The command the body and path ask for (an InvalidValue if they contradict)."""
        if self.build is not None:
            return self.build(body, path_args)
        return self.command(**path_args, **body.payload())


# --- the irregular parts ------------------------------------------------------------------


def own_person(write: Admitted, body: Any) -> None:
    """A parent writes only as the linked person their account is bound to."""
    if write.user.role != "parent":
        return
    if write.user.person_id is None:
        raise HTTPException(403, "this parent account is bound to no linked person")
    if body.person_id != write.user.person_id:
        raise HTTPException(403, "a parent writes only as their own linked person")


def _readable(write: Admitted, target: int, field_name: str) -> None:
    """A correction, mistake mark or dispute names an entry the writer can read: one the
    child lacks and one withheld from the writer get the same 404, so a write cannot
    probe what a read would not show."""
    hidden = withheld_from(write.svc, write.user, write.child.id)
    if not 1 <= target <= write.child.version or target in hidden:
        raise EntryNotFound(f"{field_name} names no entry of this child", field=field_name)


def _dispute_check(write: Admitted, body: Any) -> None:
    _readable(write, body.target_version, "target_version")
    own_person(write, body)


def _mistake_check(write: Admitted, body: Any) -> None:
    _readable(write, body.target_version, "target_version")


def _correction_check(write: Admitted, body: Any) -> None:
    _readable(write, body.supersedes, "supersedes")
    if write.user.role == "parent":
        history = write.svc.records.events_after(write.child.id, body.supersedes - 1)
        target = history[0] if history else None
        # An unknown target is left to the domain (409 naming supersedes).
        if target is not None and target.recorded_by.user != write.user.user_id:
            raise HTTPException(403, "a parent can correct only the entries they recorded")


def _consent(body: s.ConsentIn, _: PathArgs) -> cmd.Command:
    common = {"consent_id": body.consent_id, "purpose": body.purpose, "service": body.service}
    if body.decision == "given":
        return cmd.GiveConsent(**common, given_by=body.person_id)
    return cmd.RefuseConsent(**common, refused_by=body.person_id)


def _consent_withdrawal(body: s.ConsentWithdrawalIn, path: PathArgs) -> cmd.Command:
    return cmd.WithdrawConsent(consent_id=path["consent_id"], withdrawn_by=body.person_id)


def _session(body: s.SessionIn, _: PathArgs) -> cmd.Command:
    provision, day = body.provision_id, body.session_date
    if body.delivered:
        if body.minutes is None:
            raise InvalidValue("minutes is required for a delivered session", field="minutes")
        if body.reason is not None:
            raise InvalidValue("reason is only for a missed session", field="reason")
        return cmd.DeliverSession(
            provision_id=provision, session_date=day, minutes=body.minutes, notes=body.notes
        )
    if body.reason is None:
        raise InvalidValue("reason is required for a missed session", field="reason")
    if body.minutes is not None or body.notes:
        name = "minutes" if body.minutes is not None else "notes"
        raise InvalidValue(f"{name} is only for a delivered session", field=name)
    return cmd.MissSession(provision_id=provision, session_date=day, reason=body.reason)


# --- the rows -----------------------------------------------------------------------------


def _row(
    slug: str,
    path: str,
    model: type[s.Entry],
    command: type[cmd.Command],
    action: str,
    summary: str,
    description: str,
    saved: str,
    **more: Any,
) -> WriteKind:
    return WriteKind(slug, path, model, command, action, summary, description, saved, **more)


WRITES: tuple[WriteKind, ...] = (
    # Information gathered.
    _row(
        "observation",
        "observations",
        s.ObservationIn,
        cmd.RecordObservation,
        "record.observation",
        "Record an observation",
        "An observation of the child in one area of learning.",
        "Observation saved",
    ),
    _row(
        "tracking",
        "tracking",
        s.TrackingIn,
        cmd.AssessTracking,
        "record.tracking",
        "Record a tracking assessment",
        "The developmental band reached in one area (EYFS tracking).",
        "Tracking assessment saved",
    ),
    _row(
        "progress-check",
        "progress-checks",
        s.ProgressCheckIn,
        cmd.RecordProgressCheck,
        "record.progress_check",
        "Record the progress check at two",
        "The EYFS progress check at age two.",
        "Progress check saved",
    ),
    _row(
        "attendance",
        "attendance",
        s.AttendanceIn,
        cmd.RecordAttendance,
        "record.attendance",
        "Record attendance over a period",
        "Sessions possible and attended between two dates.",
        "Attendance saved",
    ),
    _row(
        "concern",
        "concerns",
        s.ConcernIn,
        cmd.RaiseConcern,
        "record.concern",
        "Raise a concern",
        "A concern about one or more areas of development.",
        "Concern saved",
    ),
    _row(
        "discussion",
        "discussions",
        s.DiscussionIn,
        cmd.HoldDiscussion,
        "record.discussion",
        "Record a key person / SENCO discussion",
        "A discussion ending in one of the setting's outcomes, with hypothesis and actions.",
        "Discussion outcome saved",
    ),
    # SEN support.
    _row(
        "parent-notification",
        "parent-notifications",
        s.ParentNotificationIn,
        cmd.NotifyParent,
        "record.parent_notification",
        "Record that parents were told SEN provision is starting",
        "Parents formally notified that SEN provision starts (CoP 6.43).",
        "Notification to parents saved",
    ),
    _row(
        "sen-status",
        "sen-status",
        s.SenStatusIn,
        cmd.ChangeSenStatus,
        "record.sen_status",
        "Change SEN status",
        "SEN status (N, K, E) with the DfE need codes and the primary need.",
        "SEN status saved",
    ),
    _row(
        "consent",
        "consents",
        s.ConsentIn,
        cmd.GiveConsent,
        "record.consent",
        "Record a consent given or refused",
        "A parent's decision on one purpose (and, for a referral, one named service).",
        "Consent saved",
        also=(cmd.RefuseConsent,),
        build=_consent,
        renamed={"given_by": "person_id", "refused_by": "person_id"},
    ),
    _row(
        "consent-withdrawal",
        "consents/{consent_id}/withdrawal",
        s.ConsentWithdrawalIn,
        cmd.WithdrawConsent,
        "record.consent",
        "Withdraw a consent",
        "A consent given earlier is withdrawn.",
        "Consent withdrawal saved",
        build=_consent_withdrawal,
        renamed={"withdrawn_by": "person_id"},
    ),
    _row(
        "plan",
        "plans",
        s.PlanIn,
        cmd.IssuePlan,
        "record.plan",
        "Issue a support plan",
        "An SEN support plan: measurable outcomes with target dates, and a review date.",
        "Support plan saved",
    ),
    _row(
        "plan-revision",
        "plans/{plan_id}/revisions",
        s.PlanRevisionIn,
        cmd.RevisePlan,
        "record.plan",
        "Revise a support plan",
        "New outcomes, provisions or review date for a plan.",
        "Plan revision saved",
    ),
    _row(
        "provision",
        "provisions",
        s.ProvisionIn,
        cmd.StartProvision,
        "record.provision",
        "Start a provision",
        "An intervention or support, costed for the provision map.",
        "Provision saved",
    ),
    _row(
        "provision-change",
        "provisions/{provision_id}/changes",
        s.ProvisionChangeIn,
        cmd.ChangeProvision,
        "record.provision",
        "Change a provision",
        "How a running provision is delivered or funded changes.",
        "Provision change saved",
    ),
    _row(
        "provision-end",
        "provisions/{provision_id}/end",
        s.ProvisionEndIn,
        cmd.EndProvision,
        "record.provision",
        "End a provision",
        "A provision ends (never before it started).",
        "Provision end saved",
    ),
    _row(
        "session",
        "sessions",
        s.SessionIn,
        cmd.DeliverSession,
        "record.session",
        "Log a session delivered or missed",
        "Fidelity: a session delivered (with minutes) or missed (with a reason).",
        "Session saved",
        also=(cmd.MissSession,),
        build=_session,
    ),
    _row(
        "review",
        "reviews",
        s.ReviewIn,
        cmd.HoldReview,
        "record.review",
        "Hold a review",
        "Progress per outcome, impact per provision, reflection and a decision.",
        "Review saved",
    ),
    # Outside advice.
    _row(
        "referral",
        "referrals",
        s.ReferralIn,
        cmd.MakeReferral,
        "record.referral",
        "Make a referral",
        "A referral to an outside service, under a live consent for it.",
        "Referral saved",
    ),
    _row(
        "professional-contact",
        "professional-contacts",
        s.ProfessionalContactIn,
        cmd.RecordContact,
        "record.professional_contact",
        "Record a contact with an outside professional",
        "A call, visit or meeting, only with the parents' agreement (CoP 6.47).",
        "Contact saved",
    ),
    _row(
        "report",
        "reports",
        s.ReportIn,
        cmd.ReceiveReport,
        "record.report",
        "Receive a report",
        "A report from an outside professional, with its recommendations.",
        "Report saved",
    ),
    _row(
        "recommendation-action",
        "reports/{report_id}/recommendations/{recommendation_id}/actions",
        s.RecommendationActionIn,
        cmd.ActionRecommendation,
        "record.recommendation_action",
        "Record what was done with a recommendation",
        "One recommendation actioned, partly actioned or not, and why.",
        "Action on the recommendation saved",
    ),
    # Voices and people.
    _row(
        "parent-view",
        "parent-views",
        s.ParentViewIn,
        cmd.RecordParentView,
        "record.parent_view",
        "Record a parent's view",
        "A parent's own words, attributed to a linked person and never overwritten. "
        "Parents may record their own.",
        "Your view was added to the record",
        check=own_person,
    ),
    _row(
        "child-view",
        "child-views",
        s.ChildViewIn,
        cmd.RecordChildView,
        "record.child_view",
        "Record the child's view",
        "The child's own voice, and how it was gathered.",
        "The child's view was added to the record",
    ),
    _row(
        "person",
        "people",
        s.PersonIn,
        cmd.LinkPerson,
        "record.person",
        "Link a person to the child",
        "A parent, carer or other person, with or without parental responsibility.",
        "Person linked",
    ),
    # Where the child is.
    _row(
        "enrolment",
        "enrolments",
        s.EnrolmentIn,
        cmd.Enrol,
        "record.enrolment",
        "Enrol the child at a setting",
        "The child starts attending a setting (again, after leaving).",
        "Enrolment saved",
    ),
    _row(
        "transfer",
        "transfers",
        s.TransferIn,
        cmd.Transfer,
        "record.enrolment",
        "Record a transfer to another setting",
        "The child moves to another setting; the record goes with them.",
        "Transfer saved",
    ),
    _row(
        "leaving",
        "leaving",
        s.LeavingIn,
        cmd.Leave,
        "record.enrolment",
        "Record that the child left",
        "The child left the setting: where to, and why. Later work is refused; "
        "what closes the record (a view, a correction) is still accepted.",
        "Leaving saved",
    ),
    _row(
        "placement",
        "placement",
        s.PlacementIn,
        cmd.Place,
        "record.enrolment",
        "Record the child's room and key person",
        "The room (class or group) the child is in and their key person, from this date: "
        "the inbox and the children list can be filtered by them.",
        "Room and key person saved",
        disputable=False,
    ),
    # EHC needs assessment.
    _row(
        "ehc-request",
        "ehc/request",
        s.EhcRequestIn,
        cmd.SubmitEhcRequest,
        "record.ehc_step",
        "Submit an EHC needs assessment request",
        "The request to the local authority.",
        "EHC request saved",
    ),
    _row(
        "ehc-decision",
        "ehc/decision",
        s.EhcDecisionIn,
        cmd.RecordEhcDecision,
        "record.ehc_step",
        "Record the LA's decision whether to assess",
        "Assess or not: follows a request.",
        "EHC decision saved",
    ),
    _row(
        "ehc-advice",
        "ehc/advice",
        s.EhcAdviceIn,
        cmd.ReceiveEhcAdvice,
        "record.ehc_step",
        "Record advice received for the assessment",
        "Advice gathered while the LA assesses.",
        "EHC advice saved",
    ),
    _row(
        "ehc-draft",
        "ehc/draft",
        s.EhcDraftIn,
        cmd.IssueEhcDraft,
        "record.ehc_step",
        "Record the draft EHC plan",
        "The draft plan was issued (parents have 15 days to comment).",
        "Draft EHC plan saved",
    ),
    _row(
        "ehc-final",
        "ehc/final",
        s.EhcFinalIn,
        cmd.FinaliseEhcPlan,
        "record.ehc_step",
        "Record the final EHC plan (or a decision not to issue)",
        "The final plan issued, or the LA's decision not to issue one.",
        "Final EHC plan saved",
    ),
    _row(
        "ehc-annual-review",
        "ehc/annual-reviews",
        s.EhcAnnualReviewIn,
        cmd.HoldEhcAnnualReview,
        "record.ehc_step",
        "Record an EHC plan annual review",
        "An annual review of a finalised EHC plan.",
        "EHC annual review saved",
    ),
    _row(
        "ehc-ceased",
        "ehc/ceased",
        s.EhcCeasedIn,
        cmd.CeaseEhcPlan,
        "record.ehc_step",
        "Record that the LA ceased to maintain the EHC plan",
        "The local authority's decision to cease maintaining the plan (SEND Code of "
        "Practice 9.199): status E ends with it, to the status given.",
        "EHC plan cessation saved",
    ),
    # The record about the record.
    _row(
        "correction",
        "corrections",
        s.CorrectionWithValuesIn,
        cmd.Correct,
        "record.correction",
        "Correct an entry",
        "A supplementary statement beside an earlier entry, which stays as it was. "
        "Parents may correct the entries they recorded themselves.",
        "Correction saved",
        check=_correction_check,
        disputable=False,
    ),
    _row(
        "mistake",
        "mistakes",
        s.MistakeIn,
        cmd.MarkMistaken,
        "record.mistake",
        "Mark an entry mistaken",
        "Flag an entry as a mistake: it is kept and shown as such.",
        "Entry marked as entered by mistake",
        check=_mistake_check,
    ),
    _row(
        "dispute",
        "disputes",
        s.DisputeIn,
        cmd.Dispute,
        "record.dispute",
        "Dispute an entry",
        "A parent's comment beside an entry they disagree with; the entry stays.",
        "Your comment was added beside the entry",
        check=_dispute_check,
        disputable=False,
    ),
    # Sharing.
    _row(
        "share",
        "shares",
        s.ShareIn,
        cmd.Share,
        "record.share",
        "Share the record with an LA or inspectorate",
        "From the entry's date, under a live consent to share with the LA (409 otherwise).",
        "Share saved",
        tags=("shares",),
    ),
    _row(
        "share-withdrawal",
        "shares/{share_id}/withdrawal",
        s.ShareWithdrawalIn,
        cmd.WithdrawShare,
        "record.share",
        "End a share",
        "The body stops seeing the record from the entry's date.",
        "Share withdrawn",
        tags=("shares",),
    ),
)

BY_SLUG: Mapping[str, WriteKind] = {w.slug: w for w in WRITES}
BY_EVENT: Mapping[type[ev.ChildEvent], WriteKind] = {
    c.records: w for w in WRITES for c in w.commands
}

NOT_WRITTEN_HERE: Mapping[type[ev.ChildEvent], str] = {
    ev.EvidenceBundleExported: "recorded by the export itself (api/bootstrap.py)",
    ev.ProcessingRestricted: "an admin's data-protection command (sendtrail privacy)",
    ev.ProcessingRestrictionLifted: "an admin's data-protection command (sendtrail privacy)",
    ev.LegalHoldPlaced: "an admin's data-protection command (sendtrail privacy)",
    ev.LegalHoldLifted: "an admin's data-protection command (sendtrail privacy)",
    ev.RecordErased: "erasure destroys the keys too (sendtrail erase)",
    ev.RetentionDisposed: "disposal destroys the keys too (sendtrail retention dispose)",
}
"""Child events no write row records, and what records them instead."""


NOT_DISPUTABLE: frozenset[str] = frozenset(
    {c.records.__name__ for w in WRITES if not w.disputable for c in w.commands}
    | {ev.EvidenceBundleExported.__name__}
)
"""Kinds a parent cannot dispute: words about an entry (a dispute, a correction) and the
record of an export, not the setting's statements."""
