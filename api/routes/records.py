"""One POST per kind of record, under /v1/children/{child_id}/...

Every write runs the same way: the child must be visible to the caller (404 otherwise,
exactly as for an unknown id), then the role rule (403), then the expected version (from
the body or an If-Match header), then the application command, which checks the
invariants and stores one event or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Header, HTTPException, Path

from api import schemas as s
from api.deps import (
    Services,
    ServicesDep,
    UserDep,
    child_action,
    permit,
    recorder,
    visible_child,
    withheld_from,
)
from api.errors import documented
from api.users import User
from domain import events as ev
from domain.application import ChildRecords
from domain.child import ChildRecord
from domain.envelope import EnvelopeDraft
from domain.errors import DomainError, EntryNotFound, InvalidValue

router = APIRouter(tags=["records"], responses=documented(401))


IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The expected version, e.g. `7` or `"7"`, when the body has none.',
        # Documented here, checked by `expected_version` (a 422 naming If-Match).
        json_schema_extra={"pattern": r'^\s*(?:"[0-9]{1,10}"|[0-9]{1,10})\s*$'},
    ),
]
PathIdent = Annotated[str, Path(pattern=s.IDENT_PATTERN)]
RouteFunction = TypeVar("RouteFunction", bound=Callable[..., s.RecordCreated])
IF_MATCH = re.compile(r'^(?:"([0-9]{1,10})"|([0-9]{1,10}))$')


RESPONSES = documented(
    400, 403, 404, 409, 410, 422, meaning={403: "Your role may not record this kind of entry."}
)


def _post(path: str, summary: str, action: str) -> Callable[[RouteFunction], RouteFunction]:
    """A write route, checked against the permission table (api.permissions) before its
    body is validated; the action is named in the OpenAPI document as `x-permission`."""
    return router.post(
        f"/children/{{child_id}}/{path}",
        status_code=201,
        response_model=s.RecordCreated,
        responses=RESPONSES,
        summary=summary,
        dependencies=[child_action(action)],
        openapi_extra={"x-permission": action},
    )


def expected_version(in_body: int | None, if_match: str | None) -> int:
    """The version the caller expects, from the body or the If-Match header."""
    from_header: int | None = None
    if if_match is not None:
        found = IF_MATCH.match(if_match.strip())
        from_header = int(found.group(1) or found.group(2)) if found else 0
        if from_header < 1:
            raise InvalidValue(
                "If-Match must be the record's version, a whole number from 1", field="If-Match"
            )
    if in_body is not None and from_header is not None and in_body != from_header:
        raise InvalidValue(
            "expected_version and If-Match name different versions", field="expected_version"
        )
    version = in_body if in_body is not None else from_header
    if version is None:
        raise InvalidValue(
            "expected_version is required (in the body or an If-Match header)",
            field="expected_version",
        )
    return version


@dataclass(frozen=True)
class Write:
    """One admitted write: the caller may see the child and their role may record this."""

    svc: Services
    user: User
    child: ChildRecord
    body: s.Entry
    if_match: str | None

    def run(
        self,
        command: Callable[..., int],
        kind: type[ev.ChildEvent],
        *,
        payload: Mapping[str, Any] | None = None,
        renamed: Mapping[str, str] | None = None,
    ) -> s.RecordCreated:
        """Run the application command with the body's envelope and expected version."""
        version = expected_version(self.body.expected_version, self.if_match)
        draft = EnvelopeDraft(
            self.body.occurred_at,
            recorder(self.user, self.child),
            basis=_basis(self.user, self.body),
            sensitivity=self.body.sensitivity,
            attachments=attached(self.svc, self.child.id, self.body.attachments),
        )
        fields = self.body.payload() if payload is None else dict(payload)
        with _fields_named(renamed or {}):
            new_version = command(
                self.svc.records, self.child.id, draft, expected_version=version, **fields
            )
        return s.RecordCreated(child_id=self.child.id, version=new_version, kind=kind.__name__)


def attached(svc: Services, child_id: UUID, digests: list[str]) -> list[dict[str, Any]]:
    """What the entry records of each file it names: refused unless the file was uploaded
    to this child's record first (nothing is stored then)."""
    found = []
    for digest in digests:
        document = svc.documents.describe(child_id, digest)
        if document is None:
            raise InvalidValue(
                "attachments: each must be the SHA-256 of a document uploaded to this "
                "child's record first (POST .../documents)",
                field="attachments",
            )
        found.append(document.as_attachment())
    return found


def _admit(
    svc: Services,
    user: User,
    child_id: UUID,
    body: s.Entry,
    if_match: str | None,
    action: str,
) -> Write:
    """404 unless the child is visible (before any role check), then 403 unless the
    permission table lets the role do `action` (checked here too, for the web forms,
    which call these functions directly)."""
    child = visible_child(svc, user, child_id)
    permit(user, action)
    return Write(svc, user, child, body, if_match)


def _readable_target(write: Write, version: int, field: str) -> None:
    """A correction, mistake mark or dispute names an entry the writer can read: one the
    child lacks and one withheld from the writer get the same 404, so a write cannot
    probe what a read would not show."""
    hidden = withheld_from(write.svc, write.user, write.child.id)
    if not 1 <= version <= write.child.version or version in hidden:
        raise EntryNotFound(f"{field} names no entry of this child", field=field)


def _basis(user: User, body: s.Entry) -> str:
    """A parent's entries are always their own view: never fact or professional opinion."""
    if user.role != "parent":
        return body.basis
    if body.sensitivity != "normal":
        # A parent's own words are never hidden from the parent who wrote them.
        raise InvalidValue("a parent's entries have sensitivity normal", field="sensitivity")
    if "basis" in body.model_fields_set and body.basis != "parent_view":
        raise InvalidValue("a parent's entries have basis parent_view", field="basis")
    return "parent_view"


@contextmanager
def _fields_named(renamed: Mapping[str, str]) -> Iterator[None]:
    """Domain errors name the command's fields; say the request's name for them instead."""
    try:
        yield
    except DomainError as error:
        old = error.field
        if old is not None and old in renamed:
            error.message = error.message.replace(old, renamed[old])
            error.field = renamed[old]
        raise


# --- information gathered ---------------------------------------------------------------


@_post("observations", "Record an observation", "record.observation")
def observation(
    child_id: UUID, body: s.ObservationIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """An observation of the child in one area of learning."""
    write = _admit(svc, user, child_id, body, if_match, "record.observation")
    return write.run(ChildRecords.record_observation, ev.ObservationRecorded)


@_post("tracking", "Record a tracking assessment", "record.tracking")
def tracking(
    child_id: UUID, body: s.TrackingIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """The developmental band reached in one area (EYFS tracking)."""
    write = _admit(svc, user, child_id, body, if_match, "record.tracking")
    return write.run(ChildRecords.assess_tracking, ev.TrackingAssessed)


@_post("progress-checks", "Record the progress check at two", "record.progress_check")
def progress_check(
    child_id: UUID,
    body: s.ProgressCheckIn,
    svc: ServicesDep,
    user: UserDep,
    if_match: IfMatch = None,
) -> s.RecordCreated:
    """The EYFS progress check at age two."""
    write = _admit(svc, user, child_id, body, if_match, "record.progress_check")
    return write.run(ChildRecords.record_progress_check, ev.ProgressCheckAtTwoRecorded)


@_post("attendance", "Record attendance over a period", "record.attendance")
def attendance(
    child_id: UUID, body: s.AttendanceIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """Sessions possible and attended between two dates."""
    write = _admit(svc, user, child_id, body, if_match, "record.attendance")
    return write.run(ChildRecords.record_attendance, ev.AttendanceRecorded)


@_post("concerns", "Raise a concern", "record.concern")
def concern(
    child_id: UUID, body: s.ConcernIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """A concern about one or more areas of development."""
    write = _admit(svc, user, child_id, body, if_match, "record.concern")
    return write.run(ChildRecords.raise_concern, ev.ConcernRaised)


@_post("discussions", "Record a key person / SENCO discussion", "record.discussion")
def discussion(
    child_id: UUID, body: s.DiscussionIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """A discussion ending in one of the setting's outcomes, with hypothesis and actions."""
    write = _admit(svc, user, child_id, body, if_match, "record.discussion")
    return write.run(ChildRecords.hold_discussion, ev.DiscussionHeld)


# --- SEN support ------------------------------------------------------------------------


@_post(
    "parent-notifications",
    "Record that parents were told SEN provision is starting",
    "record.parent_notification",
)
def parent_notification(
    child_id: UUID,
    body: s.ParentNotificationIn,
    svc: ServicesDep,
    user: UserDep,
    if_match: IfMatch = None,
) -> s.RecordCreated:
    """Parents formally notified that SEN provision starts (CoP 6.43)."""
    write = _admit(svc, user, child_id, body, if_match, "record.parent_notification")
    return write.run(ChildRecords.notify_parent, ev.ParentNotified)


@_post("sen-status", "Change SEN status", "record.sen_status")
def sen_status(
    child_id: UUID, body: s.SenStatusIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """SEN status (N, K, E) with the DfE need codes and the primary need."""
    write = _admit(svc, user, child_id, body, if_match, "record.sen_status")
    return write.run(ChildRecords.change_sen_status, ev.SenStatusChanged)


@_post("consents", "Record a consent given or refused", "record.consent")
def consent(
    child_id: UUID, body: s.ConsentIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """A parent's decision on one purpose (and, for a referral, one named service)."""
    write = _admit(svc, user, child_id, body, if_match, "record.consent")
    fields = {"consent_id": body.consent_id, "purpose": body.purpose, "service": body.service}
    if body.decision == "given":
        return write.run(
            ChildRecords.give_consent,
            ev.ConsentGiven,
            payload={**fields, "given_by": body.person_id},
            renamed={"given_by": "person_id"},
        )
    return write.run(
        ChildRecords.refuse_consent,
        ev.ConsentRefused,
        payload={**fields, "refused_by": body.person_id},
        renamed={"refused_by": "person_id"},
    )


@_post("consents/{consent_id}/withdrawal", "Withdraw a consent", "record.consent")
def consent_withdrawal(
    child_id: UUID,
    consent_id: PathIdent,
    body: s.ConsentWithdrawalIn,
    svc: ServicesDep,
    user: UserDep,
    if_match: IfMatch = None,
) -> s.RecordCreated:
    """A consent given earlier is withdrawn."""
    write = _admit(svc, user, child_id, body, if_match, "record.consent")
    return write.run(
        ChildRecords.withdraw_consent,
        ev.ConsentWithdrawn,
        payload={"consent_id": consent_id, "withdrawn_by": body.person_id},
        renamed={"withdrawn_by": "person_id"},
    )


@_post("plans", "Issue a support plan", "record.plan")
def plan(
    child_id: UUID, body: s.PlanIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """An SEN support plan: measurable outcomes with target dates, and a review date."""
    write = _admit(svc, user, child_id, body, if_match, "record.plan")
    return write.run(ChildRecords.issue_plan, ev.SupportPlanIssued)


@_post("plans/{plan_id}/revisions", "Revise a support plan", "record.plan")
def plan_revision(
    child_id: UUID,
    plan_id: PathIdent,
    body: s.PlanRevisionIn,
    svc: ServicesDep,
    user: UserDep,
    if_match: IfMatch = None,
) -> s.RecordCreated:
    """New outcomes, provisions or review date for a plan."""
    write = _admit(svc, user, child_id, body, if_match, "record.plan")
    payload = {"plan_id": plan_id, **body.payload()}
    return write.run(ChildRecords.revise_plan, ev.SupportPlanRevised, payload=payload)


@_post("provisions", "Start a provision", "record.provision")
def provision(
    child_id: UUID, body: s.ProvisionIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """An intervention or support, costed for the provision map."""
    write = _admit(svc, user, child_id, body, if_match, "record.provision")
    return write.run(ChildRecords.start_provision, ev.ProvisionStarted)


@_post("provisions/{provision_id}/changes", "Change a provision", "record.provision")
def provision_change(
    child_id: UUID,
    provision_id: PathIdent,
    body: s.ProvisionChangeIn,
    svc: ServicesDep,
    user: UserDep,
    if_match: IfMatch = None,
) -> s.RecordCreated:
    """How a running provision is delivered or funded changes."""
    write = _admit(svc, user, child_id, body, if_match, "record.provision")
    payload = {"provision_id": provision_id, **body.payload()}
    return write.run(ChildRecords.change_provision, ev.ProvisionChanged, payload=payload)


@_post("provisions/{provision_id}/end", "End a provision", "record.provision")
def provision_end(
    child_id: UUID,
    provision_id: PathIdent,
    body: s.ProvisionEndIn,
    svc: ServicesDep,
    user: UserDep,
    if_match: IfMatch = None,
) -> s.RecordCreated:
    """A provision ends (never before it started)."""
    write = _admit(svc, user, child_id, body, if_match, "record.provision")
    payload = {"provision_id": provision_id, **body.payload()}
    return write.run(ChildRecords.end_provision, ev.ProvisionEnded, payload=payload)


@_post("sessions", "Log a session delivered or missed", "record.session")
def session(
    child_id: UUID, body: s.SessionIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """Fidelity: a session delivered (with minutes) or missed (with a reason)."""
    write = _admit(svc, user, child_id, body, if_match, "record.session")
    where = {"provision_id": body.provision_id, "session_date": body.session_date}
    if body.delivered:
        if body.minutes is None:
            raise InvalidValue("minutes is required for a delivered session", field="minutes")
        if body.reason is not None:
            raise InvalidValue("reason is only for a missed session", field="reason")
        return write.run(
            ChildRecords.deliver_session,
            ev.SessionDelivered,
            payload={**where, "minutes": body.minutes, "notes": body.notes},
        )
    if body.reason is None:
        raise InvalidValue("reason is required for a missed session", field="reason")
    if body.minutes is not None or body.notes:
        field = "minutes" if body.minutes is not None else "notes"
        raise InvalidValue(f"{field} is only for a delivered session", field=field)
    return write.run(
        ChildRecords.miss_session, ev.SessionMissed, payload={**where, "reason": body.reason}
    )


@_post("reviews", "Hold a review", "record.review")
def review(
    child_id: UUID, body: s.ReviewIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """Progress per outcome, impact per provision, reflection and a decision."""
    write = _admit(svc, user, child_id, body, if_match, "record.review")
    return write.run(ChildRecords.hold_review, ev.ReviewHeld)


# --- outside advice ---------------------------------------------------------------------


@_post("referrals", "Make a referral", "record.referral")
def referral(
    child_id: UUID, body: s.ReferralIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """A referral to an outside service, under a live consent for it."""
    write = _admit(svc, user, child_id, body, if_match, "record.referral")
    return write.run(ChildRecords.make_referral, ev.ReferralMade)


@_post(
    "professional-contacts",
    "Record a contact with an outside professional",
    "record.professional_contact",
)
def professional_contact(
    child_id: UUID,
    body: s.ProfessionalContactIn,
    svc: ServicesDep,
    user: UserDep,
    if_match: IfMatch = None,
) -> s.RecordCreated:
    """A call, visit or meeting, only with the parents' agreement (CoP 6.47)."""
    write = _admit(svc, user, child_id, body, if_match, "record.professional_contact")
    return write.run(ChildRecords.record_contact, ev.ProfessionalContact)


@_post("reports", "Receive a report", "record.report")
def report(
    child_id: UUID, body: s.ReportIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """A report from an outside professional, with its recommendations."""
    write = _admit(svc, user, child_id, body, if_match, "record.report")
    return write.run(ChildRecords.receive_report, ev.ReportReceived)


@_post(
    "reports/{report_id}/recommendations/{recommendation_id}/actions",
    "Record what was done with a recommendation",
    "record.recommendation_action",
)
def recommendation_action(
    child_id: UUID,
    report_id: PathIdent,
    recommendation_id: PathIdent,
    body: s.RecommendationActionIn,
    svc: ServicesDep,
    user: UserDep,
    if_match: IfMatch = None,
) -> s.RecordCreated:
    """One recommendation actioned, partly actioned or not, and why."""
    write = _admit(svc, user, child_id, body, if_match, "record.recommendation_action")
    payload = {"report_id": report_id, "recommendation_id": recommendation_id, **body.payload()}
    return write.run(ChildRecords.action_recommendation, ev.RecommendationActioned, payload=payload)


# --- voices and people ------------------------------------------------------------------


def _own_person(user: User, person_id: str) -> None:
    """A parent writes only as the linked person their account is bound to."""
    if user.role != "parent":
        return
    if user.person_id is None:
        raise HTTPException(403, "this parent account is bound to no linked person")
    if person_id != user.person_id:
        raise HTTPException(403, "a parent writes only as their own linked person")


@_post("parent-views", "Record a parent's view", "record.parent_view")
def parent_view(
    child_id: UUID, body: s.ParentViewIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """A parent's own words, attributed to a linked person and never overwritten.
    Parents may record their own."""
    write = _admit(svc, user, child_id, body, if_match, "record.parent_view")
    _own_person(user, body.person_id)
    return write.run(ChildRecords.record_parent_view, ev.ParentViewRecorded)


@_post("child-views", "Record the child's view", "record.child_view")
def child_view(
    child_id: UUID, body: s.ChildViewIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """The child's own voice, and how it was gathered."""
    write = _admit(svc, user, child_id, body, if_match, "record.child_view")
    return write.run(ChildRecords.record_child_view, ev.ChildViewRecorded)


@_post("people", "Link a person to the child", "record.person")
def person(
    child_id: UUID, body: s.PersonIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """A parent, carer or other person, with or without parental responsibility."""
    write = _admit(svc, user, child_id, body, if_match, "record.person")
    return write.run(ChildRecords.link_person, ev.PersonLinked)


# --- EHC needs assessment ---------------------------------------------------------------


@_post("ehc/request", "Submit an EHC needs assessment request", "record.ehc_step")
def ehc_request(
    child_id: UUID, body: s.EhcRequestIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """The request to the local authority."""
    write = _admit(svc, user, child_id, body, if_match, "record.ehc_step")
    return write.run(ChildRecords.submit_ehc_request, ev.EhcRequestSubmitted)


@_post("ehc/decision", "Record the LA's decision whether to assess", "record.ehc_step")
def ehc_decision(
    child_id: UUID, body: s.EhcDecisionIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """Assess or not: follows a request."""
    write = _admit(svc, user, child_id, body, if_match, "record.ehc_step")
    return write.run(ChildRecords.record_ehc_decision, ev.EhcDecisionRecorded)


@_post("ehc/advice", "Record advice received for the assessment", "record.ehc_step")
def ehc_advice(
    child_id: UUID, body: s.EhcAdviceIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """Advice gathered while the LA assesses."""
    write = _admit(svc, user, child_id, body, if_match, "record.ehc_step")
    return write.run(ChildRecords.receive_ehc_advice, ev.EhcAdviceReceived)


@_post("ehc/draft", "Record the draft EHC plan", "record.ehc_step")
def ehc_draft(
    child_id: UUID, body: s.EhcDraftIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """The draft plan was issued (parents have 15 days to comment)."""
    write = _admit(svc, user, child_id, body, if_match, "record.ehc_step")
    return write.run(ChildRecords.issue_ehc_draft, ev.EhcDraftIssued)


@_post("ehc/final", "Record the final EHC plan (or a decision not to issue)", "record.ehc_step")
def ehc_final(
    child_id: UUID, body: s.EhcFinalIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """The final plan issued, or the LA's decision not to issue one."""
    write = _admit(svc, user, child_id, body, if_match, "record.ehc_step")
    return write.run(ChildRecords.finalise_ehc_plan, ev.EhcPlanFinalised)


@_post("ehc/annual-reviews", "Record an EHC plan annual review", "record.ehc_step")
def ehc_annual_review(
    child_id: UUID,
    body: s.EhcAnnualReviewIn,
    svc: ServicesDep,
    user: UserDep,
    if_match: IfMatch = None,
) -> s.RecordCreated:
    """An annual review of a finalised EHC plan."""
    write = _admit(svc, user, child_id, body, if_match, "record.ehc_step")
    return write.run(ChildRecords.hold_ehc_annual_review, ev.EhcAnnualReviewHeld)


# --- the record about the record --------------------------------------------------------


@_post("corrections", "Correct an entry", "record.correction")
def correction(
    child_id: UUID, body: s.CorrectionIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """A supplementary statement beside an earlier entry, which stays as it was.
    Parents may correct the entries they recorded themselves."""
    write = _admit(svc, user, child_id, body, if_match, "record.correction")
    _readable_target(write, body.supersedes, "supersedes")
    if user.role == "parent":
        target = next(
            (e for e in svc.records.history(child_id) if e.originator_version == body.supersedes),
            None,
        )
        # An unknown target is left to the domain (409 naming supersedes).
        if target is not None and target.recorded_by.user != user.user_id:
            raise HTTPException(403, "a parent can correct only the entries they recorded")
    return write.run(ChildRecords.correct, ev.RecordCorrected)


@_post("mistakes", "Mark an entry mistaken", "record.mistake")
def mistake(
    child_id: UUID, body: s.MistakeIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """Flag an entry as a mistake: it is kept and shown as such."""
    write = _admit(svc, user, child_id, body, if_match, "record.mistake")
    _readable_target(write, body.target_version, "target_version")
    return write.run(ChildRecords.mark_mistaken, ev.EntryMarkedMistaken)


@_post("disputes", "Dispute an entry", "record.dispute")
def dispute(
    child_id: UUID, body: s.DisputeIn, svc: ServicesDep, user: UserDep, if_match: IfMatch = None
) -> s.RecordCreated:
    """A parent's comment beside an entry they disagree with; the entry stays."""
    write = _admit(svc, user, child_id, body, if_match, "record.dispute")
    _readable_target(write, body.target_version, "target_version")
    _own_person(user, body.person_id)
    return write.run(ChildRecords.dispute, ev.EntryDisputed)
