"""Fillers for the action taken: plans and reviews, the costed provision, progress, and
outside advice with what was done about it (see projections.la_fills)."""

from __future__ import annotations

from domain import events as ev
from domain import vocabulary as vocab
from projections.la_profile import NotionalBudget
from projections.la_statement import Record, Statement, events_of, joined
from projections.provision_map import provision_map, setting_spend
from projections.timeline import Entry
from projections.wording import format_day, format_money, months_before

SUMMARY_CHARS = 600  # expert reports are summarised; the full text stays in the bundle
# The latest plan-do-review cycles are what LAs ask for first ("2-3 cycles"), however old.
RECENT_CYCLES = 3


# --- action taken ----------------------------------------------------------------------------


def _provision_names(r: Record) -> dict[str, str]:
    return {
        e.provision_id: e.description
        for _, e in events_of(r.of(ev.ProvisionStarted), ev.ProvisionStarted)
    }


def _plan_names(r: Record) -> dict[str, str]:
    """Plans as a reader knows them: by the day they started (an LA never sees an id)."""
    return {
        e.plan_id: f"the support plan from {format_day(e.start_date)}"
        for _, e in events_of(r.of(ev.SupportPlanIssued), ev.SupportPlanIssued)
    }


def _outcome_names(r: Record) -> dict[str, str]:
    return {
        str(o["outcome_id"]): str(o["description"]).rstrip(". ")
        for x in r.of(ev.SupportPlanIssued, ev.SupportPlanRevised)
        if isinstance(x.event, ev.SupportPlanIssued | ev.SupportPlanRevised)
        for o in x.event.outcomes
    }


def plans_outcomes(r: Record) -> list[Statement]:
    names = _provision_names(r)
    plan_names = _plan_names(r)
    plans = r.of(ev.SupportPlanIssued, ev.SupportPlanRevised)
    out = []
    for n, x in enumerate(plans):
        e = x.event
        if not isinstance(e, ev.SupportPlanIssued | ev.SupportPlanRevised):
            continue
        outcomes = joined(
            f"{o['description'].rstrip('. ')} (by {format_day(o.get('target_date'))})"
            for o in e.outcomes
        )
        provision = ", ".join(names.get(p, p) for p in e.provision_ids) or "none named"
        what = "issued" if isinstance(e, ev.SupportPlanIssued) else f"revised ({e.reason})"
        plan = plan_names.get(e.plan_id, "a support plan")
        text = (
            f"{plan[0].upper()}{plan[1:]} {what} on {format_day(x.occurred_on)}, review due "
            f"{format_day(e.review_date)}. Outcomes: {outcomes}. Provision: {provision}"
        )
        latest = n >= len(plans) - RECENT_CYCLES
        out.append(r.say(text, [x], tier=1 if latest else 2, current=latest))
    return out


def plans_reviews(r: Record) -> list[Statement]:
    names = _provision_names(r)
    plan_names, outcomes = _plan_names(r), _outcome_names(r)
    reviews = r.of(ev.ReviewHeld)
    out = []
    for n, (x, e) in enumerate(events_of(reviews, ev.ReviewHeld)):
        progress = joined(
            f"{outcomes.get(p['outcome_id'], 'an outcome')}: "
            f"{vocab.PROGRESS.label(p['progress']).lower()}"
            for p in e.outcome_progress
        )
        impact = joined(
            f"{names.get(i['provision_id'], i['provision_id'])}: "
            f"{vocab.IMPACT.label(i['impact']).lower()}"
            for i in e.provision_impact
        )
        parts = [
            f"Review of {plan_names.get(e.plan_id, 'a support plan')} on "
            f"{format_day(x.occurred_on)}",
            f"progress: {progress}" if progress else "",
            f"impact: {impact}" if impact else "",
            f"reflection: {e.reflection}" if e.reflection else "",
            f"decision: {vocab.REVIEW_DECISIONS.label(e.decision).lower()}",
            f"next review {format_day(e.next_review_date)}" if e.next_review_date else "",
        ]
        latest = n >= len(reviews) - RECENT_CYCLES
        out.append(r.say(joined(parts), [x], tier=1 if latest else 2, current=latest))
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
    sources = joined(
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
        for x, e in events_of(r.of(ev.TrackingAssessed), ev.TrackingAssessed)
    ]


def progress_check_at_two(r: Record) -> list[Statement]:
    out = []
    for x, e in events_of(r.of(ev.ProgressCheckAtTwoRecorded), ev.ProgressCheckAtTwoRecorded):
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
        for x, e in events_of(r.of(ev.ObservationRecorded), ev.ObservationRecorded)
    ]


# --- outside advice ------------------------------------------------------------------------------


def _summary(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= SUMMARY_CHARS:
        return text
    return text[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "… (summarised; full text in the bundle)"


def reports_summaries(r: Record) -> list[Statement]:
    out = []
    for x, e in events_of(r.of(ev.ReportReceived), ev.ReportReceived):
        text = (
            f"{e.author}, {e.author_role} ({e.service}), report dated "
            f"{format_day(e.report_date)}: {_summary(e.summary)}"
        )
        files = [a["name"] for a in e.attachments if isinstance(a, dict)]
        if files:  # the report itself travels in the bundle, under files/
            text += f" The report is attached: {', '.join(files)}."
        statement = r.say(text, [x], tier=1)
        # A report's age is its own date, not the day it reached the setting.
        tier = 1 if e.report_date >= months_before(r.today, 12) else 2
        out.append(Statement(statement.text, statement.versions, e.report_date, tier))
    return out


def reports_recommendations(r: Record) -> list[Statement]:
    actions: dict[tuple[str, str], list[Entry]] = {}
    for x, e in events_of(r.of(ev.RecommendationActioned), ev.RecommendationActioned):
        actions.setdefault((e.report_id, e.recommendation_id), []).append(x)
    out = []
    for x, e in events_of(r.of(ev.ReportReceived), ev.ReportReceived):
        for item in e.recommendations:
            done = actions.get((e.report_id, item["recommendation_id"]), [])
            said = joined(
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
