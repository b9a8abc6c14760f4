"""The pre-filled request: the LA's own sections in order, every statement traced to the
entries it comes from, gaps marked with what is needed, nothing dropped unlisted."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain import commands as cmd
from projections.la_profile import LoadedProfile
from projections.la_request import cited_versions, fill_request
from tests.factories import TODAY
from tests.la_history import Known
from tests.story import Story


def fields(request: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["label"]: f for s in request["sections"] for f in s["fields"]}


@pytest.mark.parametrize(
    "profile_id",
    ["generic-cop", "example-shire-apdr", "example-borough-notional", "example-city-nospend"],
)
def test_every_statement_traces_to_existing_entries_and_sections_keep_the_las_order(
    profile_id: str, profiles: dict[str, LoadedProfile], story: tuple[Story, Known]
) -> None:
    loaded = profiles[profile_id]
    request = fill_request(story[0].entries, loaded, today=TODAY)
    versions = {e.version for e in story[0].entries}

    assert [s["title"] for s in request["sections"]] == [s.title for s in loaded.profile.sections]
    statements = [st for f in fields(request).values() for st in f["statements"]]
    assert statements, "the known history fills something"
    for statement in statements:
        assert statement["versions"], statement["text"]
        assert set(statement["versions"]) <= versions, statement["text"]
    assert cited_versions(request) <= versions
    for f in fields(request).values():
        assert bool(f["statements"]) or f["gap"] or not f["required"], f["label"]


def test_a_field_with_nothing_to_say_is_a_visible_gap_saying_what_is_needed(
    profiles: dict[str, LoadedProfile],
) -> None:
    """A child just registered: the name is filled, the rest are gaps with what to add;
    signatures are blanks to sign by hand, not counted as missing evidence."""
    story = Story()
    request = fill_request(story.entries, profiles["example-shire-apdr"], today=TODAY)
    by_label = fields(request)

    assert by_label["Child's name"]["statements"][0]["text"] == "Story Fictional."
    assert by_label["Child's name"]["gap"] is None
    assert (
        by_label["Reviews"]["gap"] == "At least two reviewed cycles are expected by this council."
    )
    assert by_label["Parent / carer views"]["gap"] == "Record the parents' views."
    signature = by_label["Parent / carer signature"]
    assert signature["signature"] is True
    assert signature["gap"] == "To be signed by a parent or carer on the printed form."
    gaps = [f for f in by_label.values() if f["gap"] and not f["signature"]]
    assert request["gaps"] == len(gaps) > 5


def test_a_parents_dispute_travels_with_the_statement_it_disputes(
    profiles: dict[str, LoadedProfile], story: tuple[Story, Known]
) -> None:
    request = fill_request(story[0].entries, profiles["generic-cop"], today=TODAY)
    observation = next(
        s
        for s in fields(request)["Observations"]["statements"]
        if story[1].observation in s["versions"]
    )

    assert "A parent disputes this" in observation["text"]
    assert "He names everything at home." in observation["text"]
    assert story[1].dispute in observation["versions"]


def test_statements_name_the_dates_and_amounts_of_the_record(
    profiles: dict[str, LoadedProfile], story: tuple[Story, Known]
) -> None:
    request = fill_request(story[0].entries, profiles["example-borough-notional"], today=TODAY)
    by_label = fields(request)
    budget = by_label["Against the notional budget"]["statements"][0]
    reviews = by_label["Reviews"]["statements"]

    assert budget["text"].startswith("£3,000.00 of the setting's own funds in the last 12 months")
    assert budget["versions"] == [story[1].provisions[1]]
    assert [s["versions"] for s in reviews] == [[v] for v in story[1].reviews]
    assert "2 Feb 2026" in reviews[-1]["text"]
    assert "decision: escalate" in reviews[-1]["text"]


def test_a_fields_limit_keeps_the_newest_and_lists_the_rest(
    profiles: dict[str, LoadedProfile],
) -> None:
    story = Story()
    for day in range(1, 15):
        story.add(
            cmd.RecordObservation,
            date(2026, 3, day),
            area="physical",
            notes=f"Observation number {day}.",
            observer="Key person",
        )
    request = fill_request(story.entries, profiles["example-city-nospend"], today=TODAY)
    kept = fields(request)["Observations"]["statements"]  # limit 10 in this profile

    assert len(kept) == 10
    assert "Observation number 14." in kept[-1]["text"]
    left = [i for i in request["left_out"] if i["field"] == "Observations"]
    assert [i["versions"] for i in left] == [[2], [3], [4], [5]]
    assert all("at most 10" in i["reason"] for i in left)


def test_tribunal_mode_leaves_out_expert_reports_older_than_three_years(
    profiles: dict[str, LoadedProfile],
) -> None:
    story = Story(registered=date(2022, 9, 5))
    for report_id, dated in (("old", date(2023, 6, 1)), ("new", date(2025, 6, 1))):
        story.add(
            cmd.ReceiveReport,
            dated,
            basis="third_party_report",
            report_id=report_id,
            author="Dr Example",
            author_role="Educational psychologist",
            service="EP service",
            report_date=dated,
            summary=f"Report {report_id}.",
            recommendations=[],
        )
    plain = fill_request(story.entries, profiles["generic-cop"], today=TODAY)
    tribunal = fill_request(story.entries, profiles["generic-cop"], today=TODAY, tribunal=True)

    assert len(fields(plain)["Reports received"]["statements"]) == 2
    kept = fields(tribunal)["Reports received"]["statements"]
    assert [s["versions"] for s in kept] == [[3]]
    assert [(i["versions"], i["reason"]) for i in tribunal["left_out"]] == [
        ([2], "expert report more than 3 years old (tribunal)")
    ]
