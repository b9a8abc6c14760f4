"""The human report of an evidence bundle, in HTML and PDF: what an LA caseworker reads first.

It is built only from the bundle's views (plain JSON-ready dicts), so it states nothing the
signed data does not. Every statement names the entry it comes from ("entry 12"); corrections,
mistake marks and disputes are shown beside what they are about, never hidden. Rendering is
deterministic: the same input gives the same HTML string, and the same HTML and epoch give
the same PDF bytes. Nothing is fetched: the stylesheet is inlined and the chart is inline SVG.

This module derives what the views leave implicit (plan-and-review cycles, which
recommendation was actioned how, one readable sentence per entry); the template only lays
things out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from string import Formatter
from typing import Any

from jinja2 import Environment

from domain import vocabulary as vocab
from exporters import pdf
from exporters.report_chart import progress_chart, tracking_points
from exporters.templating import environment
from projections.wording import age_in_months, format_day, format_moment, format_money

SECTIONS: tuple[tuple[str, str], ...] = (
    ("child", "Child, setting and this request"),
    ("needs", "SEN status and needs"),
    ("plans", "Support plans and reviews"),
    ("provision", "Costed provision map"),
    ("progress", "Attainment and progress over time"),
    ("advice", "External reports and what was done"),
    ("voices", "The views of the parents and the child"),
    ("consents", "Consents and notifications to parents"),
    ("readiness", "Readiness hints"),
    ("ehc", "EHC statutory timeline"),
    ("chronology", "Appendix: chronology of every entry"),
    ("verify", "How to verify this bundle"),
)
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CHART_TITLE = "Developmental band against chronological age, by area"
SETTING_KINDS = ("ChildRegistered", "ChildEnrolled", "ChildTransferred", "ChildLeft")
CONSENT_KINDS = ("ConsentGiven", "ConsentRefused", "ConsentWithdrawn")


@dataclass(frozen=True)
class ReportInput:
    """Everything the report shows: the bundle's views and how to verify them."""

    views: dict[str, dict[str, Any]]
    as_of: str
    known_at: str | None
    checkpoint_size: int
    root_hex: str
    signer_key_id: str
    files: list[tuple[str, int]]
    request_reason: str | None
    withheld: int = 0  # subject access: entries withheld as third-party information
    log_key_id: str = ""  # the log key's fingerprint (the signer's is signer_key_id)
    origin: str = ""  # the log's origin in its checkpoints
    setting_names: Mapping[str, str] = field(default_factory=dict)  # id -> what it is called
    exported_on: str = ""  # the export day the signed summary gives ("": it gives none)


def render_html(data: ReportInput) -> str:
    """The report as one self-contained HTML page (autoescaped: record text is user input)."""
    return render_context(report_context(data))


def render_context(context: dict[str, Any]) -> str:
    """The report's HTML for a context made by `report_context` (or `pdf_context`)."""
    return _environment().get_template("report.html.j2").render(context)


def render_pdf(html: str, *, epoch: int) -> bytes:
    """The report as a tagged PDF; the same HTML and epoch give the same bytes."""
    return pdf.render(html, epoch=epoch).content


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return environment(
        day=format_day,
        moment=format_moment,
        money=format_money,
        v=versions,
        few=few_versions,
        label=_label,
    )


# --- formatting -----------------------------------------------------------------------------


def versions(value: int | Iterable[int] | None) -> str:
    """The entry reference(s) a statement comes from, as the pages say them: 'entry 12',
    'entries 30, 31' (one numbering on pages, in the HTML report and in the PDF)."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"entry {value}"
    listed = list(value)
    if len(listed) == 1:
        return f"entry {listed[0]}"
    return f"entries {', '.join(str(v) for v in listed)}" if listed else "—"


def few_versions(value: int | Iterable[int] | None, *, most: int = 6) -> str:
    """Like `versions`, but a long list as its first and latest few and how many in all:
    'entries 8, 61, 75, … 1909, 1923 (140 in all)' (the PDF; the HTML lists them all)."""
    if value is None or isinstance(value, int):
        return versions(value)
    listed = list(value)
    if len(listed) <= most:
        return versions(listed)
    half = most // 2
    first, last = (", ".join(str(v) for v in part) for part in (listed[:half], listed[-half:]))
    return f"entries {first}, \u2026 {last} ({len(listed)} in all)"


VOCABULARIES = {
    "area": vocab.AREAS,
    "areas": vocab.AREAS,
    "areas_of_concern": vocab.AREAS,
    "level": vocab.CONCERN_LEVELS,
    "outcome": vocab.DISCUSSION_OUTCOMES,
    "purpose": vocab.CONSENT_PURPOSES,
    "staff_grade": vocab.STAFF_GRADES,
    "funding_source": vocab.FUNDING_SOURCES,
    "action": vocab.RECOMMENDATION_ACTIONS,
    "kind": vocab.CONTACT_KINDS,
    "progress": vocab.PROGRESS,
    "impact": vocab.IMPACT,
    "role": vocab.ROLES,
    "basis": vocab.BASES,
    "need": vocab.NEED_CODES,
    "status": vocab.SEN_STATUSES,
    "review_decision": vocab.REVIEW_DECISIONS,
    "ehc_decision": vocab.EHC_DECISIONS,
    "ehc_final": vocab.EHC_FINAL_DECISIONS,
    "method": vocab.NOTIFICATION_METHODS,
    "sensitivity": vocab.SENSITIVITIES,
}
DECISIONS = {
    "ReviewHeld": "review_decision",
    "EhcDecisionRecorded": "ehc_decision",
    "EhcPlanFinalised": "ehc_final",
}


def _label(code: str | None, vocabulary: str) -> str:
    """A code's human label in the named vocabulary (template filter)."""
    return "—" if code is None else VOCABULARIES[vocabulary].label(str(code))


def _age(born: str | None, on: str) -> str:
    if not born:
        return "not recorded"
    months = age_in_months(date.fromisoformat(born), date.fromisoformat(on))
    return f"{months // 12} years {months % 12} months ({months} months)"


# --- the record, as the chronology lists it -------------------------------------------------


class _Record:
    """The chronology's entries, with the lookups every section shares."""

    def __init__(
        self, views: dict[str, dict[str, Any]], setting_names: Mapping[str, str] | None = None
    ) -> None:
        self.setting_names = setting_names or {}
        self.entries: list[dict[str, Any]] = views["chronology"]["entries"]
        self.people: dict[str, str] = {
            p["person_id"]: f"{p['name']} ({p['relationship']})"
            for p in views["plan"].get("people", [])
        }
        self.provisions: dict[str, str] = {
            p["provision_id"]: p["description"] for p in views["provision-map"]["provisions"]
        }
        self.by_version = {e["version"]: e for e in self.entries}
        self.consents: dict[str, str] = {}
        for e in self.of("ConsentGiven", "ConsentRefused"):
            d = e["details"]
            service = f" ({d['service']})" if d["service"] else ""
            self.consents[d["consent_id"]] = vocab.CONSENT_PURPOSES.label(d["purpose"]) + service
        # Plans, outcomes, reports and recommendations by what a reader knows them by.
        self.plans: dict[str, str] = {
            d["plan_id"]: f"the support plan from {format_day(d['start_date'])}"
            for d in (e["details"] for e in self.of("SupportPlanIssued"))
        }
        self.outcomes: dict[str, str] = {
            o["outcome_id"]: str(o["description"]).rstrip(". ")
            for e in self.of("SupportPlanIssued", "SupportPlanRevised")
            for o in e["details"]["outcomes"]
        }
        self.reports: dict[str, str] = {}
        self.recommendations: dict[str, str] = {}
        for e in self.of("ReportReceived"):
            d = e["details"]
            day = format_day(d["report_date"])
            self.reports[d["report_id"]] = f"{d['author']}'s report of {day}"
            for r in d["recommendations"]:
                self.recommendations[r["recommendation_id"]] = f"“{r.get('text', '')}”"

    def of(self, *kinds: str) -> list[dict[str, Any]]:
        """Entries of these kinds that count (marked mistakes drop out, as in every view)."""
        return [e for e in self.entries if e["kind"] in kinds and not e["mistaken"]]

    def first(self, kind: str, **match: Any) -> int | None:
        """The version of the first counting entry of `kind` whose details match."""
        for e in self.of(kind):
            if all(e["details"].get(k) == v for k, v in match.items()):
                return int(e["version"])
        return None

    def person(self, person_id: str | None) -> str:
        return self.people.get(person_id or "", person_id or "—")

    def provision(self, provision_id: str) -> str:
        return self.provisions.get(provision_id, provision_id)

    def consent(self, consent_id: str) -> str:
        return self.consents.get(consent_id, consent_id)

    def setting(self, setting_id: str | None) -> str:
        """A setting by its name, where the setting has given it one."""
        return self.setting_names.get(setting_id or "", setting_id or "—")

    def named(self, key: str, value: str) -> str | None:
        """A plan, outcome, report or recommendation id as its name (None: not such an id)."""
        table = {
            "plan_id": self.plans,
            "outcome_id": self.outcomes,
            "report_id": self.reports,
            "recommendation_id": self.recommendations,
        }.get(key)
        return None if table is None else table.get(value, "one no longer in the record")


def marks(entry: dict[str, Any]) -> list[str]:
    """Short flags that travel with a statement wherever it is quoted, each with the date
    of the entry that says it (its own date, not its target's)."""
    out = [
        f"corrected by entry {c['version']} on {format_day(c['on'])}" for c in entry["corrected_by"]
    ]
    out += [
        f"disputed by a parent in entry {d['version']} on {format_day(d['on'])}"
        for d in entry["disputes"]
    ]
    if entry["mistaken"]:
        m = entry["mistaken"]
        out.append(f"marked as entered by mistake in entry {m['version']} on {format_day(m['on'])}")
    return out


def _values(correction: dict[str, Any]) -> str:
    """The corrected values a correction carries, as the reader sees them ('' if none)."""
    values = correction.get("values")
    if not values:
        return ""
    said = []
    for name, value in values.items():
        shown = ", ".join(value) if isinstance(value, list) else (value or "none")
        said.append(f"{name.replace('_', ' ')} {shown or 'none'}")
    return f" (corrected values: {'; '.join(said)}; the entry above is the original)"


def _on(entry: dict[str, Any]) -> str:
    return str(entry["occurred_at"])[:10]


# --- the sections -----------------------------------------------------------------------------


def report_context(data: ReportInput) -> dict[str, Any]:
    """Everything the template shows, in the order it shows it."""
    views = data.views
    record = _Record(views, data.setting_names)
    plan = views["plan"]
    child = plan["child"]
    requests = record.of("EhcRequestSubmitted")
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for e in record.entries:
        if not e["mistaken"]:
            by_kind.setdefault(e["kind"], []).append({**e, "marks": marks(e)})
    return {
        "sections": SECTIONS,
        "title": dict(SECTIONS),
        "child_name": f"{child.get('given_name', '')} {child.get('family_name', '')}".strip()
        or "Child not yet registered at the as-of date",
        "child": child,
        "child_id": plan["child_id"],
        "age": _age(child.get("date_of_birth"), data.as_of),
        "registered": record.first("ChildRegistered"),
        "setting_entry": next(
            (e["version"] for e in reversed(record.of(*SETTING_KINDS)) if e["kind"] != "ChildLeft"),
            None,
        ),
        "data": data,
        "events_admitted": views["chronology"]["events_admitted"],
        "request": requests[-1] if requests else None,
        "views": views,
        "kinds": by_kind,
        "people": record.people,
        "consent_names": record.consents,
        "setting_name": record.setting,
        "needs": _needs(plan["sen_status"]),
        "plans": _plans(record, data.as_of),
        "provisions": _provisions(views["provision-map"], record),
        "points": (points := tracking_points(record.entries)),
        "chart": progress_chart(points, title=CHART_TITLE) if points else None,
        "reports": _reports(record, data.as_of),
        "steps": sorted(
            by_kind.get("ConcernRaised", []) + by_kind.get("DiscussionHeld", []),
            key=lambda e: str(e["occurred_at"]),
        ),
        "consent_entries": sorted(
            [e for k in CONSENT_KINDS for e in by_kind.get(k, [])], key=lambda e: e["version"]
        ),
        "chronology": (rows := [_chronology_row(e, record) for e in record.entries]),
        "sentence": {row["entry"]["version"]: (row["title"], row["text"]) for row in rows},
        "files": [(path, f"{size:,}") for path, size in sorted(data.files)],
        # What the PDF leaves out (see `pdf_context`); the HTML shows everything.
        "pdf": False,
        "hidden": {},
        "summary": [],
        "key_entries": [],
        "key_total": 0,
    }


def _needs(status: dict[str, Any]) -> list[dict[str, Any]]:
    """The four broad areas of need, each with the DfE codes recorded under it."""
    codes = list(status["need_codes"])
    rows = [
        {
            "area": vocab.BROAD_AREAS.label(a),
            "codes": [c for c in codes if vocab.NEED_BROAD_AREA.get(c) == a],
        }
        for a in vocab.BROAD_AREAS
    ]
    other = [c for c in codes if c not in vocab.NEED_BROAD_AREA]
    if other:
        rows.append({"area": "Other, or not yet assessed", "codes": other})
    return rows


def _plans(record: _Record, as_of: str) -> list[dict[str, Any]]:
    """Every plan as assess-plan-do-review cycles: a cycle runs from the plan (or the review
    before) to the review that closes it; the last open one may be overdue."""
    plans: dict[str, dict[str, Any]] = {}
    for e in record.of("SupportPlanIssued", "SupportPlanRevised", "ReviewHeld"):
        d = e["details"]
        plan = plans.setdefault(d["plan_id"], {"plan_id": d["plan_id"], "cycles": []})
        cycles = plan["cycles"]
        if e["kind"] == "SupportPlanIssued":
            plan |= {"entry": e, "marks": marks(e)}
        if e["kind"] != "ReviewHeld":
            if not cycles or cycles[-1]["review"] or e["kind"] == "SupportPlanIssued":
                cycles.append(_cycle(e, d["review_date"], d["outcomes"], d["provision_ids"]))
            else:  # a revision within the open cycle
                cycles[-1] |= {
                    "review_due": d["review_date"],
                    "outcomes": _outcomes(d),
                    "provision_ids": list(d["provision_ids"]),
                }
                cycles[-1]["revisions"].append(e)
        elif cycles:
            _close(cycles, e, record)
    plans = {k: p for k, p in plans.items() if p["cycles"]}
    for plan in plans.values():
        last = plan["cycles"][-1]
        if last["review"] is None:
            last["overdue"] = bool(last["review_due"] and last["review_due"] < as_of)
        plan["reviews"] = sum(1 for c in plan["cycles"] if c["review"])
        for cycle in plan["cycles"]:
            cycle["provisions"] = [record.provision(p) for p in cycle["provision_ids"]]
    return list(plans.values())


def _cycle(
    opened_by: dict[str, Any], review_due: str | None, outcomes: list[Any], provisions: list[str]
) -> dict[str, Any]:
    return {
        "opened_by": opened_by,
        "start": opened_by["details"].get("start_date") or _on(opened_by),
        "review_due": review_due,
        "outcomes": _outcomes({"outcomes": outcomes}),
        "provision_ids": list(provisions),
        "revisions": [],
        "review": None,
        "overdue": False,
    }


def _outcomes(details: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**o, "progress": None} for o in details["outcomes"]]


def _close(cycles: list[dict[str, Any]], e: dict[str, Any], record: _Record) -> None:
    """A review closes the open cycle and, unless the plan stops, opens the next."""
    d, cycle = e["details"], cycles[-1]
    progress = {p["outcome_id"]: p for p in d["outcome_progress"]}
    for o in cycle["outcomes"]:
        o["progress"] = progress.get(o["outcome_id"])
    held, due = _on(e), cycle["review_due"]
    late = (date.fromisoformat(held) - date.fromisoformat(due)).days if due else 0
    impact = [{**i, "name": record.provision(i["provision_id"])} for i in d["provision_impact"]]
    cycle["review"] = {"entry": e, "days_late": max(late, 0), "impact": impact, "marks": marks(e)}
    if d["decision"] != "stop":
        outcomes = [{k: v for k, v in o.items() if k != "progress"} for o in cycle["outcomes"]]
        cycles.append(_cycle(e, d["next_review_date"], outcomes, cycle["provision_ids"]))


def _provisions(pmap: dict[str, Any], record: _Record) -> list[dict[str, Any]]:
    """The map's rows with the entries they come from (start, changes, end)."""
    return [
        {
            **row,
            "version": record.first("ProvisionStarted", provision_id=row["provision_id"]),
            "ended": record.first("ProvisionEnded", provision_id=row["provision_id"]),
            "change_entries": [
                e
                for e in record.of("ProvisionChanged")
                if e["details"]["provision_id"] == row["provision_id"]
            ],
        }
        for row in pmap["provisions"]
    ]


def _reports(record: _Record, as_of: str) -> list[dict[str, Any]]:
    """Each external report with what was done about each of its recommendations."""
    actions: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in record.of("RecommendationActioned"):
        key = (e["details"]["report_id"], e["details"]["recommendation_id"])
        actions.setdefault(key, []).append({**e, "marks": marks(e)})
    reports = []
    for e in record.of("ReportReceived"):
        d = e["details"]
        age = (date.fromisoformat(as_of) - date.fromisoformat(d["report_date"])).days
        recommendations = [
            {**r, "actions": actions.get((d["report_id"], r["recommendation_id"]), [])}
            for r in d["recommendations"]
        ]
        reports.append(
            {
                "entry": e,
                "marks": marks(e),
                "stale": age > 365,
                "recommendations": recommendations,
            }
        )
    return reports


# --- the chronology: one sentence per entry -------------------------------------------------

# Title, then the parts of the sentence; a part whose fields are all empty is left out.
SENTENCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "ChildRegistered": (
        "Child registered",
        ("{given_name} {family_name}, born {date_of_birth}", "Setting: {setting_id}"),
    ),
    "PersonLinked": (
        "Person linked",
        ("{name} ({relationship})", "Parental responsibility: {parental_responsibility}"),
    ),
    "ChildEnrolled": ("Enrolled", ("Setting: {setting_id}",)),
    "RecordShared": (
        "Record shared with {shared_with}",
        ("Under consent {consent_id}",),
    ),
    "ShareWithdrawn": ("Sharing ended", ("Reason: {reason}",)),
    "ProcessingRestricted": ("Processing restricted", ("Reason: {reason}",)),
    "ProcessingRestrictionLifted": ("Restriction of processing lifted", ("Reason: {reason}",)),
    "LegalHoldPlaced": ("Legal hold placed", ("Reason: {reason}",)),
    "LegalHoldLifted": ("Legal hold lifted", ("Reason: {reason}",)),
    "RecordErased": ("Record erased", ("Reason: {reason}",)),
    "RetentionDisposed": (
        "Record disposed of at the end of its retention period",
        ("Kept until {retain_until} under {policy}",),
    ),
    "ChildTransferred": ("Transferred", ("From {from_setting} to {to_setting}",)),
    "ChildLeft": ("Left the setting", ("Destination: {destination}", "Reason: {reason}")),
    "ObservationRecorded": ("Observation: {area}", ("{notes}", "Observer: {observer}")),
    "TrackingAssessed": (
        "Tracking: {area}",
        (
            "Band {band} ({months_low} to {months_high} months)",
            "Chronological age {chronological_months} months",
        ),
    ),
    "ProgressCheckAtTwoRecorded": (
        "Progress check at two",
        ("{summary}", "Areas of concern: {areas_of_concern}"),
    ),
    "AttendanceRecorded": (
        "Attendance",
        ("{period_start} to {period_end}: {sessions_attended} of {sessions_possible} sessions",),
    ),
    "ConcernRaised": ("Concern raised ({level})", ("{areas}: {description}",)),
    "DiscussionHeld": (
        "Discussion: {outcome}",
        (
            "Participants: {participants}",
            "Hypothesis: {hypothesis}",
            "Evidence needed: {evidence_needed}",
            "Actions: {actions}",
            "Key person's view: {key_person_view}",
            "SENCO's view: {senco_view}",
        ),
    ),
    "ParentNotified": (
        "Parents told: {about}",
        (
            "Method: {method}",
            "Information, advice and support service given: {information_service_given}",
        ),
    ),
    "SenStatusChanged": (
        "SEN status: {status}",
        ("Need codes: {need_codes}", "Primary need: {primary_need}", "Reason: {reason}"),
    ),
    "ConsentGiven": ("Consent given: {purpose}", ("Service: {service}", "Given by {given_by}")),
    "ConsentRefused": (
        "Consent refused: {purpose}",
        ("Service: {service}", "Refused by {refused_by}"),
    ),
    "ConsentWithdrawn": ("Consent withdrawn", ("{consent_id}", "Withdrawn by {withdrawn_by}")),
    "SupportPlanIssued": (
        "Support plan issued",
        (
            "Starts {start_date}, review {review_date}",
            "Outcomes: {outcomes}",
            "Shared with parents: {shared_with_parents}",
        ),
    ),
    "SupportPlanRevised": (
        "Support plan revised",
        ("Revises {plan_id}", "Reason: {reason}", "Review {review_date}", "Outcomes: {outcomes}"),
    ),
    "ProvisionStarted": (
        "Provision started",
        (
            "{description}",
            "Group of {group_size}, {session_minutes} minutes, "
            "{sessions_per_week} a week for {weeks} weeks",
            "Staff: {staff_grade}",
            "Cost {cost}, funded by: {funding_source}",
        ),
    ),
    "ProvisionChanged": ("Provision changed", ("{provision_id}: {changes}", "Reason: {reason}")),
    "ProvisionEnded": ("Provision ended", ("{provision_id} on {end_date}", "Reason: {reason}")),
    "SessionDelivered": ("Session delivered", ("{provision_id}, {minutes} minutes", "{notes}")),
    "SessionMissed": ("Session missed", ("{provision_id}", "Reason: {reason}")),
    "ReviewHeld": (
        "Review of {plan_id}: {decision}",
        (
            "Progress: {outcome_progress}",
            "Impact: {provision_impact}",
            "Reflection: {reflection}",
            "Attendees: {attendees}",
            "Next review {next_review_date}",
        ),
    ),
    "ReferralMade": ("Referral: {service}", ("Reason: {reason}", "Consent: {consent_id}")),
    "ProfessionalContact": (
        "Contact ({kind}): {professional}",
        ("{professional_role}, {service}", "{summary}"),
    ),
    "ReportReceived": (
        "Report received: {author}",
        (
            "{author_role}, {service}, dated {report_date}",
            "{summary}",
            "Recommendations: {recommendations}",
        ),
    ),
    "RecommendationActioned": (
        "Recommendation actioned: {action}",
        ("{recommendation_id} in {report_id}", "{detail}"),
    ),
    "ParentViewRecorded": ("Parent's view", ("{person_id}: “{view}”",)),
    "ChildViewRecorded": ("Child's view", ("“{view}”", "How gathered: {method}")),
    "EhcRequestSubmitted": (
        "EHC needs assessment requested",
        ("From {local_authority} on {request_date}", "Reason: {reason}"),
    ),
    "EhcDecisionRecorded": (
        "LA decision: {decision}",
        ("Decided {decision_date}", "Reason: {reason}"),
    ),
    "EhcAdviceReceived": (
        "EHC advice received",
        ("From {advice_from} ({advice_kind})", "{summary}"),
    ),
    "EhcDraftIssued": ("Draft EHC plan issued", ("{draft_date}",)),
    "EhcPlanFinalised": ("EHC plan: {decision}", ("{final_date}",)),
    "EhcAnnualReviewHeld": ("EHC annual review", ("{review_date}", "{summary}")),
    "ChildPlaced": ("Room and key person", ("Room: {room}", "Key person: {key_person}")),
    "EhcPlanCeased": (
        "EHC plan ceased",
        ("{cease_date}", "Reason: {reason}", "SEN status after: {status_after}", "{notes}"),
    ),
    "EvidenceBundleExported": (
        "Evidence bundle exported",
        (
            "Purpose: {purpose}",
            "As of {as_of}",
            "As known at {known_at}",
            "SHA-256 {bundle_sha256}",
        ),
    ),
    "RecordCorrected": ("Correction of entry {supersedes}", ("{statement}",)),
    "EntryMarkedMistaken": ("Entry {target_version} marked as entered by mistake", ("{reason}",)),
    "EntryDisputed": ("Entry {target_version} disputed", ("{person_id}: “{comment}”",)),
}
ABOUT = {"sen_provision_starting": "SEN provision is starting"}
EXPORT_PURPOSES = {
    "ehc_request": "EHC needs assessment request",
    "subject_access": "subject access request",
}
PEOPLE_FIELDS = frozenset({"person_id", "given_by", "refused_by", "withdrawn_by"})
SETTING_FIELDS = frozenset({"setting_id", "from_setting", "to_setting"})


# A provision change in words, each number with its unit (the block cost is never a weekly
# or per-session figure).
CHANGE_WORDS = {
    "cost": ("cost", "{} for the whole block"),
    "sessions_per_week": ("sessions", "{} a week"),
    "session_minutes": ("session length", "{} minutes"),
    "weeks": ("planned length", "{} weeks"),
    "group_size": ("group size", "{} children"),
}


def _changed(kind: str, key: str, value: Any, record: _Record) -> str:
    name, unit = CHANGE_WORDS.get(key, (key.replace("_", " "), "{}"))
    return f"{name} to {unit.format(_shown(kind, key, value, record))}"


def _shown(kind: str, key: str, value: Any, record: _Record) -> str:
    """One detail of an entry as a person reads it: labels for codes, names for ids."""
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key in PEOPLE_FIELDS:
        return record.person(str(value))
    if key == "provision_id":
        return record.provision(str(value))
    if key == "consent_id":
        return record.consent(str(value))
    if key in SETTING_FIELDS:
        return record.setting(str(value))
    if (name := record.named(key, str(value))) is not None:
        return name
    if key == "cost":
        return format_money(str(value))
    if key == "purpose" and kind == "EvidenceBundleExported":
        return EXPORT_PURPOSES.get(str(value), str(value))
    if key == "known_at":
        return format_moment(str(value))
    if key == "decision" and kind in DECISIONS:
        return _label(value, DECISIONS[kind])
    if key == "status":
        return f"{value} ({_label(value, 'status')})"
    if key == "about":
        return ABOUT.get(str(value), str(value).replace("_", " "))
    if key == "outcomes":
        return "; ".join(
            f"{o['description'].rstrip('. ')} (by {format_day(o.get('target_date'))})"
            for o in value
        )
    if key == "recommendations":
        return "; ".join(str(r.get("text", r["recommendation_id"])) for r in value)
    if key == "outcome_progress":
        return "; ".join(
            f"{record.named('outcome_id', p['outcome_id'])}: "
            f"{_label(p['progress'], 'progress').lower()}"
            for p in value
        )
    if key == "provision_impact":
        return "; ".join(
            f"{record.provision(i['provision_id'])}: {_label(i['impact'], 'impact').lower()}"
            for i in value
        )
    if key == "changes":
        return ", ".join(_changed(kind, k, v, record) for k, v in sorted(value.items()))
    if key in VOCABULARIES:
        vocabulary = VOCABULARIES[key]
        if isinstance(value, list):
            return ", ".join(vocabulary.label(str(v)) for v in value)
        return vocabulary.label(str(value))
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, str) and ISO_DAY.match(value):
        return format_day(value)
    return str(value)


class _Blank(dict[str, str]):
    """Details as shown; a field an older entry lacks reads as empty."""

    def __missing__(self, key: str) -> str:
        return ""


def describe(entry: dict[str, Any], record: _Record) -> tuple[str, str]:
    """A chronology entry as a short title and one readable sentence."""
    kind, details = entry["kind"], entry["details"]
    shown = _Blank({k: _shown(kind, k, v, record) for k, v in details.items()})
    if kind in SENTENCES:
        title, parts = SENTENCES[kind]
    else:  # a kind this report does not know yet: still shown, field by field
        title = re.sub(r"(?<!^)(?=[A-Z])", " ", kind).capitalize()
        parts = tuple(f"{k.replace('_', ' ')}: {{{k}}}" for k in sorted(details))
    text = [
        part.format_map(shown).rstrip(" .") for part in parts if any(map(shown.get, _fields(part)))
    ]
    return title.format_map(shown), " ".join(_stop(part) for part in text)


@lru_cache(maxsize=1024)
def _fields(part: str) -> tuple[str, ...]:
    """The fields a sentence part names (parsed once per part, not once per entry)."""
    return tuple(f for _, f, _, _ in Formatter().parse(part) if f)


def _stop(part: str) -> str:
    """End a part of a sentence with a full stop, unless it already ends a sentence."""
    return part if part.endswith(("!", "?", "”")) else part + "."


KIND_NAMES = {
    "ReviewHeld": "Review",
    "RecordCorrected": "Correction",
    "EntryMarkedMistaken": "Marked as entered by mistake",
    "EntryDisputed": "Disagreement by a parent",
}


def kind_name(kind: str) -> str:
    """A kind of entry as a list of kinds names it ('Observation', 'Concern raised')."""
    if kind in KIND_NAMES:
        return KIND_NAMES[kind]
    if kind in SENTENCES:
        title = re.sub(r"\s*\(?\{[^}]*\}\)?", "", SENTENCES[kind][0])
        return title.rstrip(" :")
    return re.sub(r"(?<!^)(?=[A-Z])", " ", kind).capitalize()


def readable_chronology(
    views: dict[str, dict[str, Any]],
    setting_names: Mapping[str, str] | None = None,
    *,
    only: Iterable[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Every chronology entry as a person reads it (the report's appendix rows): the
    entry, a title, one sentence, who recorded it, and the flags beside it. Needs the
    chronology, plan and provision-map views (for names of people and provisions) and
    the settings' names. With `only`, just those entries of the chronology, in that order
    (a page of a long one: the names still come from every entry)."""
    record = _Record(views, setting_names)
    return [_chronology_row(e, record) for e in (record.entries if only is None else only)]


def recorder_role(entry: dict[str, Any]) -> str:
    """Who wrote an entry down, by role ('Key person', not '... / practitioner')."""
    return _label(entry["recorded_by"]["role"], "role").split(" / ")[0]


def _chronology_row(e: dict[str, Any], record: _Record) -> dict[str, Any]:
    """An appendix row: the entry and, beside it, everything later entries say about it."""
    title, text = describe(e, record)
    flags = []
    if e["late"]:
        # An entry moved from another sendtrail was first recorded there (the chronology
        # judged it late by that record time, so the lag is counted from it too).
        first = (e.get("provenance") or {}).get("source_recorded_at") or e["recorded_at"]
        lag = (date.fromisoformat(str(first)[:10]) - date.fromisoformat(_on(e))).days
        flags.append(("late", f"Recorded late, {lag} days after it happened"))
    for c in e["corrected_by"]:
        flags.append(
            (
                "corrected",
                f"Corrected by entry {c['version']} ({format_day(c['on'])}, "
                f"{_label(c['by_role'], 'role')}): {c['statement']}{_values(c)}",
            )
        )
    if e["mistaken"]:
        m = e["mistaken"]
        flags.append(
            (
                "mistaken",
                f"Marked as entered by mistake by entry {m['version']} "
                f"({format_day(m['on'])}): {m['reason']}",
            )
        )
    for d in e["disputes"]:
        flags.append(
            (
                "disputed",
                f"Disputed by {record.person(d['person_id'])} in "
                f"entry {d['version']} ({format_day(d['on'])}): “{d['comment']}”",
            )
        )
    if e["sensitivity"] != "normal":
        flags.append(("sensitive", _label(e["sensitivity"], "sensitivity")))
    return {"entry": e, "title": title, "text": text, "flags": flags, "who": recorder_role(e)}
