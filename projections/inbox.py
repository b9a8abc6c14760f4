"""What needs someone's attention on one child's record, as inbox items: a parent's
dispute or view since the user last looked at the record, an overdue review, outcomes
past their target date and not met, provision past its planned end, a consent withdrawn
since the user last looked, and EHC deadlines overdue or due within `soon` days. Each item
names where it is dealt with (`act`: a form's slug or a page of the child)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from domain import events as ev
from projections.timeline import Entry

MET = frozenset({"met", "exceeded"})
PARENT_WORDS = (ev.EntryDisputed, ev.ParentViewRecorded)


@dataclass(frozen=True)
class Item:
    kind: str  # parent_words, review_overdue, outcome_overdue, provision_overrun,
    # consent_withdrawn, ehc_deadline
    urgent: bool
    when: str  # the date it is about (ISO)
    text: str
    act: str  # where it is dealt with, under the child's page: "record/<slug>",
    # "chronology#entry-7", or "" (the child's overview)

    def row(self) -> dict[str, Any]:
        return asdict(self)


def items_for(
    entries: Sequence[Entry],
    views: dict[str, dict[str, Any]],
    *,
    today: date,
    last_looked: datetime | None,
    soon: int = 30,
) -> list[Item]:
    """The child's inbox items, most urgent and oldest first."""
    found: list[Item] = []
    for entry in entries:
        new = last_looked is None or entry.recorded_at > last_looked
        if (
            isinstance(entry.event, PARENT_WORDS)
            and new
            and entry.event.recorded_by.role == "parent"
        ):
            what = (
                "disputed an entry"
                if isinstance(entry.event, ev.EntryDisputed)
                else ("added their view")
            )
            found.append(
                Item(
                    "parent_words",
                    True,
                    entry.occurred_at.date().isoformat(),
                    f"A parent {what}",
                    f"chronology#entry-{entry.version}",
                )
            )
        if isinstance(entry.event, ev.ConsentWithdrawn) and new:
            found.append(
                Item(
                    "consent_withdrawn",
                    True,
                    entry.occurred_at.date().isoformat(),
                    "A consent was withdrawn",
                    f"chronology#entry-{entry.version}",
                )
            )
    plan = views["plan"].get("plan")
    if plan:
        if plan.get("review_overdue"):
            found.append(
                Item(
                    "review_overdue",
                    True,
                    str(plan["next_review_date"]),
                    "The support plan's review is overdue",
                    "record/review",
                )
            )
        for outcome in plan.get("outcomes", []):
            target = date.fromisoformat(str(outcome["target_date"]))
            progress = (outcome.get("latest_progress") or {}).get("progress")
            if target < today and progress not in MET:
                found.append(
                    Item(
                        "outcome_overdue",
                        False,
                        target.isoformat(),
                        f"Outcome past its target date: {outcome['description']}",
                        "record/review",
                    )
                )
    for row in views["provision-map"].get("provisions", []):
        if row.get("past_planned_end"):
            found.append(
                Item(
                    "provision_overrun",
                    False,
                    str(row["planned_end"]),
                    f"Provision past its planned end: {row['description']}",
                    "record/provision-end",
                )
            )
    current = views["ehc-timeline"].get("current") or {}
    for step in current.get("steps", []):
        if step.get("state") != "pending" or not step.get("due"):
            continue
        due = date.fromisoformat(str(step["due"]))
        if due <= today + timedelta(days=soon):
            found.append(
                Item(
                    "ehc_deadline",
                    due < today,
                    due.isoformat(),
                    f"EHC deadline: {step['step']}",
                    "",
                )
            )
    return sorted(found, key=lambda i: (not i.urgent, i.when))
