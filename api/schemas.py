"""Request and response bodies of the record routes (one POST per kind of record).

Limits mirror the domain (domain/rules.py, domain/child.py) so that OpenAPI tells a client
what will be refused; the domain still checks everything itself. Closed vocabularies are
`Literal`s built from domain/vocabulary.py, so the two can never drift apart.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

from domain.envelope import MAX_ATTACHMENTS
from domain.rules import LONG, SHORT
from domain.vocabulary import (
    AREAS,
    BASES,
    CONCERN_LEVELS,
    CONSENT_PURPOSES,
    CONTACT_KINDS,
    DISCUSSION_OUTCOMES,
    EHC_CEASE_REASONS,
    EHC_DECISIONS,
    EHC_FINAL_DECISIONS,
    FUNDING_SOURCES,
    IMPACT,
    NEED_CODES,
    NOTIFICATION_METHODS,
    PROGRESS,
    RECOMMENDATION_ACTIONS,
    REVIEW_DECISIONS,
    SEN_STATUSES,
    SENSITIVITIES,
    STAFF_GRADES,
    Vocabulary,
)

IDENT_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
MAX_VERSION = 2**31 - 1


def one_of(vocabulary: Vocabulary) -> Any:
    """A `Literal` of the vocabulary's codes (OpenAPI shows them as an enum)."""
    return Literal[tuple(vocabulary)]


# mypy sees plain strings; pydantic (at run time) sees the closed sets of codes.
if TYPE_CHECKING:
    Area: TypeAlias = str
    Basis: TypeAlias = str
    Sensitivity: TypeAlias = str
    ConcernLevel: TypeAlias = str
    ConsentPurpose: TypeAlias = str
    ContactKind: TypeAlias = str
    EhcDecision: TypeAlias = str
    EhcFinalDecision: TypeAlias = str
    EhcCeaseReason: TypeAlias = str
    FundingSource: TypeAlias = str
    Impact: TypeAlias = str
    NeedCode: TypeAlias = str
    NotificationMethod: TypeAlias = str
    Progress: TypeAlias = str
    RecommendationAction: TypeAlias = str
    ReviewDecision: TypeAlias = str
    SenStatus: TypeAlias = str
    StaffGrade: TypeAlias = str
else:
    Area = one_of(AREAS)
    Basis = one_of(BASES)
    Sensitivity = one_of(SENSITIVITIES)
    ConcernLevel = one_of(CONCERN_LEVELS)
    ConsentPurpose = one_of(CONSENT_PURPOSES)
    ContactKind = one_of(CONTACT_KINDS)
    EhcDecision = one_of(EHC_DECISIONS)
    EhcFinalDecision = one_of(EHC_FINAL_DECISIONS)
    EhcCeaseReason = one_of(EHC_CEASE_REASONS)
    FundingSource = one_of(FUNDING_SOURCES)
    Impact = one_of(IMPACT)
    NeedCode = one_of(NEED_CODES)
    NotificationMethod = one_of(NOTIFICATION_METHODS)
    Progress = one_of(PROGRESS)
    RecommendationAction = one_of(RECOMMENDATION_ACTIONS)
    ReviewDecision = one_of(REVIEW_DECISIONS)
    SenStatus = one_of(SEN_STATUSES)
    StaffGrade = one_of(STAFF_GRADES)

ShortText = Annotated[str, Field(min_length=1, max_length=SHORT)]
LongText = Annotated[str, Field(min_length=1, max_length=LONG)]
OptionalLongText = Annotated[str, Field(max_length=LONG)]
Ident = Annotated[
    str,
    Field(
        pattern=IDENT_PATTERN,
        description="An opaque id on this record: 1-64 letters, digits, '-' or '_'.",
    ),
]
Version = Annotated[
    int, Field(strict=True, ge=1, le=MAX_VERSION, description="A version of this record.")
]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _occurred_at(
    value: object, _handler: ValidatorFunctionWrapHandler, _info: ValidationInfo
) -> date | datetime:
    """A date only when written as YYYY-MM-DD; anything longer is a date-time and needs a
    zone. (pydantic's own union would read "2025-03-10T00:00:00+05:00" as a bare date.)"""
    rule = "must be an ISO 8601 date, or a date-time with a time zone"
    parsed: date | datetime
    if isinstance(value, date):  # Python callers: a date or a datetime as it is
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = (
                date.fromisoformat(value) if ISO_DAY.match(value) else datetime.fromisoformat(value)
            )
        except ValueError:
            raise PydanticCustomError("occurred_at", rule) from None
    else:
        raise PydanticCustomError("occurred_at", rule)
    if isinstance(parsed, datetime):
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise PydanticCustomError("occurred_at", "a date-time must carry a time zone")
        try:
            parsed.astimezone(UTC)
        except OverflowError:
            raise PydanticCustomError("occurred_at", "is out of range") from None
    return parsed


def _iso_day(value: object) -> object:
    """Dates come as YYYY-MM-DD strings, not numbers or date-times."""
    if isinstance(value, str) and ISO_DAY.match(value):
        return value
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise PydanticCustomError("date", "must be an ISO 8601 date (YYYY-MM-DD)")


# The calendar dates a record can sensibly name. Outside them the projections' date
# arithmetic (academic terms, review windows, deadlines) means nothing and overflows.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)
WorldDay = Annotated[date, Field(ge=EARLIEST_DAY, le=LATEST_DAY)]

Day = Annotated[
    WorldDay,
    BeforeValidator(_iso_day),
    Field(description="A calendar date (YYYY-MM-DD), 1900-01-01 to 2999-12-31."),
]


def _record_time(value: datetime) -> datetime:
    """A record time names an instant: it carries a zone, and exists in UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError("record_time", "must carry a time zone")
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("record_time", "is out of range") from None
    return value


RecordTime = Annotated[datetime, AfterValidator(_record_time)]

OccurredAt = Annotated[
    date | datetime,
    WrapValidator(_occurred_at),
    Field(
        description="When it happened in the world: a date (known to the day) or a date-time "
        "with a time zone (known to the minute). Never in the future.",
    ),
]


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples)})


# --- the envelope part every entry shares ------------------------------------------------


class Entry(BaseModel):
    """What every entry carries besides its own payload."""

    model_config = ConfigDict(extra="forbid")

    expected_version: Version | None = Field(
        default=None,
        description="The record's current version (or send it as an If-Match header). "
        "A stale one gives 409 and stores nothing.",
    )
    occurred_at: OccurredAt
    basis: Basis = Field(default="fact", description="On what the entry rests.")
    sensitivity: Sensitivity = "normal"
    attachments: list[Sha256] = Field(
        default_factory=list,
        max_length=MAX_ATTACHMENTS,
        description="SHA-256 digests (lower-case hex) of documents already uploaded to "
        "this child's record (POST /v1/children/{id}/documents); the entry records each "
        "file's digest, name, media type and size.",
    )

    def payload(self) -> dict[str, Any]:
        """The kind-specific fields, as the application command takes them."""
        return self.model_dump(exclude=set(Entry.model_fields))


ENVELOPE = {"expected_version": 7, "occurred_at": "2025-03-10"}


# --- information gathered ------------------------------------------------------------------


class ObservationIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "area": "communication_language",
            "notes": "Pointed to the bus and said 'bus' twice during outdoor play.",
            "observer": "Key person",
        }
    )

    area: Area
    notes: LongText
    observer: ShortText


class TrackingIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "area": "communication_language",
            "band": "16-26 months",
            "months_low": 16,
            "months_high": 26,
            "chronological_months": 34,
        }
    )

    area: Area
    band: ShortText
    months_low: int = Field(strict=True, ge=0, le=240)
    months_high: int = Field(strict=True, ge=0, le=240)
    chronological_months: int = Field(strict=True, ge=0, le=240)


class ProgressCheckIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "summary": "Speaks in single words; plays alongside others.",
            "areas_of_concern": ["communication_language"],
        }
    )

    summary: LongText
    areas_of_concern: list[Area] = Field(default_factory=list, max_length=len(AREAS.terms))


class AttendanceIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "period_start": "2025-01-06",
            "period_end": "2025-02-14",
            "sessions_possible": 60,
            "sessions_attended": 52,
        }
    )

    period_start: Day
    period_end: Day
    sessions_possible: int = Field(strict=True, ge=0, le=1000)
    sessions_attended: int = Field(strict=True, ge=0, le=1000)


class ConcernIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "concern_id": "c-1",
            "areas": ["communication_language"],
            "level": "medium",
            "description": "Few words at 2 years 10 months; frustration at drop-off.",
        }
    )

    concern_id: Ident
    areas: list[Area] = Field(min_length=1, max_length=len(AREAS.terms))
    level: ConcernLevel
    description: LongText


class DiscussionIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "participants": ["Key person", "SENCO"],
            "outcome": "agreed_concern_monitor",
            "hypothesis": "Expressive language delay rather than hearing.",
            "evidence_needed": "Hearing test; six weeks of language observations.",
            "actions": ["Talk to parents this week", "Daily small-group story time"],
        }
    )

    basis: Basis = "professional_opinion"
    participants: list[ShortText] = Field(min_length=1, max_length=50)
    outcome: str = Field(
        min_length=1,
        max_length=64,
        description="One of the setting's discussion outcomes; by default: "
        + ", ".join(DISCUSSION_OUTCOMES),
        examples=list(DISCUSSION_OUTCOMES),
    )
    hypothesis: OptionalLongText = Field(
        default="", description="Required unless the outcome is no_current_concern."
    )
    evidence_needed: OptionalLongText = ""
    actions: list[LongText] = Field(default_factory=list, max_length=50)
    key_person_view: OptionalLongText = Field(
        default="", description="Required (with senco_view) for different_views."
    )
    senco_view: OptionalLongText = ""


# --- SEN support ----------------------------------------------------------------------------


class ParentNotificationIn(Entry):
    model_config = _examples({**ENVELOPE, "method": "meeting", "information_service_given": True})

    method: NotificationMethod
    information_service_given: bool = Field(
        description="Whether the LA's information, advice and support service was given."
    )


class SenStatusIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "status": "K",
            "need_codes": ["SLCN"],
            "primary_need": "SLCN",
            "reason": "SEN support plan agreed with parents.",
        }
    )

    status: SenStatus
    need_codes: list[NeedCode] = Field(default_factory=list, max_length=len(NEED_CODES.terms))
    primary_need: NeedCode | None = Field(
        default=None, description="One of need_codes; required for status K or E."
    )
    reason: OptionalLongText = ""


class ConsentIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "decision": "given",
            "consent_id": "salt",
            "purpose": "referral",
            "service": "Speech and language therapy",
            "person_id": "parent-1",
        }
    )

    decision: Literal["given", "refused"]
    consent_id: Ident
    purpose: ConsentPurpose
    service: Annotated[str, Field(max_length=SHORT)] = Field(
        default="", description="The named service; required for a referral consent."
    )
    person_id: Ident = Field(description="The linked person who gave or refused consent.")


class ConsentWithdrawalIn(Entry):
    model_config = _examples({**ENVELOPE, "person_id": "parent-1"})

    person_id: Ident = Field(description="The linked person who withdrew consent.")


class OutcomeIn(BaseModel):
    """One outcome of a plan: specific, measurable, with a target date."""

    model_config = _examples(
        {
            "outcome_id": "o1",
            "description": "Will follow a two-step instruction in a small group.",
            "area": "communication_language",
            "target_date": "2025-05-23",
        }
    )

    outcome_id: Ident
    description: LongText
    area: Area
    target_date: Day


PLAN_OUTCOME = {
    "outcome_id": "o1",
    "description": "Will follow a two-step instruction in a small group.",
    "area": "communication_language",
    "target_date": "2025-05-23",
}


class PlanIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "plan_id": "plan-1",
            "start_date": "2025-03-10",
            "review_date": "2025-05-23",
            "outcomes": [PLAN_OUTCOME],
            "provision_ids": ["prov-1"],
            "shared_with_parents": True,
        }
    )

    plan_id: Ident
    start_date: Day
    review_date: Day = Field(description="After start_date.")
    outcomes: list[OutcomeIn] = Field(min_length=1, max_length=50)
    provision_ids: list[Ident] = Field(default_factory=list, max_length=50)
    shared_with_parents: bool


class PlanRevisionIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "review_date": "2025-06-20",
            "outcomes": [PLAN_OUTCOME],
            "provision_ids": ["prov-1"],
            "reason": "Review moved after a long absence.",
        }
    )

    review_date: Day
    outcomes: list[OutcomeIn] = Field(min_length=1, max_length=50)
    provision_ids: list[Ident] = Field(default_factory=list, max_length=50)
    reason: LongText


Cost = Annotated[
    Decimal,
    Field(ge=0, le=10_000_000, decimal_places=2, description="Pounds, at most two decimals."),
]


# The unit of each number a provision (or a change to it) carries.
GROUP_SIZE = "Children in the group."
SESSION_MINUTES = "Minutes a session."
SESSIONS_PER_WEEK = "Sessions a week."
WEEKS = "Length of the planned block, in weeks from start_date."
BLOCK_COST = (
    "Pounds for the whole planned block of `weeks` weeks (not per week or per session), "
    "at most two decimals; spread evenly over its weeks."
)
CHANGE_FROM = (
    " A change applies from its own date: to each week of the provision that starts on or "
    "after occurred_at; earlier weeks keep the terms they had."
)


class ProvisionIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "provision_id": "prov-1",
            "description": "Small-group language sessions",
            "area": "communication_language",
            "start_date": "2025-03-10",
            "group_size": 4,
            "session_minutes": 20,
            "sessions_per_week": 3,
            "weeks": 10,
            "staff_grade": "practitioner",
            "cost": "180.00",
            "funding_source": "core",
        }
    )

    provision_id: Ident
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    area: Area
    start_date: Day
    group_size: int = Field(strict=True, ge=1, le=60, description=GROUP_SIZE)
    session_minutes: int = Field(strict=True, ge=1, le=600, description=SESSION_MINUTES)
    sessions_per_week: int = Field(strict=True, ge=1, le=50, description=SESSIONS_PER_WEEK)
    weeks: int = Field(strict=True, ge=1, le=52, description=WEEKS)
    staff_grade: StaffGrade
    cost: Cost = Field(description=BLOCK_COST)
    funding_source: FundingSource


class ProvisionChanges(BaseModel):
    """The fields of a provision that change (at least one), each in the unit named."""

    model_config = _examples({"sessions_per_week": 4, "cost": "240.00"})

    description: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    group_size: int | None = Field(
        default=None, strict=True, ge=1, le=60, description=GROUP_SIZE + CHANGE_FROM
    )
    session_minutes: int | None = Field(
        default=None, strict=True, ge=1, le=600, description=SESSION_MINUTES + CHANGE_FROM
    )
    sessions_per_week: int | None = Field(
        default=None, strict=True, ge=1, le=50, description=SESSIONS_PER_WEEK + CHANGE_FROM
    )
    weeks: int | None = Field(default=None, strict=True, ge=1, le=52, description=WEEKS)
    staff_grade: StaffGrade | None = None
    cost: Cost | None = Field(
        default=None,
        description=BLOCK_COST
        + " The new cost is for the whole block as planned after the change."
        + CHANGE_FROM,
    )
    funding_source: FundingSource | None = Field(default=None, description=CHANGE_FROM.strip())


class ProvisionChangeIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "changes": {"sessions_per_week": 4, "cost": "240.00"},
            "reason": "A fourth session after the review.",
        }
    )

    changes: ProvisionChanges
    reason: LongText

    def payload(self) -> dict[str, Any]:
        return {"changes": self.changes.model_dump(exclude_none=True), "reason": self.reason}


class ProvisionEndIn(Entry):
    model_config = _examples(
        {**ENVELOPE, "end_date": "2025-03-07", "reason": "Outcome met at review."}
    )

    end_date: Day
    reason: LongText


class SessionIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "provision_id": "prov-1",
            "session_date": "2025-03-10",
            "delivered": True,
            "minutes": 20,
        },
        {
            **ENVELOPE,
            "provision_id": "prov-1",
            "session_date": "2025-03-10",
            "delivered": False,
            "reason": "Staff absence",
        },
    )

    provision_id: Ident
    session_date: Day
    delivered: bool = Field(description="True: give minutes (and notes); false: give reason.")
    minutes: int | None = Field(default=None, strict=True, ge=1, le=600)
    notes: OptionalLongText = ""
    reason: Annotated[str, Field(min_length=1, max_length=SHORT)] | None = None


class OutcomeProgressIn(BaseModel):
    """Progress towards one outcome of the plan under review."""

    model_config = _examples({"outcome_id": "o1", "progress": "partly_met", "note": ""})

    outcome_id: Ident
    progress: Progress
    note: OptionalLongText = ""


class ProvisionImpactIn(BaseModel):
    """The impact of one provision."""

    model_config = _examples({"provision_id": "prov-1", "impact": "some", "note": ""})

    provision_id: Ident
    impact: Impact
    note: OptionalLongText = ""


class ReviewIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "plan_id": "plan-1",
            "outcome_progress": [{"outcome_id": "o1", "progress": "partly_met"}],
            "provision_impact": [{"provision_id": "prov-1", "impact": "some"}],
            "reflection": "Responds better with visuals; delivery mostly consistent.",
            "decision": "continue",
            "next_review_date": "2025-06-20",
            "attendees": ["SENCO", "Parent"],
        }
    )

    basis: Basis = "professional_opinion"
    plan_id: Ident
    outcome_progress: list[OutcomeProgressIn] = Field(default_factory=list, max_length=50)
    provision_impact: list[ProvisionImpactIn] = Field(default_factory=list, max_length=50)
    reflection: OptionalLongText = ""
    decision: ReviewDecision
    next_review_date: Day | None = Field(
        default=None, description="After the review; required unless the decision is stop."
    )
    attendees: list[ShortText] = Field(default_factory=list, max_length=50)


# --- outside advice ----------------------------------------------------------------------


class ReferralIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "referral_id": "ref-salt",
            "service": "Speech and language therapy",
            "reason": "Expressive language delay.",
            "consent_id": "salt",
        }
    )

    referral_id: Ident
    service: ShortText
    reason: LongText
    consent_id: Ident = Field(description="A live consent for referral to this service.")


class ProfessionalContactIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "professional": "Demo Therapist",
            "professional_role": "Speech and language therapist",
            "service": "Speech and language therapy",
            "kind": "call",
            "summary": "Agreed a visit next month.",
        }
    )

    professional: ShortText
    professional_role: ShortText
    service: ShortText
    kind: ContactKind
    summary: LongText


class RecommendationIn(BaseModel):
    """One recommendation of a report."""

    model_config = _examples({"recommendation_id": "r1", "text": "Visual timetable"})

    recommendation_id: Ident
    text: LongText


class ReportIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "report_id": "salt-1",
            "author": "Demo Therapist",
            "author_role": "Speech and language therapist",
            "service": "Speech and language therapy",
            "report_date": "2025-03-03",
            "summary": "Receptive language around 18 months below age.",
            "recommendations": [
                {"recommendation_id": "r1", "text": "Visual timetable"},
                {"recommendation_id": "r2", "text": "Daily 1:1 vocabulary work"},
            ],
        }
    )

    basis: Basis = "third_party_report"
    report_id: Ident
    author: ShortText
    author_role: ShortText
    service: ShortText
    report_date: Day
    summary: LongText
    recommendations: list[RecommendationIn] = Field(default_factory=list, max_length=100)


class RecommendationActionIn(Entry):
    model_config = _examples(
        {**ENVELOPE, "action": "actioned", "detail": "Visual timetable in the room."}
    )

    action: RecommendationAction
    detail: LongText


# --- voices and people ---------------------------------------------------------------------


class ParentViewIn(Entry):
    model_config = _examples(
        {**ENVELOPE, "person_id": "parent-1", "view": "We see small steps at home too."}
    )

    basis: Basis = "parent_view"
    person_id: Ident = Field(description="The linked parent whose words these are.")
    view: LongText


class ChildViewIn(Entry):
    model_config = _examples(
        {**ENVELOPE, "view": "Likes the puppet game best.", "method": "Talking mat"}
    )

    basis: Basis = "child_voice"
    view: LongText
    method: ShortText = Field(description="How the child's view was gathered.")


class PersonIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "person_id": "parent-1",
            "name": "Demo Parent",
            "relationship": "mother",
            "parental_responsibility": True,
        }
    )

    person_id: Ident
    name: ShortText
    relationship: ShortText
    parental_responsibility: bool


# --- EHC needs assessment --------------------------------------------------------------------


class EhcRequestIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "request_date": "2025-03-10",
            "local_authority": "Demo County Council",
            "reason": "Needs exceed what SEN support can meet.",
        }
    )

    request_date: Day
    local_authority: ShortText
    reason: LongText


class EhcDecisionIn(Entry):
    model_config = _examples(
        {**ENVELOPE, "decision": "assess", "decision_date": "2025-03-07", "reason": ""}
    )

    decision: EhcDecision
    decision_date: Day
    reason: OptionalLongText = ""


class EhcAdviceIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "advice_from": "Educational psychology service",
            "advice_kind": "Psychological advice",
            "summary": "Significant language needs; recommends specialist input.",
        }
    )

    basis: Basis = "third_party_report"
    advice_from: ShortText
    advice_kind: ShortText
    summary: LongText


class EhcDraftIn(Entry):
    model_config = _examples({**ENVELOPE, "draft_date": "2025-03-07"})

    draft_date: Day


class EhcFinalIn(Entry):
    model_config = _examples({**ENVELOPE, "decision": "issue", "final_date": "2025-03-07"})

    decision: EhcFinalDecision
    final_date: Day


class EhcAnnualReviewIn(Entry):
    model_config = _examples(
        {**ENVELOPE, "review_date": "2025-03-07", "summary": "Plan continues; outcomes updated."}
    )

    review_date: Day
    summary: LongText


class EhcCeasedIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "cease_date": "2026-07-20",
            "reason": "no_longer_needed",
            "status_after": "K",
            "notes": "Outcomes met; SEN support continues.",
        }
    )

    cease_date: Day
    reason: EhcCeaseReason
    status_after: Literal["K", "N"] = Field(
        description="The SEN status once the plan ends: K (SEN support continues) or N."
    )
    notes: OptionalLongText = ""


# --- the record about the record ----------------------------------------------------------


class CorrectionIn(Entry):
    model_config = _examples(
        {**ENVELOPE, "supersedes": 3, "statement": "The session was on Tuesday, not Monday."}
    )

    supersedes: Version = Field(description="The version of the entry this corrects.")
    statement: LongText


class CorrectedValues(BaseModel):
    """The corrected values of the entry a correction names (only the fields given are
    replaced; the domain checks them by that entry's own rules). A SEN status change
    takes status (N or K), need_codes and primary_need together; a concern takes areas
    and/or level. Other kinds of entry take a statement only."""

    model_config = ConfigDict(extra="forbid")

    status: SenStatus | None = None
    need_codes: list[NeedCode] | None = Field(default=None, max_length=len(NEED_CODES.terms))
    primary_need: NeedCode | None = None
    areas: list[Area] | None = Field(default=None, max_length=len(AREAS.terms))
    level: ConcernLevel | None = None


class CorrectionWithValuesIn(CorrectionIn):
    """A correction that may carry the corrected values of its entry (the fields given
    replace those of the entry in every derived view; the entry itself stays as it was)."""

    model_config = _examples(
        {
            **ENVELOPE,
            "supersedes": 3,
            "statement": "The need identified was autism, not speech and language.",
            "values": {"status": "K", "need_codes": ["ASD"], "primary_need": "ASD"},
        }
    )

    values: CorrectedValues | None = Field(
        default=None, description="The corrected values of the entry's fields (optional)."
    )

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {"supersedes": self.supersedes, "statement": self.statement}
        if self.values is not None:  # only the fields given: None can be a value (N's need)
            out["values"] = self.values.model_dump(exclude_unset=True)
        return out


class MistakeIn(Entry):
    model_config = _examples(
        {**ENVELOPE, "target_version": 3, "reason": "Entered on the wrong child's record."}
    )

    target_version: Version
    reason: LongText


class DisputeIn(Entry):
    model_config = _examples(
        {
            **ENVELOPE,
            "target_version": 3,
            "person_id": "parent-1",
            "comment": "She was unwell that week; this is not how she usually is.",
        }
    )

    basis: Basis = "parent_view"
    target_version: Version
    person_id: Ident = Field(description="The linked person who disputes the entry.")
    comment: LongText


# --- where the child is, and who sees the record ----------------------------------------------


class EnrolmentIn(Entry):
    model_config = _examples({**ENVELOPE, "setting_id": "example-nursery"})

    setting_id: Ident = Field(description="The setting the child starts attending.")


class TransferIn(Entry):
    model_config = _examples({**ENVELOPE, "to_setting": "example-school"})

    to_setting: Ident = Field(description="The setting the child moves to.")


class LeavingIn(Entry):
    model_config = _examples(
        {**ENVELOPE, "destination": "Reception class, a local primary", "reason": "Age"}
    )

    destination: str = Field(default="", max_length=SHORT, description="Where to, if known.")
    reason: str = Field(default="", max_length=SHORT, description="Why, if known.")


class PlacementIn(Entry):
    model_config = _examples({**ENVELOPE, "room": "Butterflies", "key_person": "Sam Okafor"})

    room: ShortText = Field(description="The room, class or group the child is in.")
    key_person: str = Field(
        default="", max_length=SHORT, description="The child's key person, as staff call them."
    )


class ShareIn(Entry):
    model_config = _examples(
        {**ENVELOPE, "share_id": "la-1", "shared_with": "example-shire", "consent_id": "c2"}
    )

    share_id: Ident
    shared_with: Ident = Field(description="The body's code, as its users carry it.")
    consent_id: Ident = Field(description="A live consent with purpose share_with_la.")


class ShareWithdrawalIn(Entry):
    model_config = _examples({**ENVELOPE, "reason": "The LA's assessment ended."})

    reason: ShortText


# --- responses ---------------------------------------------------------------------------------


class RecordCreated(BaseModel):
    """What a successful write returns: the record's new version and the kind of entry."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "child_id": "3f2c9a4e-7b1d-4c8e-9a0f-2b6d5e8c1a7f",
                    "version": 8,
                    "kind": "ObservationRecorded",
                    "recorded_at": "2025-03-10T16:31:07.512000+00:00",
                }
            ]
        }
    )

    child_id: UUID
    version: int
    kind: str
    recorded_at: datetime = Field(
        description="When the store committed the entry (record time): ask `known_at` "
        "questions with it."
    )


class Problem(BaseModel):
    """An RFC 9457 problem: names the field and the rule, never the value sent."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://sendtrail.local/problems/version_conflict",
                    "title": "Conflict",
                    "status": 409,
                    "detail": "expected_version 7 is stale: the record is at version 8",
                    "field": "expected_version",
                    "current_version": 8,
                }
            ]
        }
    )

    type: str
    title: str
    status: int
    detail: str
    field: str | None = None
    current_version: int | None = Field(
        default=None, description="On a stale expected_version: the record's version now."
    )
    errors: list[dict[str, str]] | None = Field(
        default=None, description="On invalid input: every field broken and its rule."
    )
    request_id: str | None = Field(
        default=None,
        description="On an error of ours (500): the id the server's log line carries.",
    )
