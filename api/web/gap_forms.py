"""Where a readiness gap is filled: the form for each kind of expectation (the generic
hints' and every LA's, projections/la_readiness.py), with what the record or the gap
already says pre-filled (any form takes its fields' values from the query string)."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlencode

from api.catalogue import BY_SLUG

# expectation kind -> (form slug, pre-filled values)
GAP_FORMS: dict[str, tuple[str, dict[str, str]]] = {
    "sen_support": ("sen-status", {"status": "K"}),
    "parent_notified": ("parent-notification", {}),
    "reviewed_cycles": ("review", {}),
    "support_duration": ("review", {}),
    "progress_data": ("tracking", {}),
    "provision_map": ("provision", {}),
    "notional_budget": ("provision", {"funding_source": "additional"}),
    "professional_advice": ("report", {}),
    "agencies_involved": ("professional-contact", {}),
    "recommendations_actioned": ("recommendation-action", {}),
    "parent_view": ("parent-view", {}),
    "child_view": ("child-view", {}),
    "consent": ("consent", {"decision": "given", "purpose": "share_with_la"}),
    "attendance": ("attendance", {}),
}


def gap_link(child_id: object, gap: str, can: Collection[str]) -> str:
    """The link to the form that fills `gap` (an expectation's kind), or '' when
    there is none or the visitor's role (whose actions are `can`) may not use it."""
    found = GAP_FORMS.get(gap)
    if found is None or BY_SLUG[found[0]].action not in can:
        return ""
    slug, values = found
    query = f"?{urlencode(values)}" if values else ""
    return f"/children/{child_id}/record/{slug}{query}"
