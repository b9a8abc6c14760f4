"""The current support plan: what a SENCO reads first about a child, as of a date."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from domain import events as ev
from domain.vocabulary import BROAD_AREAS, NEED_BROAD_AREA, NEED_CODES
from projections.provision_map import planned_end
from projections.timeline import Entry, Flags, effective, flags

# The EHC stage each step leaves the record at (as `ChildRecord.ehc_stage`).
EHC_STAGES: dict[type[Any], Callable[[Any], str]] = {
    ev.EhcRequestSubmitted: lambda _e: "requested",
    ev.EhcDecisionRecorded: lambda e: "assessing" if e.decision == "assess" else "refused",
    ev.EhcDraftIssued: lambda _e: "draft",
    ev.EhcPlanFinalised: lambda e: "plan" if e.decision == "issue" else "not_issued",
    ev.EhcPlanCeased: lambda _e: "ceased",
}


def _corrected_by(mark: Flags | None) -> dict[str, Any] | None:
    """The latest correction that gave an entry new values: who made it and when."""
    with_values = [c for c in (mark.corrections if mark else []) if c.get("values")]
    if not with_values:
        return None
    last = with_values[-1]
    return {"version": last["version"], "on": last["on"], "by_role": last["by_role"]}


def support_plan(entries: Sequence[Entry], *, today: date) -> dict[str, Any]:
    """SEN status and needs, the EHC stage, the live plan's outcomes with latest progress, active
    provisions, the next review (overdue flagged), who is involved and consents in force."""
    child: dict[str, Any] = {}
    status: dict[str, Any] = {
        "status": "N",
        "need_codes": [],
        "primary_need": None,
        "since": None,
        "version": None,
        "derived_from": None,  # the EHC plan's version when the plan sets the status
        "corrected": None,  # the correction whose values these are (version, on, by_role)
    }
    plans: dict[str, dict[str, Any]] = {}
    provisions: dict[str, dict[str, Any]] = {}
    people: dict[str, dict[str, Any]] = {}
    professionals: dict[str, dict[str, Any]] = {}
    consents: dict[str, dict[str, Any]] = {}
    parent_notified: str | None = None
    plan_version: int | None = None  # the issued EHC plan's entry (a mistaken one drops out)
    marks = flags(entries)
    ehc_stage = "none"
    for entry in effective(entries):
        e, on = entry.event, entry.occurred_on.isoformat()
        if isinstance(e, ev.ChildRegistered):
            child = {
                "given_name": e.given_name,
                "family_name": e.family_name,
                "date_of_birth": e.date_of_birth.isoformat() if e.date_of_birth else None,
                "setting_id": e.setting_id,
                "status": "active",
            }
        elif isinstance(e, ev.ChildTransferred | ev.ChildEnrolled):
            child["setting_id"] = (
                e.to_setting if isinstance(e, ev.ChildTransferred) else e.setting_id
            )
            child["status"] = "active"
        elif isinstance(e, ev.ChildLeft):
            child["status"] = "left"
        elif isinstance(e, ev.PersonLinked):
            people[e.person_id] = {
                "person_id": e.person_id,
                "name": e.name,
                "relationship": e.relationship,
                "parental_responsibility": e.parental_responsibility,
            }
        elif isinstance(e, ev.ProfessionalContact | ev.ReportReceived):
            name = e.professional if isinstance(e, ev.ProfessionalContact) else e.author
            role = e.professional_role if isinstance(e, ev.ProfessionalContact) else e.author_role
            professionals[name] = {
                "name": name,
                "role": role,
                "service": e.service,
                "last_contact": on,
            }
        elif isinstance(e, ev.SenStatusChanged):
            # E follows from an issued plan: typed without one in force (its plan marked
            # mistaken), it restates the needs and leaves the status as it was.
            typed = e.status if e.status != "E" or plan_version else status["status"]
            status = {
                "status": typed,
                "need_codes": list(e.need_codes),
                "primary_need": e.primary_need,
                "since": on if typed != status["status"] else status["since"],
                "version": entry.version,
                "derived_from": plan_version if typed == "E" else None,
                "corrected": _corrected_by(marks.get(entry.version)),
            }
        elif isinstance(e, ev.EhcPlanFinalised) and e.decision == "issue":
            plan_version = entry.version
            status = {**status, "status": "E", "since": on, "derived_from": entry.version}
            ehc_stage = "plan"
        elif isinstance(e, ev.EhcPlanCeased):
            plan_version = None
            status = {
                **status,
                "status": e.status_after,
                "since": on,
                "version": entry.version,
                "derived_from": entry.version,
            }
            ehc_stage = "ceased"
        elif type(e) in EHC_STAGES:
            ehc_stage = EHC_STAGES[type(e)](e)
        elif isinstance(e, ev.ParentNotified):
            parent_notified = on
        elif isinstance(e, ev.ConsentGiven | ev.ConsentRefused):
            consents[e.consent_id] = {
                "consent_id": e.consent_id,
                "purpose": e.purpose,
                "service": e.service,
                "since": on,
                "state": "given" if isinstance(e, ev.ConsentGiven) else "refused",
            }
        elif isinstance(e, ev.ConsentWithdrawn):
            consents[e.consent_id] |= {"state": "withdrawn", "since": on}
        elif isinstance(e, ev.SupportPlanIssued | ev.SupportPlanRevised):
            plan = plans.setdefault(
                e.plan_id, {"plan_id": e.plan_id, "reviews": 0, "stopped": False, "progress": {}}
            )
            if isinstance(e, ev.SupportPlanIssued):
                plan["start_date"] = e.start_date.isoformat()
            plan.update(
                review_date=e.review_date,
                provision_ids=list(e.provision_ids),
                outcomes=[dict(o) for o in e.outcomes],
                version=entry.version,
            )
        elif isinstance(e, ev.ReviewHeld):
            plan = plans[e.plan_id]
            plan["reviews"] += 1
            plan["last_review"] = on
            plan["stopped"] = e.decision == "stop"
            plan["review_date"] = e.next_review_date
            for item in e.outcome_progress:
                plan["progress"][item["outcome_id"]] = {
                    "progress": item["progress"],
                    "note": item["note"],
                    "on": on,
                }
        elif isinstance(e, ev.ProvisionStarted):
            provisions[e.provision_id] = {
                "provision_id": e.provision_id,
                "description": e.description,
                "area": e.area,
                "start_date": e.start_date.isoformat(),
                "funding_source": e.funding_source,
                "sessions_per_week": e.sessions_per_week,
                "session_minutes": e.session_minutes,
                "group_size": e.group_size,
                "weeks": e.weeks,
                "end_date": None,
            }
        elif isinstance(e, ev.ProvisionChanged):
            provisions[e.provision_id].update(
                {k: v for k, v in e.changes.items() if k in provisions[e.provision_id]}
            )
        elif isinstance(e, ev.ProvisionEnded):
            provisions[e.provision_id]["end_date"] = e.end_date.isoformat()

    live = [p for p in plans.values() if not p["stopped"]]
    current = max(live, key=lambda p: p["version"], default=None)
    plan_view = None
    if current is not None:
        review = current["review_date"]
        plan_view = {
            "plan_id": current["plan_id"],
            "start_date": current.get("start_date"),
            "reviews_held": current["reviews"],
            "last_review": current.get("last_review"),
            "next_review_date": review.isoformat() if review else None,
            "review_overdue": bool(review and review < today),
            "outcomes": [
                {
                    **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in o.items()},
                    "latest_progress": current["progress"].get(o["outcome_id"]),
                }
                for o in current["outcomes"]
            ],
            "provision_ids": current["provision_ids"],
        }
    running, past_end = [], []
    for p in provisions.values():
        p["planned_end"] = planned_end(date.fromisoformat(p["start_date"]), p["weeks"]).isoformat()
        p["past_planned_end"] = p["end_date"] is None and p["planned_end"] < today.isoformat()
        if p["past_planned_end"]:
            past_end.append(p)  # its weeks are over and no end is recorded: for review
        elif p["start_date"] <= today.isoformat() and (
            p["end_date"] is None or p["end_date"] >= today.isoformat()
        ):
            running.append(p)
    areas = sorted({NEED_BROAD_AREA[c] for c in status["need_codes"] if c in NEED_BROAD_AREA})
    return {
        "as_of": today.isoformat(),
        "child": child,
        "sen_status": {
            **status,
            "need_labels": [NEED_CODES.label(c) for c in status["need_codes"]],
            "broad_areas": [BROAD_AREAS.label(a) for a in areas],
        },
        "ehc_stage": ehc_stage,
        "parent_notified": parent_notified,
        "plan": plan_view,
        "plans_total": len(plans),
        "active_provisions": running,
        "provisions_past_planned_end": past_end,
        "people": list(people.values()),
        "professionals": list(professionals.values()),
        "consents_in_force": [c for c in consents.values() if c["state"] == "given"],
        "consents": list(consents.values()),
    }
