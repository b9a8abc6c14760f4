"""How each field of a local authority's request form is filled from the record: one
filler per code of `la_profile.FILLS` (a test keeps the two in step). A filler turns the
child's effective entries into statements, each naming the versions it comes from."""

from __future__ import annotations

from collections.abc import Callable

from projections.la_fills_action import (
    agencies_involved,
    observations,
    plans_outcomes,
    plans_reviews,
    progress_check_at_two,
    progress_tracking,
    provision_fidelity,
    provision_map_rows,
    provision_notional_budget,
    provision_totals,
    reports_recommendations,
    reports_summaries,
)
from projections.la_fills_child import (
    attendance,
    child_date_of_birth,
    child_name,
    child_setting,
    chronology_contacts,
    consent_share_with_la,
    consents,
    discussions,
    ehc_history,
    needs_areas,
    parent_notified,
    people_parents,
    request_reasons,
    sen_history,
    sen_status,
    signature,
    views_child,
    views_parent,
)
from projections.la_statement import Record, Statement

__all__ = ["FILLERS", "Record", "Statement"]

FILLERS: dict[str, Callable[[Record], list[Statement]]] = {
    "child.name": child_name,
    "child.date_of_birth": child_date_of_birth,
    "child.setting": child_setting,
    "people.parents": people_parents,
    "sen.status": sen_status,
    "sen.history": sen_history,
    "needs.areas": needs_areas,
    "request.reasons": request_reasons,
    "discussions": discussions,
    "plans.outcomes": plans_outcomes,
    "plans.reviews": plans_reviews,
    "provision.map": provision_map_rows,
    "provision.totals": provision_totals,
    "provision.notional_budget": provision_notional_budget,
    "provision.fidelity": provision_fidelity,
    "progress.tracking": progress_tracking,
    "progress.check_at_two": progress_check_at_two,
    "observations": observations,
    "reports.summaries": reports_summaries,
    "reports.recommendations": reports_recommendations,
    "agencies.involved": agencies_involved,
    "views.parent": views_parent,
    "views.child": views_child,
    "consents": consents,
    "consent.share_with_la": consent_share_with_la,
    "parent.notified": parent_notified,
    "attendance": attendance,
    "chronology.contacts": chronology_contacts,
    "ehc.history": ehc_history,
    "signature.parent": signature,
    "signature.setting": signature,
}
