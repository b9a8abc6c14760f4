"""Readiness against each example LA profile, for a child whose history is known
(tests/la_history.py): which expectations are met, missing or stale, and why."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain import commands as cmd
from projections.la_profile import LoadedProfile
from projections.la_readiness import NAMED_PROFESSIONAL, la_readiness
from projections.timeline import admit
from tests.factories import TODAY
from tests.la_history import Known, on_story, write_known_history
from tests.story import Story
from tests.support.la import EXPECTED


def statuses(result: dict[str, Any]) -> dict[str, str]:
    return {x["id"]: x["status"] for x in result["expectations"]}


@pytest.mark.parametrize("profile_id", sorted(EXPECTED))
def test_each_example_profile_gives_the_expected_met_missing_and_stale(
    profile_id: str, profiles: dict[str, LoadedProfile], story: tuple[Story, Known]
) -> None:
    """Given the known history, when it is checked against the profile as of today, then
    each expectation has the status the history was written to give it."""
    result = la_readiness(story[0].entries, profiles[profile_id], today=TODAY)

    assert statuses(result) == EXPECTED[profile_id]
    assert result["met"] == sum(1 for s in EXPECTED[profile_id].values() if s == "met")
    assert result["blocks_export"] is False


def test_the_evidence_names_the_entries_behind_each_expectation(
    profiles: dict[str, LoadedProfile], story: tuple[Story, Known]
) -> None:
    entries, known = story
    result = la_readiness(entries.entries, profiles["example-shire-apdr"], today=TODAY)
    evidence = {x["id"]: [e["version"] for e in x["evidence"]] for x in result["expectations"]}
    dates = {x["id"]: [e["on"] for e in x["evidence"]] for x in result["expectations"]}

    assert evidence["apdr_cycles"] == list(known.reviews)
    assert dates["apdr_cycles"] == ["2025-06-16", "2025-10-06", "2026-02-02"]
    assert evidence["progress"] == list(known.tracking)
    assert evidence["advice_acted_on"] == sorted([known.report, *known.actions])
    assert dates["specialist_involved"] == ["2025-08-28"]  # the report's own date
    assert evidence["consent_signed"] == [known.share_consent]
    assert evidence["parent_view"] == [known.parent_view]


def test_what_the_law_does_not_require_is_said_plainly(
    profiles: dict[str, LoadedProfile], story: tuple[Story, Known]
) -> None:
    """An educational psychologist's report and a spend threshold are LA expectations,
    never legal preconditions: the output says so beside them."""
    shire = la_readiness(story[0].entries, profiles["example-shire-apdr"], today=TODAY)
    borough = la_readiness(story[0].entries, profiles["example-borough-notional"], today=TODAY)
    law = {x["id"]: x["law"] for x in shire["expectations"] + borough["expectations"]}

    assert law["specialist_involved"] == NAMED_PROFESSIONAL
    assert "educational psychologist" in law["specialist_involved"]
    assert law["notional_budget"].startswith("Not required by law: no spending threshold")
    assert law["apdr_cycles"].startswith("Not required by law")
    assert "CFA 2014 s.36(8)" in law["two_terms"]
    assert all(x["required_by_law"] is False for x in shire["expectations"])
    assert "none blocks an export" in shire["note"]


def test_the_notional_budget_counts_only_the_settings_own_spend_in_the_period(
    profiles: dict[str, LoadedProfile], story: tuple[Story, Known]
) -> None:
    result = la_readiness(story[0].entries, profiles["example-borough-notional"], today=TODAY)
    budget = next(x for x in result["expectations"] if x["id"] == "notional_budget")

    assert "£3,000.00" in budget["detail"]  # prov-2 only: prov-1 ended in 2025
    assert "£6,000.00 (50%)" in budget["detail"]
    assert [e["version"] for e in budget["evidence"]] == [story[1].provisions[1]]


def test_as_of_a_past_date_the_profile_sees_only_what_had_happened(
    profiles: dict[str, LoadedProfile], story: tuple[Story, Known]
) -> None:
    """As of 1 May 2025 no review had been held, no report received and no consent to
    share given: the same profile then said missing."""
    day = date(2025, 5, 1)
    past = admit(story[0].entries, as_of=day)
    result = la_readiness(past, profiles["generic-cop"], today=day)

    assert statuses(result) == {
        "action_taken": "missing",
        "progress": "missing",
        "provision_map": "met",
        "professionals": "missing",
        "parents_told": "met",
        "parent_view": "missing",
        "child_view": "met",
        "consent": "missing",
        "attendance": "missing",
    }


def test_a_withdrawn_consent_no_longer_counts(profiles: dict[str, LoadedProfile]) -> None:
    story = Story()
    write_known_history(on_story(story))
    story.add(cmd.WithdrawConsent, date(2026, 11, 1), consent_id="la", withdrawn_by="parent-1")
    result = la_readiness(story.entries, profiles["generic-cop"], today=TODAY)
    consent = next(x for x in result["expectations"] if x["id"] == "consent")

    assert consent["status"] == "missing"
    assert "withdrawn" in consent["detail"]
