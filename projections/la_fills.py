"""How each field of a local authority's request form is filled from the record.

One filler per code of `la_profile.FILLS`. A filler turns the child's effective entries
into statements, each naming the versions it comes from, so every sentence of a
pre-filled request can be traced to the entries behind it. A correction, a mistake mark
or a parent's dispute of an entry travels with every statement quoting that entry.

Each statement has a tier (1 = most relevant): a page budget keeps tier 1 first, then
tier 2, then 3, newest first within a tier. Anything older than 12 months drops a tier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain import events as ev
from domain import vocabulary as vocab
from projections.la_profile import NotionalBudget, Profile
from projections.provision_map import provision_map, setting_spend
from projections.timeline import Entry, Flags, effective, flags
from projections.wording import age_in_months, format_day, format_money, months_before

SUMMARY_CHARS = 600  # expert reports are summarised; the full text stays in the bundle
# The latest plan-do-review cycles are what LAs ask for first ("2-3 cycles"), however old.
RECENT_CYCLES = 3


@dataclass(frozen=True)
class Statement:
    """One sentence of the request and the entries (versions) it comes from."""

    text: str
    versions: tuple[int, ...]
    on: date | None = None
    tier: int = 2

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "versions": list(self.versions),
            "on": self.on.isoformat() if self.on else None,
            "tier": self.tier,
        }


@dataclass
class Record:
    """What every filler reads: the effective entries by kind, their flags, the day."""

    entries: Sequence[Entry]
    today: date
    profile: Profile
    live: list[Entry] = field(init=False)
    marks: dict[int, Flags] = field(init=False)
    people: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.live = effective(self.entries)
        self.marks = flags(self.entries)
        self.people = {
            e.event.person_id: f"{e.event.name} ({e.event.relationship})"
            for e in self.of(ev.PersonLinked)
            if isinstance(e.event, ev.PersonLinked)
        }

    def of(self, *kinds: type) -> list[Entry]:
        found = [e for e in self.live if isinstance(e.event, kinds)]
        return sorted(found, key=lambda e: (e.occurred_at, e.version))

    def say(
        self, text: str, entries: Iterable[Entry], *, tier: int = 2, current: bool = False
    ) -> Statement:
        """A statement about these entries, with what later entries say about them. A
        statement of how things stand now (`current`) keeps its tier however old its
        entries are; any other drops a tier when older than 12 months."""
        cited = sorted({e.version for e in entries})
        extra: list[str] = []
        for version in cited:
            mark = self.marks.get(version)
            if mark is None:
                continue
            for c in mark.corrections:
                extra.append(f"Corrected in v{c['version']}: {c['statement']}")
                cited.append(c["version"])
            for d in mark.disputes:
                extra.append(f"A parent disputes this (v{d['version']}): “{d['comment'].strip()}”")
                cited.append(d["version"])
        days = [e.occurred_on for e in entries]
        on = max(days) if days else None
        if not current and on is not None and on < months_before(self.today, 12):
            tier += 1
        body = " ".join([_stop(text), *(_stop(x) for x in extra)])
        return Statement(body, tuple(sorted(set(cited))), on, min(tier, 3))

    def child_name(self) -> str | None:
        """The child's name as registered (None before registration)."""
        for e in self.of(ev.ChildRegistered):
            if isinstance(e.event, ev.ChildRegistered):
                return f"{e.event.given_name} {e.event.family_name}"
        return None

    def person(self, person_id: str) -> str:
        return self.people.get(person_id, "a parent or carer")


def _stop(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "”")) else text + "."


def _join(items: Iterable[str]) -> str:
    return "; ".join(i for i in items if i)


def _events(entries: Iterable[Entry], kind: type) -> Iterable[tuple[Entry, Any]]:
    for entry in entries:
        if isinstance(entry.event, kind):
            yield entry, entry.event


# --- the child -------------------------------------------------------------------------------


def child_name(r: Record) -> list[Statement]:
    return [
        r.say(f"{e.given_name} {e.family_name}", [x], tier=1, current=True)
        for x, e in _events(r.of(ev.ChildRegistered), ev.ChildRegistered)
    ]


def child_date_of_birth(r: Record) -> list[Statement]:
    out = []
    for x, e in _events(r.of(ev.ChildRegistered), ev.ChildRegistered):
        if e.date_of_birth is not None:
            months = age_in_months(e.date_of_birth, r.today)
            age = f"{months // 12} years {months % 12} months on {format_day(r.today)}"
            out.append(
                r.say(f"Born {format_day(e.date_of_birth)}; {age}", [x], tier=1, current=True)
            )
    return out


def child_setting(r: Record) -> list[Statement]:
    out = []
    for x in r.of(ev.ChildRegistered, ev.ChildEnrolled, ev.ChildTransferred, ev.ChildLeft):
        e, day = x.event, format_day(x.occurred_on)
        if isinstance(e, ev.ChildRegistered):
            text = f"Registered at {e.setting_id} on {day}"
        elif isinstance(e, ev.ChildEnrolled):
            text = f"Enrolled at {e.setting_id} on {day}"
        elif isinstance(e, ev.ChildTransferred):
            text = f"Moved from {e.from_setting} to {e.to_setting} on {day}"
        elif isinstance(e, ev.ChildLeft):
            text = f"Left on {day} for {e.destination} ({e.reason})"
        else:
            continue
        out.append(r.say(text, [x], tier=1, current=True))
    return out


def people_parents(r: Record) -> list[Statement]:
    return [
        r.say(
            f"{e.name} ({e.relationship})"
            + (", with parental responsibility" if e.parental_responsibility else ""),
            [x],
            tier=1,
            current=True,
        )
        for x, e in _events(r.of(ev.PersonLinked), ev.PersonLinked)
    ]


# --- needs -------------------------------------------------------------------------------------


def _status_text(e: ev.SenStatusChanged, day: date) -> str:
    needs = ", ".join(f"{vocab.NEED_CODES.label(c)} ({c})" for c in e.need_codes) or "none"
    primary = f"; primary need {e.primary_need}" if e.primary_need else ""
    label = vocab.SEN_STATUSES.label(e.status)
    return f"{label} ({e.status}) from {format_day(day)}: needs {needs}{primary}"


def sen_status(r: Record) -> list[Statement]:
    changes = r.of(ev.SenStatusChanged)
    if not changes:
        return []
    last = changes[-1]
    if not isinstance(last.event, ev.SenStatusChanged):
        return []
    return [r.say(_status_text(last.event, last.occurred_on), [last], tier=1, current=True)]


def sen_history(r: Record) -> list[Statement]:
    return [
        r.say(f"{_status_text(e, x.occurred_on)}. Reason: {e.reason}", [x])
        for x, e in _events(r.of(ev.SenStatusChanged), ev.SenStatusChanged)
    ]


def needs_areas(r: Record) -> list[Statement]:
    out = []
    changes = r.of(ev.SenStatusChanged)
    if changes and isinstance(changes[-1].event, ev.SenStatusChanged):
        codes = changes[-1].event.need_codes
        for area in vocab.BROAD_AREAS:
            mine = [c for c in codes if vocab.NEED_BROAD_AREA.get(c) == area]
            if mine:
                names = ", ".join(vocab.NEED_CODES.label(c) for c in mine)
                out.append(
                    r.say(
                        f"{vocab.BROAD_AREAS.label(area)}: {names}",
                        [changes[-1]],
                        tier=1,
                        current=True,
                    )
                )
    for x, e in _events(r.of(ev.ConcernRaised), ev.ConcernRaised):
        areas = ", ".join(vocab.AREAS.label(a) for a in e.areas)
        level = vocab.CONCERN_LEVELS.label(e.level).lower()
        text = f"Concern raised on {format_day(x.occurred_on)} ({level}), {areas}: {e.description}"
        out.append(r.say(text, [x], tier=1))
    return out


def request_reasons(r: Record) -> list[Statement]:
    out = []
    for x in r.of(ev.ReviewHeld, ev.DiscussionHeld, ev.EhcRequestSubmitted):
        e, day = x.event, format_day(x.occurred_on)
        if isinstance(e, ev.ReviewHeld) and e.decision == "escalate":
            reflection = f": {e.reflection}" if e.reflection else ""
            out.append(r.say(f"The review on {day} decided to escalate{reflection}", [x], tier=1))
        elif isinstance(e, ev.DiscussionHeld) and e.outcome == "high_concern_seek_advice":
            text = f"High concern agreed on {day}: {e.hypothesis or 'advice sought'}"
            out.append(r.say(text, [x], tier=1))
        elif isinstance(e, ev.EhcRequestSubmitted):
            text = f"Request to {e.local_authority} on {format_day(e.request_date)}: {e.reason}"
            out.append(r.say(text, [x], tier=1))
    return out


def discussions(r: Record) -> list[Statement]:
    out = []
    for x, e in _events(r.of(ev.DiscussionHeld), ev.DiscussionHeld):
        parts = [
            f"{format_day(x.occurred_on)}: {vocab.DISCUSSION_OUTCOMES.label(e.outcome)}",
            f"hypothesis: {e.hypothesis}" if e.hypothesis else "",
            f"evidence still needed: {e.evidence_needed}" if e.evidence_needed else "",
            f"actions: {', '.join(e.actions)}" if e.actions else "",
            f"key person's view: {e.key_person_view}" if e.key_person_view else "",
            f"SENCO's view: {e.senco_view}" if e.senco_view else "",
        ]
        out.append(r.say(_join(parts), [x]))
    return out


# --- action taken ----------------------------------------------------------------------------


def _provision_names(r: Record) -> dict[str, str]:
    return {
        e.provision_id: e.description
        for _, e in _events(r.of(ev.ProvisionStarted), ev.ProvisionStarted)
    }


def plans_outcomes(r: Record) -> list[Statement]:
    names = _provision_names(r)
    plans = r.of(ev.SupportPlanIssued, ev.SupportPlanRevised)
    out = []
    for n, x in enumerate(plans):
        e = x.event
        if not isinstance(e, ev.SupportPlanIssued | ev.SupportPlanRevised):
            continue
        outcomes = _join(
            f"{o['description'].rstrip('. ')} (by {format_day(o.get('target_date'))})"
            for o in e.outcomes
        )
        provision = ", ".join(names.get(p, p) for p in e.provision_ids) or "none named"
        what = "issued" if isinstance(e, ev.SupportPlanIssued) else f"revised ({e.reason})"
        text = (
            f"Plan {e.plan_id} {what} on {format_day(x.occurred_on)}, review due "
            f"{format_day(e.review_date)}. Outcomes: {outcomes}. Provision: {provision}"
        )
        latest = n >= len(plans) - RECENT_CYCLES
        out.append(r.say(text, [x], tier=1 if latest else 2, current=latest))
    return out


def plans_reviews(r: Record) -> list[Statement]:
    names = _provision_names(r)
    reviews = r.of(ev.ReviewHeld)
    out = []
    for n, (x, e) in enumerate(_events(reviews, ev.ReviewHeld)):
        progress = _join(
            f"{p['outcome_id']} {vocab.PROGRESS.label(p['progress']).lower()}"
            for p in e.outcome_progress
        )
        impact = _join(
            f"{names.get(i['provision_id'], i['provision_id'])}: "
            f"{vocab.IMPACT.label(i['impact']).lower()}"
            for i in e.provision_impact
        )
        parts = [
            f"Review of {e.plan_id} on {format_day(x.occurred_on)}",
            f"progress: {progress}" if progress else "",
            f"impact: {impact}" if impact else "",
            f"reflection: {e.reflection}" if e.reflection else "",
            f"decision: {vocab.REVIEW_DECISIONS.label(e.decision).lower()}",
            f"next review {format_day(e.next_review_date)}" if e.next_review_date else "",
        ]
        latest = n >= len(reviews) - RECENT_CYCLES
        out.append(r.say(_join(parts), [x], tier=1 if latest else 2, current=latest))
    return out


def _provision_entries(r: Record) -> dict[str, list[Entry]]:
    found: dict[str, list[Entry]] = {}
    for x in r.of(ev.ProvisionStarted, ev.ProvisionChanged, ev.ProvisionEnded):
        found.setdefault(str(getattr(x.event, "provision_id", "")), []).append(x)
    return found


def provision_map_rows(r: Record) -> list[Statement]:
    made = _provision_entries(r)
    out = []
    for row in provision_map(r.entries, today=r.today)["provisions"]:
        ended = f" to {format_day(row['end_date'])}" if row["end_date"] else ""
        text = (
            f"{row['description']} ({vocab.AREAS.label(row['area'])}): group of "
            f"{row['group_size']}, {row['session_minutes']} minutes {row['sessions_per_week']} "
            f"times a week for {row['weeks']} weeks from {format_day(row['start_date'])}{ended}; "
            f"{row['staff_grade_label']}; {format_money(row['cost'])} "
            f"({row['funding_label']}), {format_money(row['cost_to_date'])} to date"
        )
        out.append(r.say(text, made.get(row["provision_id"], []), tier=1))
    return out


def provision_totals(r: Record) -> list[Statement]:
    pmap = provision_map(r.entries, today=r.today)
    if not pmap["provisions"]:
        return []
    totals = pmap["totals"]
    sources = _join(
        f"{vocab.FUNDING_SOURCES.label(k)} {format_money(v)}"
        for k, v in totals["per_funding_source"].items()
    )
    text = f"{format_money(totals['cost_to_date'])} to {format_day(r.today)}: {sources}"
    made = [x for xs in _provision_entries(r).values() for x in xs]
    return [r.say(text, made, tier=1, current=True)]


def provision_notional_budget(r: Record) -> list[Statement]:
    budget = next((x for x in r.profile.expectations if isinstance(x, NotionalBudget)), None)
    months = budget.period_months if budget else 12
    spent, made = setting_spend(r.live, start=months_before(r.today, months), end=r.today)
    if not made:
        return []
    text = f"{format_money(spent)} of the setting's own funds in the last {months} months"
    if budget is not None:
        share = spent / budget.amount * 100
        text += f", against the notional {format_money(budget.amount)} ({share:.0f}%)"
    return [r.say(text, made, tier=1, current=True)]


def provision_fidelity(r: Record) -> list[Statement]:
    sessions: dict[str, list[Entry]] = {}
    for x in r.of(ev.SessionDelivered, ev.SessionMissed):
        sessions.setdefault(str(getattr(x.event, "provision_id", "")), []).append(x)
    made = _provision_entries(r)
    out = []
    for row in provision_map(r.entries, today=r.today)["provisions"]:
        pid = row["provision_id"]
        if not row["planned_sessions"]:
            continue
        share = f" ({row['fidelity_percent']}%)" if row["fidelity_percent"] is not None else ""
        text = (
            f"{row['description']}: {row['delivered_sessions']} of {row['planned_sessions']} "
            f"planned sessions delivered{share}, {row['missed_sessions']} missed"
        )
        out.append(r.say(text, made.get(pid, []) + sessions.get(pid, [])))
    return out


# --- progress ----------------------------------------------------------------------------------


def progress_tracking(r: Record) -> list[Statement]:
    return [
        r.say(
            f"{format_day(x.occurred_on)}, {vocab.AREAS.label(e.area)}: band {e.band} "
            f"({e.months_low} to {e.months_high} months) at {e.chronological_months} months "
            "of age",
            [x],
        )
        for x, e in _events(r.of(ev.TrackingAssessed), ev.TrackingAssessed)
    ]


def progress_check_at_two(r: Record) -> list[Statement]:
    out = []
    for x, e in _events(r.of(ev.ProgressCheckAtTwoRecorded), ev.ProgressCheckAtTwoRecorded):
        areas = ", ".join(vocab.AREAS.label(a) for a in e.areas_of_concern) or "none"
        text = f"{format_day(x.occurred_on)}: {e.summary} Areas of concern: {areas}"
        out.append(r.say(text, [x]))
    return out


def observations(r: Record) -> list[Statement]:
    return [
        r.say(
            f"{format_day(x.occurred_on)}, {vocab.AREAS.label(e.area)}: {e.notes} ({e.observer})",
            [x],
        )
        for x, e in _events(r.of(ev.ObservationRecorded), ev.ObservationRecorded)
    ]


# --- outside advice ------------------------------------------------------------------------------


def _summary(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= SUMMARY_CHARS:
        return text
    return text[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "… (summarised; full text in the bundle)"


def reports_summaries(r: Record) -> list[Statement]:
    out = []
    for x, e in _events(r.of(ev.ReportReceived), ev.ReportReceived):
        text = (
            f"{e.author}, {e.author_role} ({e.service}), report dated "
            f"{format_day(e.report_date)}: {_summary(e.summary)}"
        )
        statement = r.say(text, [x], tier=1)
        # A report's age is its own date, not the day it reached the setting.
        tier = 1 if e.report_date >= months_before(r.today, 12) else 2
        out.append(Statement(statement.text, statement.versions, e.report_date, tier))
    return out


def reports_recommendations(r: Record) -> list[Statement]:
    actions: dict[tuple[str, str], list[Entry]] = {}
    for x, e in _events(r.of(ev.RecommendationActioned), ev.RecommendationActioned):
        actions.setdefault((e.report_id, e.recommendation_id), []).append(x)
    out = []
    for x, e in _events(r.of(ev.ReportReceived), ev.ReportReceived):
        for item in e.recommendations:
            done = actions.get((e.report_id, item["recommendation_id"]), [])
            said = _join(
                f"{vocab.RECOMMENDATION_ACTIONS.label(a.event.action).lower()} "
                f"on {format_day(a.occurred_on)}"
                + (f": {a.event.detail}" if a.event.detail else "")
                for a in done
                if isinstance(a.event, ev.RecommendationActioned)
            )
            text = f"{e.author} recommended: {item.get('text', item['recommendation_id'])}"
            text += f" — {said}" if said else " — no action recorded yet"
            out.append(r.say(text, [x, *done], tier=1))
    return out


def agencies_involved(r: Record) -> list[Statement]:
    out = []
    for x in r.of(ev.ReferralMade, ev.ProfessionalContact):
        e, day = x.event, format_day(x.occurred_on)
        if isinstance(e, ev.ReferralMade):
            out.append(r.say(f"Referred to {e.service} on {day}: {e.reason}", [x]))
        elif isinstance(e, ev.ProfessionalContact):
            kind = vocab.CONTACT_KINDS.label(e.kind).lower()
            text = f"{day}, {kind} with {e.professional} ({e.professional_role}, {e.service})"
            out.append(r.say(f"{text}: {e.summary}", [x]))
    return out


# --- voices and consent --------------------------------------------------------------------------


def _latest_first_tier(statements: list[Statement]) -> list[Statement]:
    """The newest view is always worth its space; older ones keep their tier."""
    if statements:
        last = statements[-1]
        statements[-1] = Statement(last.text, last.versions, last.on, 1)
    return statements


def views_parent(r: Record) -> list[Statement]:
    return _latest_first_tier(
        [
            r.say(f"{format_day(x.occurred_on)}, {r.person(e.person_id)}: “{e.view}”", [x])
            for x, e in _events(r.of(ev.ParentViewRecorded), ev.ParentViewRecorded)
        ]
    )


def views_child(r: Record) -> list[Statement]:
    return _latest_first_tier(
        [
            r.say(f"{format_day(x.occurred_on)} ({e.method}): “{e.view}”", [x])
            for x, e in _events(r.of(ev.ChildViewRecorded), ev.ChildViewRecorded)
        ]
    )


def _consent_states(r: Record, purpose: str | None) -> list[tuple[str, Entry, Any]]:
    given: dict[str, tuple[str, Entry, Any]] = {}
    for x in r.of(ev.ConsentGiven, ev.ConsentRefused, ev.ConsentWithdrawn):
        e = x.event
        if isinstance(e, ev.ConsentGiven | ev.ConsentRefused):
            if purpose is None or e.purpose == purpose:
                state = "given" if isinstance(e, ev.ConsentGiven) else "refused"
                given[e.consent_id] = (state, x, e)
        elif isinstance(e, ev.ConsentWithdrawn) and e.consent_id in given:
            given[e.consent_id] = ("withdrawn", x, given[e.consent_id][2])
    return list(given.values())


def consents(r: Record) -> list[Statement]:
    out = []
    for state, x, e in _consent_states(r, None):
        service = f" ({e.service})" if e.service else ""
        text = f"{vocab.CONSENT_PURPOSES.label(e.purpose)}{service}: {state} on "
        out.append(r.say(text + format_day(x.occurred_on), [x]))
    return out


def consent_share_with_la(r: Record) -> list[Statement]:
    return [
        r.say(
            f"Consent to share the record with the local authority given on "
            f"{format_day(x.occurred_on)} by {r.person(e.given_by)}",
            [x],
            tier=1,
            current=True,
        )
        for state, x, e in _consent_states(r, "share_with_la")
        if state == "given"
    ]


def parent_notified(r: Record) -> list[Statement]:
    out = []
    for x, e in _events(r.of(ev.ParentNotified), ev.ParentNotified):
        method = vocab.NOTIFICATION_METHODS.label(e.method).lower()
        iass = (
            "; told where to find the information, advice and support service"
            if e.information_service_given
            else ""
        )
        text = f"Parents formally told on {format_day(x.occurred_on)} ({method}){iass}"
        out.append(r.say(text, [x], tier=1, current=True))
    return out


def attendance(r: Record) -> list[Statement]:
    out = []
    for x, e in _events(r.of(ev.AttendanceRecorded), ev.AttendanceRecorded):
        share = (
            f" ({100 * e.sessions_attended / e.sessions_possible:.0f}%)"
            if e.sessions_possible
            else ""
        )
        text = (
            f"{format_day(e.period_start)} to {format_day(e.period_end)}: attended "
            f"{e.sessions_attended} of {e.sessions_possible} sessions{share}"
        )
        out.append(r.say(text, [x]))
    return out


CONTACTS = (
    ev.DiscussionHeld,
    ev.ParentNotified,
    ev.ReviewHeld,
    ev.ReferralMade,
    ev.ProfessionalContact,
    ev.ReportReceived,
    ev.EhcRequestSubmitted,
)
CONTACT_TITLES = {
    "DiscussionHeld": "Discussion between key person and SENCO",
    "ParentNotified": "Parents formally told of SEN provision",
    "ReviewHeld": "Review meeting",
    "ReferralMade": "Referral",
    "ProfessionalContact": "Contact with a professional",
    "ReportReceived": "Report received",
    "EhcRequestSubmitted": "EHC needs assessment requested",
}


def chronology_contacts(r: Record) -> list[Statement]:
    out = []
    for x in r.of(*CONTACTS):
        who = str(
            getattr(x.event, "service", "") or getattr(x.event, "professional", "") or ""
        ).strip()
        text = f"{format_day(x.occurred_on)}: {CONTACT_TITLES[x.kind]}" + (
            f", {who}" if who else ""
        )
        out.append(r.say(text, [x]))
    return out


def ehc_history(r: Record) -> list[Statement]:
    out = []
    for x in r.of(ev.EhcRequestSubmitted, ev.EhcDecisionRecorded, ev.EhcPlanFinalised):
        e = x.event
        if isinstance(e, ev.EhcRequestSubmitted):
            text = f"Requested from {e.local_authority} on {format_day(e.request_date)}"
        elif isinstance(e, ev.EhcDecisionRecorded):
            text = f"{vocab.EHC_DECISIONS.label(e.decision)} on {format_day(e.decision_date)}"
        elif isinstance(e, ev.EhcPlanFinalised):
            text = f"{vocab.EHC_FINAL_DECISIONS.label(e.decision)} on {format_day(e.final_date)}"
        else:
            continue
        out.append(r.say(text, [x], tier=1))
    return out


def signature(_r: Record) -> list[Statement]:
    """Signatures are never pre-filled: the form is signed by hand."""
    return []


FILLERS: dict[str, Callable[[Record], list[Statement]]] = {
    "child.name": child_name,
    "child.date_of_birth": child_date_of_birth,
    "child.setting": child_setting,
    "people.parents": people_parents,
    "sen.status": sen_status,
    "sen.history": sen_history,
    "needs.areas": needs_areas,
    "request.reasons": request_reasons,
    "discussions": discussions,
    "plans.outcomes": plans_outcomes,
    "plans.reviews": plans_reviews,
    "provision.map": provision_map_rows,
    "provision.totals": provision_totals,
    "provision.notional_budget": provision_notional_budget,
    "provision.fidelity": provision_fidelity,
    "progress.tracking": progress_tracking,
    "progress.check_at_two": progress_check_at_two,
    "observations": observations,
    "reports.summaries": reports_summaries,
    "reports.recommendations": reports_recommendations,
    "agencies.involved": agencies_involved,
    "views.parent": views_parent,
    "views.child": views_child,
    "consents": consents,
    "consent.share_with_la": consent_share_with_la,
    "parent.notified": parent_notified,
    "attendance": attendance,
    "chronology.contacts": chronology_contacts,
    "ehc.history": ehc_history,
    "signature.parent": signature,
    "signature.setting": signature,
}
