"""Controlled vocabularies of the SEN world (DOMAIN.md).

A `Vocabulary` is a closed set of codes with labels. Settings may extend some of them
(the discussion outcomes, for instance) through configuration; the default terms can
never be removed, so stored events always stay readable.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from domain.errors import InvalidValue


@dataclass(frozen=True)
class Vocabulary:
    """A named set of codes, each with a human label."""

    name: str
    terms: Mapping[str, str] = field(default_factory=dict)

    def __contains__(self, code: object) -> bool:
        return code in self.terms

    def __iter__(self) -> Iterator[str]:
        return iter(self.terms)

    def label(self, code: str) -> str:
        """The human label of `code` (the code itself if unknown)."""
        return self.terms.get(code, code)

    def check(self, code: str, *, field_name: str) -> str:
        """Return `code` if it is a term, else raise `InvalidValue` naming the field."""
        if code not in self.terms:
            allowed = ", ".join(sorted(self.terms))
            raise InvalidValue(
                f"{field_name} must be one of the {self.name} vocabulary: {allowed}",
                field=field_name,
            )
        return code

    def extended(self, extra: Mapping[str, str]) -> Vocabulary:
        """A copy with extra terms; existing codes keep their meaning."""
        clash = [code for code in extra if code in self.terms and extra[code] != self.terms[code]]
        if clash:
            raise InvalidValue(
                f"cannot redefine {self.name} terms: {', '.join(sorted(clash))}",
                field=self.name,
            )
        return Vocabulary(self.name, {**self.terms, **extra})


def vocabulary(name: str, pairs: Iterable[tuple[str, str]]) -> Vocabulary:
    """Build a vocabulary from (code, label) pairs."""
    return Vocabulary(name, dict(pairs))


PRECISIONS = vocabulary(
    "precision",
    [
        ("month", "Known to the month"),
        ("day", "Known to the day"),
        ("minute", "Known to the minute"),
    ],
)

ROLES = vocabulary(
    "role",
    [
        ("admin", "Setting administrator"),
        ("senco", "SENCO"),
        ("practitioner", "Key person / practitioner"),
        ("parent", "Parent or carer"),
        ("inspector", "Inspector / LA caseworker"),
        ("system", "sendtrail itself"),
    ],
)

BASES = vocabulary(
    "basis",
    [
        ("fact", "Fact"),
        ("professional_opinion", "Professional opinion"),
        ("parent_view", "Parent's view"),
        ("child_voice", "Child's voice"),
        ("third_party_report", "Third-party report"),
        ("imported", "Imported from another system"),
    ],
)

SENSITIVITIES = vocabulary(
    "sensitivity",
    [
        ("normal", "Normal"),
        ("third_party", "Contains third-party information (withheld on subject access)"),
        ("restricted", "Restricted: SENCO and admin only"),
    ],
)

# EYFS prime and specific areas, plus the four broad areas of need of the CoP.
AREAS = vocabulary(
    "area",
    [
        ("communication_language", "Communication and language"),
        ("physical", "Physical development"),
        ("personal_social_emotional", "Personal, social and emotional development"),
        ("literacy", "Literacy"),
        ("mathematics", "Mathematics"),
        ("understanding_world", "Understanding the world"),
        ("expressive_arts", "Expressive arts and design"),
        ("attendance", "Attendance"),
        ("general", "General development"),
    ],
)

BROAD_AREAS = vocabulary(
    "broad_area",
    [
        ("communication_interaction", "Communication and interaction"),
        ("cognition_learning", "Cognition and learning"),
        ("semh", "Social, emotional and mental health"),
        ("sensory_physical", "Sensory and/or physical"),
    ],
)

# DfE SEN need codes and the broad area each belongs to.
NEED_CODES = vocabulary(
    "need_code",
    [
        ("SPLD", "Specific learning difficulty"),
        ("MLD", "Moderate learning difficulty"),
        ("SLD", "Severe learning difficulty"),
        ("PMLD", "Profound and multiple learning difficulty"),
        ("SEMH", "Social, emotional and mental health"),
        ("SLCN", "Speech, language and communication needs"),
        ("HI", "Hearing impairment"),
        ("VI", "Visual impairment"),
        ("MSI", "Multi-sensory impairment"),
        ("PD", "Physical disability"),
        ("ASD", "Autistic spectrum disorder"),
        ("OTH", "Other difficulty or disability"),
        ("NSA", "SEN support but no specialist assessment of type of need"),
    ],
)

NEED_BROAD_AREA: Mapping[str, str] = {
    "SPLD": "cognition_learning",
    "MLD": "cognition_learning",
    "SLD": "cognition_learning",
    "PMLD": "cognition_learning",
    "SEMH": "semh",
    "SLCN": "communication_interaction",
    "ASD": "communication_interaction",
    "HI": "sensory_physical",
    "VI": "sensory_physical",
    "MSI": "sensory_physical",
    "PD": "sensory_physical",
}

SEN_STATUSES = vocabulary(
    "sen_status", [("N", "No special educational need"), ("K", "SEN support"), ("E", "EHC plan")]
)

DISCUSSION_OUTCOMES = vocabulary(
    "discussion_outcome",
    [
        ("no_current_concern", "No current concern: keep monitoring"),
        ("agreed_concern_monitor", "Agreed concern: monitor and engage parents"),
        ("different_views", "Different views: both recorded, keep monitoring, ask parents"),
        ("high_concern_seek_advice", "High concern: seek advice outside the setting"),
    ],
)

CONCERN_LEVELS = vocabulary(
    "concern_level", [("low", "Low"), ("medium", "Medium"), ("high", "High")]
)

CONSENT_PURPOSES = vocabulary(
    "consent_purpose",
    [
        ("referral", "Referral to a named service"),
        ("share_with_la", "Share the record with the local authority"),
        ("share_with_health", "Share with health services"),
        ("share_with_social_care", "Share with social care"),
        ("contact_professional", "Contact an outside professional"),
        ("photographs", "Photographs for the learning record"),
    ],
)

NOTIFICATION_METHODS = vocabulary(
    "notification_method",
    [("meeting", "Meeting"), ("letter", "Letter"), ("phone", "Phone"), ("email", "Email")],
)

FUNDING_SOURCES = vocabulary(
    "funding_source",
    [
        ("core", "Setting's core offer"),
        ("additional", "Additional to the core offer (setting's SEN budget)"),
        ("la_top_up", "Local authority top-up / inclusion fund"),
        ("health", "Health"),
        ("ehc_plan", "EHC plan funding"),
    ],
)

STAFF_GRADES = vocabulary(
    "staff_grade",
    [
        ("practitioner", "Practitioner / teaching assistant"),
        ("senior_practitioner", "Senior practitioner / HLTA"),
        ("teacher", "Teacher"),
        ("senco", "SENCO"),
        ("specialist", "Specialist (e.g. SALT, OT, EP)"),
    ],
)

PROGRESS = vocabulary(
    "progress",
    [
        ("not_met", "Not met"),
        ("partly_met", "Partly met"),
        ("met", "Met"),
        ("exceeded", "Exceeded"),
    ],
)

IMPACT = vocabulary(
    "impact",
    [
        ("none", "No impact"),
        ("some", "Some impact"),
        ("good", "Good impact"),
        ("unclear", "Unclear"),
    ],
)

REVIEW_DECISIONS = vocabulary(
    "review_decision",
    [("continue", "Continue"), ("change", "Change"), ("stop", "Stop"), ("escalate", "Escalate")],
)

RECOMMENDATION_ACTIONS = vocabulary(
    "recommendation_action",
    [
        ("actioned", "Actioned"),
        ("partly_actioned", "Partly actioned"),
        ("not_actioned", "Not actioned"),
    ],
)

CONTACT_KINDS = vocabulary(
    "contact_kind",
    [
        ("call", "Call"),
        ("visit", "Visit"),
        ("meeting", "Meeting"),
        ("email", "Email"),
        ("letter", "Letter"),
    ],
)

EHC_DECISIONS = vocabulary(
    "ehc_decision", [("assess", "Agreed to assess"), ("not_assess", "Refused to assess")]
)

EHC_FINAL_DECISIONS = vocabulary(
    "ehc_final_decision", [("issue", "Plan issued"), ("not_issue", "Decided not to issue a plan")]
)

# Why an LA ceases to maintain an EHC plan (SEND Code of Practice 9.199-9.210).
EHC_CEASE_REASONS = vocabulary(
    "ehc_cease_reason",
    [
        ("no_longer_needed", "No longer necessary for the plan to be maintained"),
        ("moved_to_another_la", "Moved to another local authority's area"),
        ("left_education", "Left education or training (employment, higher education)"),
        ("aged_out", "Reached the age of 25"),
    ],
)
