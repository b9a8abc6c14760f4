"""Statutory EHC deadlines derived from the request date, each met, missed or pending.

From the request, the whole schedule at once: decision whether to assess within 6 weeks; a
decision not to issue a plan within 16 weeks, or the final plan within 20 weeks, each
pending until met, missed or no longer applicable (`not_applicable`); parents have 15 days
to comment on a draft; a plan is reviewed at least every 12 months.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from domain import events as ev
from projections.timeline import Entry, effective

DECISION = "Decision whether to assess (6 weeks)"
NOTICE = "Decision not to issue a plan (16 weeks)"
FINAL = "Final EHC plan issued (20 weeks)"


def _step(
    name: str, due: date, done: date | None, today: date, version: int | None
) -> dict[str, Any]:
    if done is not None:
        state = "met" if done <= due else "missed"
    else:
        state = "missed" if today > due else "pending"
    return {
        "step": name,
        "due": due.isoformat(),
        "done": done.isoformat() if done else None,
        "state": state,
        "evidence": version,
    }


def ehc_timeline(entries: Sequence[Entry], *, today: date) -> dict[str, Any]:
    """Deadlines of the latest EHC request (and the earlier requests, summarised)."""
    requests: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for entry in effective(entries):
        e = entry.event
        if isinstance(e, ev.EhcRequestSubmitted):
            current = {
                "request_date": e.request_date,
                "local_authority": e.local_authority,
                "version": entry.version,
                "decision": None,
                "final": None,
                "draft": None,
                "reviews": [],
                "advice": 0,
                "ceased": None,
            }
            requests.append(current)
        elif current is None:
            continue
        elif isinstance(e, ev.EhcDecisionRecorded):
            current["decision"] = (e.decision, e.decision_date, entry.version)
        elif isinstance(e, ev.EhcAdviceReceived):
            current["advice"] += 1
        elif isinstance(e, ev.EhcDraftIssued):
            current["draft"] = (e.draft_date, entry.version)
        elif isinstance(e, ev.EhcPlanFinalised):
            current["final"] = (e.decision, e.final_date, entry.version)
        elif isinstance(e, ev.EhcAnnualReviewHeld):
            current["reviews"].append((e.review_date, entry.version))
        elif isinstance(e, ev.EhcPlanCeased):
            current["ceased"] = (e.cease_date, e.reason, entry.version)
    return {
        "as_of": today.isoformat(),
        "requests": [_deadlines(r, today) for r in requests],
        "current": _deadlines(requests[-1], today) if requests else None,
    }


def _lapsed(name: str, due: date, version: int | None) -> dict[str, Any]:
    """A statutory step that no longer applies (the process took the other branch)."""
    return {
        "step": name,
        "due": due.isoformat(),
        "done": None,
        "state": "not_applicable",
        "evidence": version,
    }


def _deadlines(r: dict[str, Any], today: date) -> dict[str, Any]:
    start: date = r["request_date"]
    decision, final = r["decision"], r["final"]
    refused = decision is not None and decision[0] != "assess"
    steps = [
        _step(
            DECISION,
            start + timedelta(weeks=6),
            decision[1] if decision else None,
            today,
            decision[2] if decision else None,
        )
    ]
    # The whole schedule shows from the request: each step pending until it is met, missed
    # or no longer applicable (a refusal to assess ends both; an issued plan ends the notice
    # not to issue, which also lapses once its 16 weeks pass without one; a notice not to
    # issue ends the final plan).
    notice_due, final_due = start + timedelta(weeks=16), start + timedelta(weeks=20)
    if final and final[0] == "not_issue":
        steps.append(_step(NOTICE, notice_due, final[1], today, final[2]))
        steps.append(_lapsed(FINAL, final_due, final[2]))
    elif refused:
        steps.append(_lapsed(NOTICE, notice_due, decision[2]))
        steps.append(_lapsed(FINAL, final_due, decision[2]))
    else:
        issued = final is not None and final[0] == "issue"
        if issued or today > notice_due:
            steps.append(_lapsed(NOTICE, notice_due, final[2] if final else None))
        else:
            steps.append(_step(NOTICE, notice_due, None, today, None))
        steps.append(
            _step(FINAL, final_due, final[1] if final else None, today, final[2] if final else None)
        )
    if decision and decision[0] == "assess":
        if r["draft"]:
            draft_date, version = r["draft"]
            steps.append(
                {
                    "step": "Parents' comments on the draft (15 days)",
                    "due": (draft_date + timedelta(days=15)).isoformat(),
                    "done": None,
                    "state": "info",
                    "evidence": version,
                }
            )
        if final and final[0] == "issue":
            last = final[1]
            for review_date, version in r["reviews"]:
                steps.append(
                    _step(
                        "Annual review (12 months)",
                        last + timedelta(days=365),
                        review_date,
                        today,
                        version,
                    )
                )
                last = review_date
            ceased = r.get("ceased")
            if ceased is None:
                steps.append(
                    _step(
                        "Next annual review (12 months)",
                        last + timedelta(days=365),
                        None,
                        today,
                        None,
                    )
                )
            else:
                steps.append(
                    {
                        "step": f"Plan ceased ({ceased[1].replace('_', ' ')})",
                        "due": ceased[0].isoformat(),
                        "done": ceased[0].isoformat(),
                        "state": "info",
                        "evidence": ceased[2],
                    }
                )
    return {
        "request_date": start.isoformat(),
        "local_authority": r["local_authority"],
        "evidence": r["version"],
        "advice_received": r["advice"],
        "outcome": (decision[0] if decision else "awaiting decision"),
        "steps": steps,
    }
