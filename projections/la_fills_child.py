"""Fillers for who the child is, their needs, the voices, consents, attendance and the
tracking log (see projections.la_fills)."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain import events as ev
from domain import vocabulary as vocab
from projections.la_statement import Record, Statement, count, events_of, joined
from projections.timeline import Entry
from projections.wording import age_in_months, format_day

# --- the child -------------------------------------------------------------------------------


def child_name(r: Record) -> list[Statement]:
    return [
        r.say(f"{e.given_name} {e.family_name}", [x], tier=1, current=True)
        for x, e in events_of(r.of(ev.ChildRegistered), ev.ChildRegistered)
    ]


def child_date_of_birth(r: Record) -> list[Statement]:
    out = []
    for x, e in events_of(r.of(ev.ChildRegistered), ev.ChildRegistered):
        if e.date_of_birth is not None:
            months = age_in_months(e.date_of_birth, r.today)
            age = f"{count(months // 12, 'year')} {count(months % 12, 'month')}"
            age += f" on {format_day(r.today)}"
            out.append(
                r.say(f"Born {format_day(e.date_of_birth)}; {age}", [x], tier=1, current=True)
            )
    return out


def child_setting(r: Record) -> list[Statement]:
    out = []
    for x in r.of(ev.ChildRegistered, ev.ChildEnrolled, ev.ChildTransferred, ev.ChildLeft):
        e, day = x.event, format_day(x.occurred_on)
        if isinstance(e, ev.ChildRegistered):
            text = f"Registered at {r.setting(e.setting_id)} on {day}"
        elif isinstance(e, ev.ChildEnrolled):
            text = f"Enrolled at {r.setting(e.setting_id)} on {day}"
        elif isinstance(e, ev.ChildTransferred):
            text = f"Moved from {r.setting(e.from_setting)} to {r.setting(e.to_setting)} on {day}"
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
        for x, e in events_of(r.of(ev.PersonLinked), ev.PersonLinked)
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
        for x, e in events_of(r.of(ev.SenStatusChanged), ev.SenStatusChanged)
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
    for x, e in events_of(r.of(ev.ConcernRaised), ev.ConcernRaised):
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
    for x, e in events_of(r.of(ev.DiscussionHeld), ev.DiscussionHeld):
        parts = [
            f"{format_day(x.occurred_on)}: {vocab.DISCUSSION_OUTCOMES.label(e.outcome)}",
            f"hypothesis: {e.hypothesis}" if e.hypothesis else "",
            f"evidence still needed: {e.evidence_needed}" if e.evidence_needed else "",
            f"actions: {', '.join(e.actions)}" if e.actions else "",
            f"key person's view: {e.key_person_view}" if e.key_person_view else "",
            f"SENCO's view: {e.senco_view}" if e.senco_view else "",
        ]
        out.append(r.say(joined(parts), [x]))
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
            for x, e in events_of(r.of(ev.ParentViewRecorded), ev.ParentViewRecorded)
        ]
    )


def views_child(r: Record) -> list[Statement]:
    return _latest_first_tier(
        [
            r.say(f"{format_day(x.occurred_on)} ({e.method}): “{e.view}”", [x])
            for x, e in events_of(r.of(ev.ChildViewRecorded), ev.ChildViewRecorded)
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
    for x, e in events_of(r.of(ev.ParentNotified), ev.ParentNotified):
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
    for x, e in events_of(r.of(ev.AttendanceRecorded), ev.AttendanceRecorded):
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
