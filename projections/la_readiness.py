"""Readiness against a profile: each expectation met, missing or stale, with the entries
(versions and dates) behind it. The one readiness engine: a local authority's profile and
the built-in generic hints every overview shows (la_profiles/generic.toml) are read alike.

Hints only. The legal test for an EHC needs assessment is low (CFA 2014 s.36(8)): no LA
expectation is a precondition, and nothing here blocks an export. Where a profile asks for
something the law does not require, the result says so plainly, beside the expectation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from domain import events as ev
from projections import la_profile as lp
from projections.la_statement import Record
from projections.provision_map import setting_spend
from projections.support_plan import EHC_STAGES
from projections.timeline import Entry
from projections.wording import format_day, format_money, months_before

NOT_A_PRECONDITION = (
    "Not a legal requirement: the test for an assessment is only that the child may have "
    "SEN and may need provision through an EHC plan (CFA 2014 s.36(8))."
)
# Readiness is judged for a child with a concern, SEN support (K or E) or an EHC process
# (issue 17.11): a red "0 of 11" for a child with no concern would say what the record does not.
ABSENT_BECAUSE = (
    "No concern, SEN support or EHC needs assessment is on the record by this date, so "
    "there is nothing to judge readiness for an EHC needs assessment request against."
)
NOTE = (
    "Hints only: no expectation, the generic hints' or a local authority's, is a "
    "precondition for a request (CFA 2014 s.36(8)), and none blocks an export."
)
WEIGHED = "The LA weighs this evidence (CoP 9.14); it is not a precondition for a request."
LAW: dict[str, str] = {
    "sen_support": WEIGHED,
    "parent_notified": "The Code of Practice expects parents to be told (CoP 6.43); "
    "it is not a precondition for a request.",
    "reviewed_cycles": "Not required by law: no number of plan-do-review cycles is a "
    "precondition (CFA 2014 s.36(8)); the Code asks for action taken to be shown.",
    "support_duration": "Not required by law: no length of SEN support is a precondition "
    "for a request (CFA 2014 s.36(8)).",
    "progress_data": WEIGHED,
    "provision_map": WEIGHED,
    "notional_budget": "Not required by law: no spending threshold is a precondition for a "
    "request (CFA 2014 s.36(8)). The LA's guidance asks for spend to be shown.",
    "professional_advice": WEIGHED,
    "recommendations_actioned": "The LA weighs what was done with professional advice "
    "(CoP 9.14); a recommendation not followed, with the reason recorded, counts too.",
    "parent_view": "The LA must seek the parents' views during an assessment; including "
    "them now helps, but it is not a precondition.",
    "child_view": "The LA must seek the child's views during an assessment; including "
    "them now helps, but it is not a precondition.",
    "consent": "Sharing the record needs the parents' agreement (data protection); it is "
    "not a legal test for the assessment itself.",
    "attendance": WEIGHED,
    "agencies_involved": WEIGHED,
}
NAMED_PROFESSIONAL = (
    "Not required by law: no particular professional's report (an educational "
    "psychologist's, for instance) is a precondition for a request (CFA 2014 s.36(8)); "
    "the LA seeks that advice itself during the assessment."
)


def _evidence(entries: Sequence[Entry], when: Callable[[Entry], date] | None = None) -> list[Any]:
    return [
        {
            "version": e.version,
            "on": (when(e) if when else e.occurred_on).isoformat(),
            "kind": e.kind,
        }
        for e in entries
    ]


def _result(
    status: str, detail: str, entries: Sequence[Entry], when: Callable[[Entry], date] | None = None
) -> dict[str, Any]:
    return {"status": status, "detail": detail, "evidence": _evidence(entries, when)}


def _recent(
    found: Sequence[Entry], months: int, today: date, what: str, when: Callable[[Entry], date]
) -> dict[str, Any]:
    if not found:
        return _result("missing", f"no {what} recorded", [])
    latest = max(when(e) for e in found)
    status = "met" if latest >= months_before(today, months) else "stale"
    age = "" if status == "met" else f", older than {months} months"
    return _result(status, f"latest {what} on {format_day(latest)}{age}", found, when)


def _report_day(entry: Entry) -> date:
    event = entry.event
    return event.report_date if isinstance(event, ev.ReportReceived) else entry.occurred_on


def _sen_support(_x: lp.SenSupport, r: Record) -> dict[str, Any]:
    sen = r.sen
    behind = {e.version for e in r.of(ev.SenStatusChanged)} | {sen["derived_from"]}
    status = sen["status"]
    found = [e for e in r.live if e.version in behind]
    met = status in ("K", "E")
    return _result("met" if met else "missing", f"current SEN status {status}", found)


def _parent_notified(_x: lp.ParentNotified, r: Record) -> dict[str, Any]:
    told = r.of(ev.ParentNotified)
    if not told:
        return _result("missing", "no formal notification recorded", [])
    return _result("met", f"told on {format_day(told[0].occurred_on)}", told)


def _reviewed_cycles(x: lp.ReviewedCycles, r: Record) -> dict[str, Any]:
    reviews = r.of(ev.ReviewHeld)
    if len(reviews) < x.min:
        return _result("missing", f"{len(reviews)} review(s) held; {x.min} expected", reviews)
    latest = reviews[-1].occurred_on
    detail = f"{len(reviews)} review(s) held; latest on {format_day(latest)}"
    if x.within_months and latest < months_before(r.today, x.within_months):
        return _result("stale", f"{detail}, older than {x.within_months} months", reviews)
    return _result("met", detail, reviews)


def _support_duration(x: lp.SupportDuration, r: Record) -> dict[str, Any]:
    changes = r.of(ev.SenStatusChanged)
    since: Entry | None = None
    for entry in changes:  # the start of the current run of SEN support
        e = entry.event
        if isinstance(e, ev.SenStatusChanged):
            since = (since or entry) if e.status in ("K", "E") else None
    if since is None:
        return _result("missing", "no SEN support in place", changes)
    started = since.occurred_on
    detail = f"SEN support since {format_day(started)}; {x.min_months} months expected"
    met = started <= months_before(r.today, x.min_months)
    return _result("met" if met else "missing", detail, [since])


def _progress_data(x: lp.ProgressData, r: Record) -> dict[str, Any]:
    tracking = r.of(ev.TrackingAssessed)
    days = {e.occurred_on for e in tracking}
    if len(days) < x.min_assessments:
        return _result(
            "missing",
            f"{len(days)} assessment date(s); {x.min_assessments} expected",
            tracking,
        )
    if x.within_months:
        cutoff = months_before(r.today, x.within_months)
        recent = {d for d in days if d >= cutoff}
        if len(recent) < x.min_assessments:
            return _result(
                "stale",
                f"{len(recent)} assessment date(s) within {x.within_months} months",
                tracking,
            )
    return _result("met", f"{len(days)} assessment date(s)", tracking)


def _provision_map(_x: lp.ProvisionMap, r: Record) -> dict[str, Any]:
    started = r.of(ev.ProvisionStarted)
    if not started:
        return _result("missing", "no provision recorded", [])
    return _result("met", f"{len(started)} costed provision(s)", started)


def _notional_budget(x: lp.NotionalBudget, r: Record) -> dict[str, Any]:
    start = months_before(r.today, x.period_months)
    spent, entries = setting_spend(r.live, start=start, end=r.today)
    share = spent / x.amount * 100
    detail = (
        f"{format_money(spent)} of the setting's own funds in the last {x.period_months} "
        f"months against the notional {format_money(x.amount)} ({share:.0f}%)"
    )
    if not entries:
        return _result("missing", "no costed provision in the period", [])
    return _result("met" if spent >= x.amount else "missing", detail, entries)


def _matches(x: lp.ProfessionalAdvice, entry: Entry) -> bool:
    e = entry.event
    if not isinstance(e, ev.ReportReceived):
        return False
    where = f"{e.author_role} {e.service}".lower()
    return not x.roles or any(role.lower() in where for role in x.roles)


def _recommended(reports: Sequence[Entry]) -> dict[tuple[str, str], Entry]:
    """Each recommendation of these reports, by (report id, recommendation id)."""
    found: dict[tuple[str, str], Entry] = {}
    for entry in reports:
        if isinstance(entry.event, ev.ReportReceived):
            for item in entry.event.recommendations:
                found[(entry.event.report_id, item["recommendation_id"])] = entry
    return found


def _professional_advice(x: lp.ProfessionalAdvice, r: Record) -> dict[str, Any]:
    reports = [e for e in r.of(ev.ReportReceived) if _matches(x, e)]
    who = " or ".join(x.roles) if x.roles else "outside professional"
    found = _recent(reports, x.max_age_months, r.today, f"report ({who})", _report_day)
    if not x.acted_on or found["status"] == "missing":
        return found
    wanted = _recommended(reports)
    acted: list[Entry] = []
    for entry in r.of(ev.RecommendationActioned):
        e = entry.event
        key = (
            (e.report_id, e.recommendation_id) if isinstance(e, ev.RecommendationActioned) else None
        )
        if key in wanted and isinstance(e, ev.RecommendationActioned):
            acted.append(entry)
            if e.action in ("actioned", "partly_actioned"):
                wanted.pop(key)
    evidence = sorted(reports + acted, key=lambda e: e.version)
    if wanted:
        found = _result(
            "missing",
            f"{len(wanted)} recommendation(s) not acted on, or with no recorded action",
            evidence,
        )
    else:
        found["detail"] += "; every recommendation acted on"
        found["evidence"] = _evidence(evidence)
    return found


def _recommendations_actioned(_x: lp.RecommendationsActioned, r: Record) -> dict[str, Any]:
    """Every recommendation received has a recorded action, whatever was decided."""
    wanted = _recommended(r.of(ev.ReportReceived))
    acted: dict[tuple[str, str], Entry] = {}
    for entry in r.of(ev.RecommendationActioned):
        e = entry.event
        if isinstance(e, ev.RecommendationActioned):
            acted[(e.report_id, e.recommendation_id)] = entry
    if not wanted:
        return _result("missing", "no recommendations received", [])
    open_items = set(wanted) - set(acted)
    behind = {e.version: e for e in [*wanted.values(), *acted.values()]}
    evidence = [behind[v] for v in sorted(behind)]
    if open_items:
        detail = f"{len(open_items)} of {len(wanted)} recommendation(s) without a recorded action"
        return _result("missing", detail, evidence)
    detail = f"an action recorded for each of {len(wanted)} recommendation(s)"
    return _result("met", detail, evidence)


def _parent_view(x: lp.ParentView, r: Record) -> dict[str, Any]:
    views = r.of(ev.ParentViewRecorded)
    return _recent(views, x.max_age_months, r.today, "parent's view", lambda e: e.occurred_on)


def _child_view(x: lp.ChildView, r: Record) -> dict[str, Any]:
    views = r.of(ev.ChildViewRecorded)
    return _recent(views, x.max_age_months, r.today, "child's view", lambda e: e.occurred_on)


def _consent(x: lp.Consent, r: Record) -> dict[str, Any]:
    state: dict[str, tuple[str, Entry]] = {}
    for entry in r.of(ev.ConsentGiven, ev.ConsentRefused, ev.ConsentWithdrawn):
        e = entry.event
        if isinstance(e, ev.ConsentGiven | ev.ConsentRefused) and e.purpose == x.purpose:
            state[e.consent_id] = ("given" if isinstance(e, ev.ConsentGiven) else "refused", entry)
        elif isinstance(e, ev.ConsentWithdrawn) and e.consent_id in state:
            state[e.consent_id] = ("withdrawn", entry)
    entries = [entry for _, entry in state.values()]
    live = [entry for s, entry in state.values() if s == "given"]
    sign = "; a parent must also sign the printed request" if x.signature_on_form else ""
    if live:
        return _result("met", f"consent given on {format_day(live[-1].occurred_on)}{sign}", entries)
    detail = ", ".join(sorted({s for s, _ in state.values()})) or "none recorded"
    return _result("missing", f"no consent in force ({detail}){sign}", entries)


def attendance_coverage(entries: Sequence[Entry], start: date, today: date) -> tuple[int, int]:
    """(days from `start` to `today` covered by attendance records, days in that span),
    both ends counted, so a record of every day is all of the days."""
    days = max((today - start).days + 1, 1)
    covered: set[date] = set()
    for entry in entries:
        e = entry.event
        if not isinstance(e, ev.AttendanceRecorded):
            continue
        day = max(e.period_start, start)
        while day <= min(e.period_end, today):
            covered.add(day)
            day += timedelta(days=1)
    return len(covered), days


def _attendance(x: lp.Attendance, r: Record) -> dict[str, Any]:
    records = r.of(ev.AttendanceRecorded)
    registered = next((e.occurred_on for e in r.of(ev.ChildRegistered)), None)
    window = months_before(r.today, x.months)
    start = max(window, registered or window)
    if not records:
        return _result("missing", "no attendance recorded", [])
    covered, days = attendance_coverage(records, start, r.today)
    detail = f"recorded for {covered} of {days} days since {format_day(start)}"
    return _result("met" if covered / days >= x.min_share else "stale", detail, records)


def _agencies(x: lp.AgenciesInvolved, r: Record) -> dict[str, Any]:
    found = r.of(ev.ReferralMade, ev.ProfessionalContact, ev.ReportReceived)
    services = sorted({str(getattr(e.event, "service", "")) for e in found} - {""})
    detail = f"{len(services)} service(s): {', '.join(services)}" if services else "none recorded"
    return _result("met" if len(services) >= x.min else "missing", detail, found)


EVALUATORS: dict[str, Callable[[Any, Record], dict[str, Any]]] = {
    "sen_support": _sen_support,
    "parent_notified": _parent_notified,
    "reviewed_cycles": _reviewed_cycles,
    "support_duration": _support_duration,
    "progress_data": _progress_data,
    "provision_map": _provision_map,
    "notional_budget": _notional_budget,
    "professional_advice": _professional_advice,
    "recommendations_actioned": _recommendations_actioned,
    "parent_view": _parent_view,
    "child_view": _child_view,
    "consent": _consent,
    "attendance": _attendance,
    "agencies_involved": _agencies,
}


def law_note(expectation: Any) -> str:
    """What the law says of this expectation, in one plain sentence."""
    if isinstance(expectation, lp.ProfessionalAdvice) and expectation.roles:
        return NAMED_PROFESSIONAL
    return LAW[expectation.kind]


def applies(r: Record) -> bool:
    """Whether readiness means something for the child by `r.today`: a concern, SEN
    support (K or E) or a step of an EHC process is on the record."""
    return bool(
        r.of(ev.ConcernRaised)
        or r.sen["status"] in ("K", "E")
        or any(type(e.event) in EHC_STAGES for e in r.live)
    )


def la_readiness(
    entries: Sequence[Entry], loaded: lp.LoadedProfile, *, today: date
) -> dict[str, Any]:
    """Every expectation of the profile, as of `today`, with the evidence behind it; none
    (`applies` false, `absent_because` saying why) for a child with no concern, no SEN
    support and no EHC process."""
    profile = loaded.profile
    record = Record(entries, today, profile)
    judged = applies(record)
    results = [
        {
            "id": x.id,
            "kind": x.kind,
            "title": x.title,
            **EVALUATORS[x.kind](x, record),
            "guidance": x.guidance,
            "required_by_law": False,
            "law": law_note(x),
        }
        for x in (profile.expectations if judged else [])
    ]
    counts = {s: sum(1 for x in results if x["status"] == s) for s in ("met", "missing", "stale")}
    return {
        "as_of": today.isoformat(),
        "profile": loaded.summary(),
        "applies": judged,
        "absent_because": None if judged else ABSENT_BECAUSE,
        "notes": list(profile.notes),
        "expectations": results,
        **counts,
        "total": len(results),
        "blocks_export": False,
        "note": NOTE,
    }
