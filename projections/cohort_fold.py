"""The cohort row of one child, and how each event changes it (pure: no I/O).

A row holds ids, codes, dates, flags and amounts only: never a name, a note or any
free text, so the cohort tables carry no personal data beyond a random child id.

Fold rules (DOMAIN.md; the events of `domain.events`):

- ChildRegistered opens the row in its setting with status N. A registration marked
  mistaken still opens the row: it is what the record *is* (a wrong setting is put right
  by a transfer).
- ChildEnrolled sets the setting and reopens a row closed by ChildLeft; ChildTransferred
  moves the row to the new setting; ChildLeft closes it as "left".
- RecordErased closes the row as "erased" and clears everything but the child id and
  setting: no status, need, plan or cost of an erased child stays in the cohort.
- SenStatusChanged sets the SEN status (N, K, E), the need codes and the primary need;
  E only while an issued EHC plan counts (EhcPlanFinalised with "issue" sets E itself:
  the status follows from the plan, and a plan marked mistaken takes its E with it).
- ConcernRaised with level "high", or DiscussionHeld with outcome
  "high_concern_seek_advice", sets high concern. A later DiscussionHeld with any other
  outcome clears it: the key person / SENCO discussion is the moderated judgement of a
  concern. Lower concerns raised later leave it as it is.
- SupportPlanIssued and SupportPlanRevised make the plan open with their review date.
  ReviewHeld sets the last review date (the day it was held) and, unless its decision is
  "stop", the plan's next review date; "stop" ends the plan. A child has a plan while any
  of its plans is open; the plan review date is the earliest review date of its open
  plans. A review or revision of a plan the row does not know (its issue was marked
  mistaken) changes nothing.
- ParentNotified records that parents were formally told SEN provision is starting.
- EHC steps set the stage (as `ChildRecord.ehc_stage`) and dates. The next statutory
  deadline: the LA's decision whether to assess is due 6 weeks after the request (until a
  decision is recorded); after a decision to assess, the final plan is due 20 weeks after
  the request (until EhcPlanFinalised); once a plan is issued, its annual review is due
  12 months after it was finalised, then 12 months after each EhcAnnualReviewHeld
  (CoP 9.166). A refusal to assess, or a decision not to issue, leaves no deadline.
- ProvisionStarted records the provision's cost (in pence, exact) under its funding
  source; ProvisionChanged with a new cost or funding source moves the amount. Ending a
  provision keeps its recorded cost: it was the cost agreed for it. Each provision also
  keeps its start, the last day of its planned weeks (moved by a change of weeks) and
  its end date once ended: one past its planned end with no end recorded is listed for
  review.
- EntryMarkedMistaken, and RecordCorrected carrying values: the child's row is recomputed
  from its history up to it by `replay`, which leaves out every entry marked mistaken and
  counts corrected entries with their corrected values (the same rule as the other
  derived views, `projections.timeline.effective`), so the cohort never counts a mistake.
- Every other event changes nothing but the row's last version, so the catch-up loop
  does not even decode it (its kind is known from the topic, stored in clear).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, timedelta
from decimal import Decimal
from typing import Any

from domain import events as ev
from projections.provision_map import planned_end
from projections.timeline import Entry, effective

DECISION_DUE = timedelta(weeks=6)
FINAL_PLAN_DUE = timedelta(weeks=20)


def pence(amount: Decimal) -> int:
    """An amount in pounds (at most two decimal places) as whole pence."""
    return int((Decimal(str(amount)) * 100).to_integral_exact())


def a_year_after(day: date) -> date:
    """The same day a year later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


@dataclass(frozen=True)
class Provision:
    """A provision's recorded cost and who pays for it, and when its planned block ends
    (None in rows folded before these were kept) or it ended."""

    amount_pence: int
    funding_source: str
    start_date: date | None = None
    planned_end: date | None = None
    end_date: date | None = None


@dataclass
class ChildRow:
    """What the cohort knows about one child (ids, codes, dates, flags, amounts)."""

    child_id: str
    setting_id: str = ""
    closed: str | None = None  # None while on roll; "left" or "erased"
    sen_status: str = "N"
    need_codes: tuple[str, ...] = ()
    primary_need: str | None = None
    high_concern: bool = False
    plans: dict[str, date | None] = field(default_factory=dict)  # review date; None: ended
    last_review_date: date | None = None
    parent_notified: bool = False
    ehc_stage: str = "none"
    ehc_request_date: date | None = None
    ehc_decision_date: date | None = None
    ehc_deadline: date | None = None
    ehc_deadline_kind: str | None = None
    provisions: dict[str, Provision] = field(default_factory=dict)
    last_version: int = 0

    @property
    def has_plan(self) -> bool:
        """Whether any support plan is open."""
        return any(review is not None for review in self.plans.values())

    @property
    def plan_review_date(self) -> date | None:
        """The earliest review date of the open plans."""
        return min((r for r in self.plans.values() if r is not None), default=None)


Rule = Callable[[ChildRow, Any], None]


def _registered(row: ChildRow, e: ev.ChildRegistered) -> None:
    row.setting_id = e.setting_id


def _enrolled(row: ChildRow, e: ev.ChildEnrolled) -> None:
    row.setting_id, row.closed = e.setting_id, None


def _transferred(row: ChildRow, e: ev.ChildTransferred) -> None:
    row.setting_id = e.to_setting


def _left(row: ChildRow, _event: ev.ChildLeft) -> None:
    row.closed = "left"


def _erased(row: ChildRow, _event: ev.RecordErased | ev.RetentionDisposed) -> None:
    blank = ChildRow(row.child_id, setting_id=row.setting_id, closed="erased")
    vars(row).update(vars(blank))


def _status(row: ChildRow, e: ev.SenStatusChanged) -> None:
    if e.status != "E" or row.ehc_stage == "plan":  # E follows from an issued plan only
        row.sen_status = e.status
    row.need_codes, row.primary_need = tuple(e.need_codes), e.primary_need


def _concern(row: ChildRow, e: ev.ConcernRaised) -> None:
    if e.level == "high":
        row.high_concern = True


def _discussion(row: ChildRow, e: ev.DiscussionHeld) -> None:
    row.high_concern = e.outcome == "high_concern_seek_advice"


def _plan(row: ChildRow, e: ev.SupportPlanIssued | ev.SupportPlanRevised) -> None:
    if isinstance(e, ev.SupportPlanIssued) or e.plan_id in row.plans:
        row.plans[e.plan_id] = e.review_date


def _review(row: ChildRow, e: ev.ReviewHeld) -> None:
    if e.plan_id not in row.plans:
        return
    row.last_review_date = e.occurred_at.astimezone(UTC).date()
    row.plans[e.plan_id] = None if e.decision == "stop" else e.next_review_date


def _notified(row: ChildRow, _event: ev.ParentNotified) -> None:
    row.parent_notified = True


def _deadline(row: ChildRow, kind: str | None, due: date | None) -> None:
    row.ehc_deadline_kind, row.ehc_deadline = (kind, due) if due is not None else (None, None)


def _ehc_request(row: ChildRow, e: ev.EhcRequestSubmitted) -> None:
    row.ehc_stage, row.ehc_request_date, row.ehc_decision_date = "requested", e.request_date, None
    _deadline(row, "decision", e.request_date + DECISION_DUE)


def _ehc_decision(row: ChildRow, e: ev.EhcDecisionRecorded) -> None:
    row.ehc_decision_date = e.decision_date
    if e.decision == "assess":
        row.ehc_stage = "assessing"
        request = row.ehc_request_date
        _deadline(row, "final_plan", request + FINAL_PLAN_DUE if request else None)
    else:
        row.ehc_stage = "refused"
        _deadline(row, None, None)


def _ehc_draft(row: ChildRow, _event: ev.EhcDraftIssued) -> None:
    row.ehc_stage = "draft"


def _ehc_final(row: ChildRow, e: ev.EhcPlanFinalised) -> None:
    if e.decision == "issue":
        row.ehc_stage = "plan"
        row.sen_status = "E"  # follows from the plan
        _deadline(row, "annual_review", a_year_after(e.final_date))
    else:
        row.ehc_stage = "not_issued"
        _deadline(row, None, None)


def _ehc_annual(row: ChildRow, e: ev.EhcAnnualReviewHeld) -> None:
    _deadline(row, "annual_review", a_year_after(e.review_date))


def _ehc_ceased(row: ChildRow, e: ev.EhcPlanCeased) -> None:
    row.ehc_stage = "ceased"
    row.sen_status = e.status_after  # E ends with the plan
    _deadline(row, None, None)


def _provision(row: ChildRow, e: ev.ProvisionStarted) -> None:
    row.provisions[e.provision_id] = Provision(
        pence(e.cost), e.funding_source, e.start_date, planned_end(e.start_date, e.weeks)
    )


def _provision_changed(row: ChildRow, e: ev.ProvisionChanged) -> None:
    known = row.provisions.get(e.provision_id)
    if known is None:
        return
    amount = pence(e.changes["cost"]) if "cost" in e.changes else known.amount_pence
    source = str(e.changes.get("funding_source", known.funding_source))
    last_day = known.planned_end
    if "weeks" in e.changes and known.start_date is not None:
        last_day = planned_end(known.start_date, int(e.changes["weeks"]))
    row.provisions[e.provision_id] = replace(
        known, amount_pence=amount, funding_source=source, planned_end=last_day
    )


def _provision_ended(row: ChildRow, e: ev.ProvisionEnded) -> None:
    known = row.provisions.get(e.provision_id)
    if known is not None:
        row.provisions[e.provision_id] = replace(known, end_date=e.end_date)


RULES: dict[type[Any], Rule] = {
    ev.ChildRegistered: _registered,
    ev.ChildEnrolled: _enrolled,
    ev.ChildTransferred: _transferred,
    ev.ChildLeft: _left,
    ev.RecordErased: _erased,
    ev.RetentionDisposed: _erased,
    ev.SenStatusChanged: _status,
    ev.ConcernRaised: _concern,
    ev.DiscussionHeld: _discussion,
    ev.SupportPlanIssued: _plan,
    ev.SupportPlanRevised: _plan,
    ev.ReviewHeld: _review,
    ev.ParentNotified: _notified,
    ev.EhcRequestSubmitted: _ehc_request,
    ev.EhcDecisionRecorded: _ehc_decision,
    ev.EhcDraftIssued: _ehc_draft,
    ev.EhcPlanFinalised: _ehc_final,
    ev.EhcAnnualReviewHeld: _ehc_annual,
    ev.EhcPlanCeased: _ehc_ceased,
    ev.ProvisionStarted: _provision,
    ev.ProvisionChanged: _provision_changed,
    ev.ProvisionEnded: _provision_ended,
}


def folds(event_class: type[Any]) -> bool:
    """Whether events of this class change a row beyond its last version (a correction
    may carry values: decoded to see)."""
    return event_class in RULES or event_class in (ev.EntryMarkedMistaken, ev.RecordCorrected)


def replays(event: Any) -> bool:
    """Whether the row must be recomputed from the history (`replay`): a mistake mark, or
    a correction carrying values, changes what earlier entries count for."""
    return isinstance(event, ev.EntryMarkedMistaken) or (
        isinstance(event, ev.RecordCorrected) and bool(event.values)
    )


def fold(row: ChildRow, event: Any) -> None:
    """Apply one event of the row's child (EntryMarkedMistaken needs `replay` instead)."""
    rule = RULES.get(type(event))
    if rule is not None:
        rule(row, event)
    row.last_version = event.originator_version


def replay(child_id: str, history: Iterable[Any]) -> ChildRow:
    """The row from a child's history, without the entries marked mistaken.

    Which entries count is `projections.timeline.effective`, the rule every derived view
    uses, so the cohort and a child's support plan never disagree about a mistake. The
    registration always counts: it is what opens the row.
    """
    events = list(history)
    # effective() reads only the events; record time plays no part in it. It gives each
    # counted entry with the values its corrections carry.
    counted = {e.version: e.event for e in effective([Entry(e, e.occurred_at) for e in events])}
    row = ChildRow(child_id)
    for event in events:
        if event.originator_version in counted:
            fold(row, counted[event.originator_version])
        elif event.originator_version == 1:
            fold(row, event)
    if events:
        row.last_version = events[-1].originator_version
    return row
