"""A setting's provision map by school term, across its children (the view Tes Provision
Map and most SEN systems are built around): per term, what was spent and from which
funds, sessions planned against delivered (fidelity), how many children, and each kind of
provision with its children. Built from each child's own entries as of a date, with the
same arithmetic as the child's provision map (projections/provision_map.py): changes apply
from their own date, cost is spread evenly over the planned weeks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.vocabulary import FUNDING_SOURCES
from projections.provision_map import PENNY, _fold, _percent, _weekly_costs, _weeks
from projections.terms import term_key, term_of
from projections.timeline import Entry


@dataclass
class _Tally:
    cost: Decimal = Decimal(0)
    by_funding: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    planned: int = 0
    delivered: int = 0
    missed: int = 0
    children: set[UUID] = field(default_factory=set)

    def row(self) -> dict[str, Any]:
        return {
            "cost": f"{self.cost.quantize(PENNY):.2f}",
            "by_funding_source": {
                k: f"{v.quantize(PENNY):.2f}" for k, v in sorted(self.by_funding.items())
            },
            "planned_sessions": self.planned,
            "delivered_sessions": self.delivered,
            "missed_sessions": self.missed,
            "fidelity_percent": _percent(self.delivered, self.planned),
            "children": len(self.children),
        }


def setting_provision(
    children: Iterable[tuple[UUID, Sequence[Entry]]], *, today: date
) -> dict[str, Any]:
    """The map as of `today` from each child's admitted entries."""
    terms: dict[str, _Tally] = defaultdict(_Tally)
    kinds: dict[tuple[str, str], dict[str, _Tally]] = defaultdict(lambda: defaultdict(_Tally))
    names: dict[tuple[str, str], str] = {}
    for child_id, entries in children:
        for p in _fold(entries).values():
            if p["start_date"] > today:
                continue
            stop = min(today, p["end_date"]) if p["end_date"] else today
            key = (p["description"], p["area"])
            names[key] = p["description"]
            for week_start, cost, funding in _weekly_costs(p, stop):
                for tally in (terms[term_of(week_start)], kinds[key][term_of(week_start)]):
                    tally.cost += cost
                    tally.by_funding[funding] += cost
                    tally.children.add(child_id)
            for week_start, in_force in _weeks(p, stop):
                if week_start <= stop:
                    for tally in (terms[term_of(week_start)], kinds[key][term_of(week_start)]):
                        tally.planned += int(in_force["sessions_per_week"])
            for day, status in p["sessions"]:
                if day <= stop:
                    for tally in (terms[term_of(day)], kinds[key][term_of(day)]):
                        setattr(tally, status, getattr(tally, status) + 1)
                        tally.children.add(child_id)
    ordered = sorted(terms, key=term_key)
    return {
        "as_of": today.isoformat(),
        "funding_labels": dict(FUNDING_SOURCES.terms),
        "terms": [
            {
                "term": t,
                **terms[t].row(),
                "provisions": [
                    {"description": names[k], "area": k[1], **per_term[t].row()}
                    for k, per_term in sorted(kinds.items())
                    if t in per_term
                ],
            }
            for t in ordered
        ],
    }


CSV_COLUMNS = (
    "term",
    "provision",
    "area",
    "children",
    "planned_sessions",
    "delivered_sessions",
    "missed_sessions",
    "fidelity_percent",
    "cost",
    *(f"cost_{code}" for code in FUNDING_SOURCES.terms),
)


def csv_rows(found: dict[str, Any]) -> list[list[str]]:
    """One row per term and provision, then a total row per term (provision `all`)."""
    rows: list[list[str]] = [list(CSV_COLUMNS)]
    for term in found["terms"]:
        for p in [*term["provisions"], {**term, "description": "all", "area": ""}]:
            rows.append(
                [
                    term["term"],
                    p["description"],
                    p["area"],
                    str(p["children"]),
                    str(p["planned_sessions"]),
                    str(p["delivered_sessions"]),
                    str(p["missed_sessions"]),
                    "" if p["fidelity_percent"] is None else f"{p['fidelity_percent']}",
                    p["cost"],
                    *(p["by_funding_source"].get(code, "0.00") for code in FUNDING_SOURCES.terms),
                ]
            )
    return rows
