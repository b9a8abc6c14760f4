"""A local authority's EHC needs assessment request, pre-filled from the record.

The request follows the profile's own sections and fields in order. Every statement
names the versions it comes from; a required field with nothing to say is a visible gap
saying what is needed; signatures are left blank to be signed by hand. What a field's
limit or the tribunal rules leave out is listed, never silently dropped. A page budget
is applied later, by the renderer that can count pages (exporters.la_document).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from projections.la_fills import FILLERS, Record, Statement
from projections.la_profile import LoadedProfile
from projections.la_readiness import la_readiness
from projections.timeline import Entry
from projections.wording import months_before

TRIBUNAL_REPORT_YEARS = 3  # SEND Tribunal practice direction: expert reports at most 3 years old
NEEDED: dict[str, str] = {
    "child.name": "Register the child.",
    "child.date_of_birth": "Record the child's date of birth.",
    "child.setting": "Record the setting the child attends.",
    "people.parents": "Link the parents or carers with parental responsibility.",
    "sen.status": "Record the child's SEN status and need codes.",
    "sen.history": "Record the child's SEN status and need codes.",
    "needs.areas": "Record the child's needs (SEN status with need codes, or a concern).",
    "request.reasons": "Record why a request is made (a review decision to escalate, a "
    "discussion of high concern, or the request itself).",
    "discussions": "Record the key person and SENCO's discussions and their outcome.",
    "plans.outcomes": "Issue a support plan with outcomes and a review date.",
    "plans.reviews": "Hold and record a review of the support plan.",
    "provision.map": "Record the provision made, with its cost.",
    "provision.totals": "Record the provision made, with its cost.",
    "provision.notional_budget": "Record the provision made, with its cost and funding.",
    "provision.fidelity": "Record the sessions delivered and missed.",
    "progress.tracking": "Record tracking assessments (band against age).",
    "progress.check_at_two": "Record the progress check at two.",
    "observations": "Record observations of the child.",
    "reports.summaries": "Record the reports received from outside professionals.",
    "reports.recommendations": "Record what was done with each recommendation.",
    "agencies.involved": "Record referrals and contacts with outside agencies.",
    "views.parent": "Record the parents' views.",
    "views.child": "Record the child's own views.",
    "consents": "Record the parents' consents.",
    "consent.share_with_la": "Record the parents' consent to share the record with the LA.",
    "parent.notified": "Record when the parents were formally told SEN provision started.",
    "attendance": "Record attendance.",
    "chronology.contacts": "Record discussions, reviews, referrals and contacts.",
    "ehc.history": "No earlier EHC request recorded.",
    "signature.parent": "To be signed by a parent or carer on the printed form.",
    "signature.setting": "To be signed by the SENCO on the printed form.",
}


def _left_out(
    section: str, label: str, statements: Sequence[Statement], reason: str
) -> list[dict[str, Any]]:
    return [
        {"section": section, "field": label, **s.as_json(), "reason": reason} for s in statements
    ]


def fill_request(
    entries: Sequence[Entry],
    loaded: LoadedProfile,
    *,
    today: date,
    tribunal: bool = False,
    setting_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The request as JSON-ready data: sections, fields, statements with their versions,
    gaps, what was left out and why, and the profile's readiness beside it (settings
    called by `setting_names` where they have one)."""
    profile = loaded.profile
    record = Record(entries, today, profile, dict(setting_names or {}))
    oldest_report = months_before(today, 12 * TRIBUNAL_REPORT_YEARS)
    sections: list[dict[str, Any]] = []
    left_out: list[dict[str, Any]] = []
    for section in profile.sections:
        fields = []
        for spec in section.fields:
            statements = FILLERS[spec.fill](record)
            if tribunal and spec.fill == "reports.summaries":
                old = [s for s in statements if s.on is not None and s.on < oldest_report]
                statements = [s for s in statements if s not in old]
                left_out += _left_out(
                    section.title,
                    spec.label,
                    old,
                    f"expert report more than {TRIBUNAL_REPORT_YEARS} years old (tribunal)",
                )
            if spec.limit is not None and len(statements) > spec.limit:
                newest = sorted(statements, key=lambda s: (s.on or date.min, s.versions))
                kept = newest[-spec.limit :]
                left_out += _left_out(
                    section.title,
                    spec.label,
                    [s for s in statements if s not in kept],
                    f"the profile shows at most {spec.limit} here (the newest)",
                )
                statements = [s for s in statements if s in kept]
            signature = spec.fill.startswith("signature.")
            blank = not statements and (spec.required or signature)
            fields.append(
                {
                    "label": spec.label,
                    "fill": spec.fill,
                    "required": spec.required,
                    "signature": signature,
                    "statements": [s.as_json() for s in statements],
                    "gap": (spec.needed or NEEDED[spec.fill]) if blank else None,
                }
            )
        sections.append(
            {"id": section.id, "title": section.title, "intro": section.intro, "fields": fields}
        )
    return {
        "profile": loaded.summary(),
        "as_of": today.isoformat(),
        "child_id": str(entries[0].event.originator_id) if entries else None,
        "child_name": record.child_name(),
        "tribunal": tribunal,
        "notes": list(profile.notes),
        "sections": sections,
        "gaps": sum(1 for s in sections for f in s["fields"] if f["gap"] and not f["signature"]),
        "left_out": left_out,
        "readiness": la_readiness(entries, loaded, today=today),
        "page_budget": None,
    }


def cited_versions(request: dict[str, Any]) -> set[int]:
    """Every version a request cites: its statements, what it left out, and the evidence
    behind its readiness checklist."""
    statements = [s for sec in request["sections"] for f in sec["fields"] for s in f["statements"]]
    cited = {v for s in statements + request["left_out"] for v in s["versions"]}
    cited |= {e["version"] for x in request["readiness"]["expectations"] for e in x["evidence"]}
    return cited
