"""An LA profile that passes the schema with the fewest fields; a history's expected readiness."""

from __future__ import annotations

MINIMAL = """\
schema = "sendtrail/la-profile/v1"
id = "{id}"
name = "Example"
local_authority = "Example Council (fictional)"
source = "test"
updated = 2026-11-01

[[expectations]]
id = "views"
kind = "parent_view"
title = "Parents' views"

[[sections]]
id = "one"
title = "One"
fields = [{{ label = "Name", fill = "child.name" }}]
"""


EXPECTED = {
    "generic": {  # the overview's hints
        "sen_support": "met",
        "parent_notified": "met",
        "reviewed_cycles": "met",  # three reviews, two expected
        "progress_data": "met",
        "costed_provision": "met",
        "parent_view": "met",
        "child_view": "stale",  # May 2025
        "external_report": "stale",  # the report is dated 28 Aug 2025
        "recommendations_actioned": "met",  # r2 not actioned, but what was done is recorded
        "attendance": "met",
        "consent_share_with_la": "met",
    },
    "generic-cop": {
        "action_taken": "met",
        "progress": "met",
        "provision_map": "met",
        "professionals": "stale",  # the report is dated 28 Aug 2025
        "parents_told": "met",
        "parent_view": "met",
        "child_view": "stale",  # May 2025
        "consent": "met",
        "attendance": "met",  # 683 of 730 days
    },
    "example-shire-apdr": {
        "apdr_cycles": "stale",  # three reviews, the latest more than six months ago
        "specialist_involved": "stale",
        "advice_acted_on": "missing",  # r2 recorded as not actioned
        "progress": "missing",  # two assessments, three expected
        "provision": "met",
        "parent_view": "met",
        "child_view": "stale",
        "consent_signed": "met",
        "attendance": "met",
    },
    "example-borough-notional": {
        "costed_map": "met",
        "notional_budget": "missing",  # £3,000 of £6,000
        "two_reviews": "met",
        "two_terms": "met",
        "recent_reports": "stale",
        "parent_view": "met",
        "consent": "met",
        "attendance": "met",  # 362 of 365 days
    },
    "example-city-nospend": {
        "needs_described": "met",
        "parents_told": "met",
        "what_was_tried": "met",
        "progress": "met",
        "agencies": "met",
        "parent_view": "met",
        "child_view": "stale",
        "consent": "met",
    },
}
