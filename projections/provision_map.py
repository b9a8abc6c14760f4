"""The costed provision map: every provision with how it is delivered, what it costs and
who pays, planned against delivered sessions (fidelity), with totals per term, per funding
source, and the setting's core offer against what is additional to it.

`cost` on a provision is the cost of its whole planned block (`weeks` weeks); it is spread
evenly over those weeks to give costs per term. A change applies from its own date: each week
is planned, costed and funded on the terms in force when the week starts, so a change takes
effect from the first week that starts on or after it. A provision's weeks fall into periods
at each change; planned sessions (whole weeks elapsed by the view date), sessions delivered
and missed (by session date), fidelity and cost are given per period and summed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain import events as ev
from domain.vocabulary import FUNDING_SOURCES, STAFF_GRADES
from projections.terms import term_key, term_of
from projections.timeline import Entry, effective

CORE = frozenset({"core"})
# The setting's own resources: its core offer and its notional SEN budget.
SETTING_FUNDS = frozenset({"core", "additional"})
PENNY = Decimal("0.01")
# The unit of every field a provision (or a change to it) carries.
UNITS = {
    "group_size": "children in the group",
    "session_minutes": "minutes a session",
    "sessions_per_week": "sessions a week",
    "weeks": "weeks planned from the start date",
    "cost": "pounds for the whole planned block of `weeks` weeks, spread evenly over them",
    "staff_grade": "staff grade code",
    "funding_source": "funding source code",
    "description": "text",
}
TERMS = ("sessions_per_week", "session_minutes", "weeks", "cost", "funding_source")


def planned_end(start: date, weeks: int) -> date:
    """The last day of a provision's planned block of `weeks` weeks from `start`."""
    return start + timedelta(weeks=weeks, days=-1)


def _weeks(p: dict[str, Any], until: date) -> list[tuple[date, dict[str, Any]]]:
    """(week start, terms in force at that start) for each planned week up to `until`."""
    weeks: list[tuple[date, dict[str, Any]]] = []
    segments = p["segments"]  # [{"from": date, **terms}], in order
    for week in range(p["weeks"]):
        start = p["start_date"] + timedelta(weeks=week)
        if start > until or (p["end_date"] is not None and start > p["end_date"]):
            break
        applicable = [s for s in segments if s["from"] <= start] or segments[:1]
        weeks.append((start, applicable[-1]))
    return weeks


def _weekly_costs(p: dict[str, Any], until: date) -> list[tuple[date, Decimal, str]]:
    """(week start, cost, funding source) for each planned week up to `until`."""
    return [
        (start, terms["cost"] / terms["weeks"], terms["funding_source"])
        for start, terms in _weeks(p, until)
    ]


def _periods(p: dict[str, Any], stop: date) -> list[dict[str, Any]]:
    """The provision split at each change: from the first week a change governs, the terms
    then, sessions planned, delivered and missed, fidelity and cost to `stop`."""
    periods: list[dict[str, Any]] = []
    for segment in p["segments"]:
        begins = p["start_date"]
        while begins < segment["from"]:
            begins += timedelta(weeks=1)
        if periods and begins <= periods[-1]["begins"]:
            periods[-1].update(terms=segment)  # two changes before one week starts
            continue
        periods.append({"begins": begins, "terms": segment, "changed_on": segment["changed_on"]})
    for week_start, terms in _weeks(p, stop):
        period = [x for x in periods if x["begins"] <= week_start][-1]
        period["planned"] = period.get("planned", 0) + terms["sessions_per_week"]
        period["cost"] = period.get("cost", Decimal(0)) + terms["cost"] / terms["weeks"]
    rows = []
    for i, period in enumerate(periods):
        ends = periods[i + 1]["begins"] if i + 1 < len(periods) else None
        sessions = [
            kind
            for day, kind in p["sessions"]
            if day >= period["begins"] and (ends is None or day < ends) and day <= stop
        ]
        planned, delivered = period.get("planned", 0), sessions.count("delivered")
        terms = period["terms"]
        rows.append(
            {
                "from": period["begins"].isoformat(),
                "until": (ends - timedelta(days=1)).isoformat() if ends else None,
                "changed_on": period["changed_on"],
                "sessions_per_week": terms["sessions_per_week"],
                "session_minutes": terms["session_minutes"],
                "weeks": terms["weeks"],
                "cost": f"{terms['cost']:.2f}",
                "cost_per_week": f"{(terms['cost'] / terms['weeks']).quantize(PENNY):.2f}",
                "funding_source": terms["funding_source"],
                "planned_sessions": planned,
                "delivered_sessions": delivered,
                "missed_sessions": sessions.count("missed"),
                "fidelity_percent": _percent(delivered, planned),
                "cost_to_date": f"{period.get('cost', Decimal(0)).quantize(PENNY):.2f}",
            }
        )
    return rows


def _percent(part: int, whole: int) -> float | None:
    """`part` of `whole` in percent, never above 100 (sessions beyond those planned are
    counted, but fidelity is at most all of the plan)."""
    return round(100 * min(part, whole) / whole, 1) if whole else None


def _fold(entries: Sequence[Entry]) -> dict[str, dict[str, Any]]:
    """Each provision as it stands after the effective entries, with its cost segments
    and the versions that made it."""
    provisions: dict[str, dict[str, Any]] = {}
    for entry in effective(entries):
        e = entry.event
        if isinstance(e, ev.ProvisionStarted):
            provisions[e.provision_id] = {
                "provision_id": e.provision_id,
                "description": e.description,
                "area": e.area,
                "start_date": e.start_date,
                "end_date": None,
                "group_size": e.group_size,
                "session_minutes": e.session_minutes,
                "sessions_per_week": e.sessions_per_week,
                "weeks": e.weeks,
                "staff_grade": e.staff_grade,
                "cost": e.cost,
                "funding_source": e.funding_source,
                "delivered": 0,
                "missed": 0,
                "delivered_minutes": 0,
                "changes": [],
                "sessions": [],
                "segments": [],
                "versions": [entry.version],
            }
            p = provisions[e.provision_id]
            p["segments"].append({"from": e.start_date, "changed_on": None, **_terms(p)})
        elif isinstance(e, ev.ProvisionChanged):
            p = provisions[e.provision_id]
            p.update(e.changes)
            p["changes"].append(
                {
                    "on": entry.occurred_on.isoformat(),
                    "reason": e.reason,
                    "changes": {k: str(v) for k, v in e.changes.items()},
                    "units": {k: UNITS[k] for k in e.changes if k in UNITS},
                }
            )
            on = entry.occurred_on.isoformat()
            p["segments"].append({"from": entry.occurred_on, "changed_on": on, **_terms(p)})
            p["versions"].append(entry.version)
        elif isinstance(e, ev.ProvisionEnded):
            provisions[e.provision_id]["end_date"] = e.end_date
            provisions[e.provision_id]["versions"].append(entry.version)
        elif isinstance(e, ev.SessionDelivered) and e.provision_id in provisions:
            provisions[e.provision_id]["delivered"] += 1
            provisions[e.provision_id]["delivered_minutes"] += e.minutes
            provisions[e.provision_id]["sessions"].append((e.session_date, "delivered"))
        elif isinstance(e, ev.SessionMissed) and e.provision_id in provisions:
            provisions[e.provision_id]["missed"] += 1
            provisions[e.provision_id]["sessions"].append((e.session_date, "missed"))
    return provisions


def _terms(p: dict[str, Any]) -> dict[str, Any]:
    return {k: p[k] for k in TERMS}


def setting_spend(
    entries: Sequence[Entry], *, start: date, end: date
) -> tuple[Decimal, list[Entry]]:
    """What the setting spent from its own funds (core offer and its SEN budget) on weeks
    starting between `start` and `end`, and the provision entries that spending comes from."""
    spent = Decimal(0)
    versions: set[int] = set()
    for p in _fold(entries).values():
        stop = min(end, p["end_date"]) if p["end_date"] else end
        weeks = [w for w in _weekly_costs(p, stop) if w[0] >= start and w[2] in SETTING_FUNDS]
        if weeks:
            spent += sum((cost for _, cost, _ in weeks), Decimal(0))
            versions.update(p["versions"])
    return spent.quantize(PENNY), [e for e in entries if e.version in versions]


def provision_map(entries: Sequence[Entry], *, today: date) -> dict[str, Any]:
    """The map as of `today` (a past date gives the map as it stood then)."""
    provisions = _fold(entries)
    per_term: dict[str, Decimal] = defaultdict(Decimal)
    per_source: dict[str, Decimal] = defaultdict(Decimal)
    rows = []
    for p in provisions.values():
        stop = min(today, p["end_date"]) if p["end_date"] else today
        periods = _periods(p, stop)
        # Its planned weeks over and no end recorded: not "active", but for review.
        last_day = planned_end(p["start_date"], p["weeks"])
        overrun = p["end_date"] is None and today > last_day
        planned = sum(x["planned_sessions"] for x in periods)
        delivered = sum(x["delivered_sessions"] for x in periods)
        spent = Decimal(0)
        for week_start, cost, funding in _weekly_costs(p, stop):
            per_term[term_of(week_start)] += cost
            per_source[funding] += cost
            spent += cost
        rows.append(
            {
                "provision_id": p["provision_id"],
                "description": p["description"],
                "area": p["area"],
                "start_date": p["start_date"].isoformat(),
                "end_date": p["end_date"].isoformat() if p["end_date"] else None,
                "active": p["start_date"] <= today
                and (p["end_date"] is None or p["end_date"] >= today)
                and not overrun,
                "planned_end": last_day.isoformat(),
                "past_planned_end": overrun,
                "group_size": p["group_size"],
                "session_minutes": p["session_minutes"],
                "sessions_per_week": p["sessions_per_week"],
                "weeks": p["weeks"],
                "staff_grade": p["staff_grade"],
                "staff_grade_label": STAFF_GRADES.label(p["staff_grade"]),
                "cost": f"{p['cost']:.2f}",
                "cost_to_date": f"{spent.quantize(PENNY):.2f}",
                "funding_source": p["funding_source"],
                "funding_label": FUNDING_SOURCES.label(p["funding_source"]),
                "planned_sessions": planned,
                "delivered_sessions": delivered,
                "missed_sessions": sum(x["missed_sessions"] for x in periods),
                "fidelity_percent": _percent(delivered, planned),
                "periods": periods,
                "changes": p["changes"],
            }
        )
    total = sum(per_source.values(), Decimal(0))
    core = sum((v for k, v in per_source.items() if k in CORE), Decimal(0))
    planned_total = sum(r["planned_sessions"] for r in rows)
    delivered_total = sum(r["delivered_sessions"] for r in rows)
    return {
        "as_of": today.isoformat(),
        "units": UNITS,
        "provisions": rows,
        "totals": {
            "cost_to_date": f"{total.quantize(PENNY):.2f}",
            "per_term": {
                t: f"{per_term[t].quantize(PENNY):.2f}" for t in sorted(per_term, key=term_key)
            },
            "per_funding_source": {
                k: f"{v.quantize(PENNY):.2f}" for k, v in sorted(per_source.items())
            },
            "core_offer": f"{core.quantize(PENNY):.2f}",
            "additional_to_core": f"{(total - core).quantize(PENNY):.2f}",
            "planned_sessions": planned_total,
            "delivered_sessions": delivered_total,
            "fidelity_percent": _percent(delivered_total, planned_total),
            "past_planned_end": [r["provision_id"] for r in rows if r["past_planned_end"]],
        },
    }
