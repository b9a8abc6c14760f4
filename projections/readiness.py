"""Readiness hints for an EHC needs assessment request (DOMAIN.md, CoP 9.14).

They advise, never block: the legal test for an assessment is low (CFA 2014 s.36(8)), so
no hint, however red, stops an export. Each hint says met / missing / stale and names
the entries (versions) behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from domain import events as ev
from projections.support_plan import EHC_STAGES, support_plan
from projections.timeline import Entry, effective

YEAR = timedelta(days=365)
NOTE = (
    "Hints only: the legal test for an EHC needs assessment is low; no hint "
    "is a precondition for a request (CFA 2014 s.36(8))."
)
# Readiness is shown for a child with a concern, SEN support (K or E) or an EHC process.
ABSENT_BECAUSE = (
    "No concern, SEN support or EHC needs assessment is on the record by this date, so "
    "there is nothing to judge readiness for an EHC needs assessment request against."
)


def _hint(
    hint_id: str, title: str, status: str, detail: str, evidence: list[int]
) -> dict[str, Any]:
    return {"id": hint_id, "title": title, "status": status, "detail": detail, "evidence": evidence}


def _recent(
    entries: list[Entry], today: date, title: str, hint_id: str, when: Any = None
) -> dict[str, Any]:
    if not entries:
        return _hint(hint_id, title, "missing", "none recorded", [])
    latest = max(entries, key=lambda e: when(e) if when else e.occurred_on)
    day = when(latest) if when else latest.occurred_on
    status = "met" if today - day <= YEAR else "stale"
    return _hint(
        hint_id, title, status, f"latest on {day.isoformat()}", [e.version for e in entries]
    )


def _report_date(entry: Entry) -> date:
    event = entry.event
    return event.report_date if isinstance(event, ev.ReportReceived) else entry.occurred_on


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


def _attendance(entries: list[Entry], today: date, registered: date | None) -> dict[str, Any]:
    title = "Attendance over the last two years"
    window_start = max(today - 2 * YEAR, registered or today - 2 * YEAR)
    if not entries:
        return _hint("attendance", title, "missing", "no attendance recorded", [])
    covered, days = attendance_coverage(entries, window_start, today)
    status = "met" if covered / days >= 0.8 else "stale"
    return _hint(
        "attendance",
        title,
        status,
        f"attendance recorded for {covered} of {days} days",
        [e.version for e in entries],
    )


def readiness(entries: Sequence[Entry], *, today: date) -> dict[str, Any]:
    """The hints, as of `today`; none (`applies` false, `absent_because` saying why) for
    a child with no concern, no SEN support and no EHC process."""
    live = effective(entries)
    by_kind: dict[type, list[Entry]] = {}
    for entry in live:
        by_kind.setdefault(type(entry.event), []).append(entry)

    def of(kind: type) -> list[Entry]:
        return by_kind.get(kind, [])

    registered = next(
        (e.occurred_on for e in live if isinstance(e.event, ev.ChildRegistered)), None
    )
    # The status as the plan view derives it: E while an issued EHC plan counts.
    sen = support_plan(entries, today=today)["sen_status"]
    status = sen["status"]
    ehc_steps = [e for e in live if type(e.event) in EHC_STAGES]
    if not (of(ev.ConcernRaised) or status in ("K", "E") or ehc_steps):
        return _absent(today)
    hints = []
    status_versions = [e.version for e in of(ev.SenStatusChanged)]
    if sen["derived_from"] is not None:
        status_versions = sorted({*status_versions, sen["derived_from"]})
    hints.append(
        _hint(
            "sen_support",
            "SEN support in place (status K or E)",
            "met" if status in ("K", "E") else "missing",
            f"current status {status}",
            status_versions,
        )
    )
    notified = of(ev.ParentNotified)
    hints.append(
        _hint(
            "parent_notified",
            "Parents formally told SEN provision started (CoP 6.43)",
            "met" if notified else "missing",
            "notified" if notified else "no notification recorded",
            [e.version for e in notified],
        )
    )
    reviews = of(ev.ReviewHeld)
    hints.append(
        _hint(
            "reviewed_cycles",
            "At least two reviewed assess-plan-do-review cycles",
            "met" if len(reviews) >= 2 else "missing",
            f"{len(reviews)} review(s) held",
            [e.version for e in reviews],
        )
    )
    tracking = of(ev.TrackingAssessed)
    hints.append(
        _hint(
            "progress_data",
            "Baseline and progress data (two or more assessments)",
            "met" if len({e.occurred_on for e in tracking}) >= 2 else "missing",
            f"{len(tracking)} tracking assessment(s)",
            [e.version for e in tracking],
        )
    )
    provisions = of(ev.ProvisionStarted)
    hints.append(
        _hint(
            "costed_provision",
            "A costed provision map",
            "met" if provisions else "missing",
            f"{len(provisions)} provision(s)",
            [e.version for e in provisions],
        )
    )
    hints.append(
        _recent(
            of(ev.ParentViewRecorded),
            today,
            "Parent's view within the last 12 months",
            "parent_view",
        )
    )
    hints.append(
        _recent(
            of(ev.ChildViewRecorded), today, "Child's view within the last 12 months", "child_view"
        )
    )
    reports = of(ev.ReportReceived)
    hints.append(
        _recent(
            reports,
            today,
            "External professional report within 12 months",
            "external_report",
            when=_report_date,
        )
    )
    recommended: dict[tuple[str, str], int] = {}
    for entry in reports:
        if isinstance(entry.event, ev.ReportReceived):
            for rec in entry.event.recommendations:
                recommended[(entry.event.report_id, rec["recommendation_id"])] = entry.version
    actioned = {
        (e.event.report_id, e.event.recommendation_id): e.version
        for e in of(ev.RecommendationActioned)
        if isinstance(e.event, ev.RecommendationActioned)
    }
    open_items = sorted(set(recommended) - set(actioned))
    hints.append(
        _hint(
            "recommendations_actioned",
            "What was done with each recommendation",
            "missing" if open_items or not recommended else "met",
            (
                f"{len(open_items)} of {len(recommended)} recommendation(s) "
                "without a recorded action"
                if recommended
                else "no recommendations received"
            ),
            sorted(set(recommended.values()) | set(actioned.values())),
        )
    )
    hints.append(_attendance(of(ev.AttendanceRecorded), today, registered))
    consents: dict[str, tuple[str, int]] = {}
    for entry in live:
        e = entry.event
        if isinstance(e, ev.ConsentGiven) and e.purpose == "share_with_la":
            consents[e.consent_id] = ("given", entry.version)
        elif isinstance(e, ev.ConsentWithdrawn) and e.consent_id in consents:
            consents[e.consent_id] = ("withdrawn", entry.version)
    live_share = [v for state, v in consents.values() if state == "given"]
    hints.append(
        _hint(
            "consent_share_with_la",
            "Parental consent to share with the LA",
            "met" if live_share else "missing",
            "consent in force" if live_share else "no live consent to share",
            [v for _, v in consents.values()],
        )
    )
    met = sum(1 for h in hints if h["status"] == "met")
    return {
        "as_of": today.isoformat(),
        "applies": True,
        "absent_because": None,
        "hints": hints,
        "met": met,
        "total": len(hints),
        "blocks_export": False,
        "note": NOTE,
    }


def _absent(today: date) -> dict[str, Any]:
    """No hints for a child the record gives no reason to ask about: a red "0 of 11" for
    a child with no concern would say something the record does not."""
    return {
        "as_of": today.isoformat(),
        "applies": False,
        "absent_because": ABSENT_BECAUSE,
        "hints": [],
        "met": 0,
        "total": 0,
        "blocks_export": False,
        "note": NOTE,
    }
