"""Readiness is shown only for a child with a concern, SEN support or an EHC process, and
says why it is absent otherwise (issue 17.11)."""

from __future__ import annotations

from datetime import date

from domain import commands as cmd
from projections.readiness import readiness
from projections.timeline import admit
from tests.story import Story

TODAY = date(2025, 6, 1)


def concern(story: Story, day: date) -> int:
    return story.add(
        cmd.RaiseConcern,
        day,
        concern_id=f"c{story.child.version}",
        areas=["communication_language"],
        level="low",
        description="Few words for age",
    )


class TestReadinessApplies:
    def test_a_child_with_nothing_to_judge_gets_a_reason_not_a_red_score(self) -> None:
        story = Story()
        story.add(
            cmd.RecordObservation,
            date(2025, 1, 6),
            area="communication_language",
            notes="Plays alongside others",
            observer="KP",
        )
        found = readiness(story.entries, today=TODAY)
        assert found["applies"] is False
        assert "No concern, SEN support or EHC" in found["absent_because"]
        assert (found["hints"], found["met"], found["total"]) == ([], 0, 0)

    def test_a_concern_brings_the_hints_from_its_date(self) -> None:
        story = Story()
        concern(story, date(2025, 2, 3))
        found = readiness(story.entries, today=TODAY)
        assert (found["applies"], found["absent_because"], found["total"]) == (True, None, 11)
        before = readiness(admit(story.entries, as_of=date(2025, 2, 2)), today=date(2025, 2, 2))
        assert before["applies"] is False

    def test_a_concern_marked_mistaken_brings_nothing(self) -> None:
        story = Story()
        wrong = concern(story, date(2025, 2, 3))
        story.add(cmd.MarkMistaken, date(2025, 2, 4), target_version=wrong, reason="Wrong child")
        assert readiness(story.entries, today=TODAY)["applies"] is False

    def test_sen_support_or_an_ehc_request_alone_bring_the_hints(self) -> None:
        supported = Story()
        supported.add(
            cmd.ChangeSenStatus,
            date(2025, 1, 6),
            status="K",
            need_codes=["SLCN"],
            primary_need="SLCN",
            reason="Agreed",
        )
        assert readiness(supported.entries, today=TODAY)["applies"] is True
        requested = Story()
        requested.add(
            cmd.SubmitEhcRequest,
            date(2025, 1, 6),
            request_date=date(2025, 1, 6),
            local_authority="Demo LA",
            reason="Parents asked",
        )
        assert readiness(requested.entries, today=TODAY)["applies"] is True

    def test_the_sen_support_hint_reads_the_status_the_plan_sets(self) -> None:
        story = Story()
        story.add(
            cmd.ChangeSenStatus,
            date(2024, 10, 1),
            status="K",
            need_codes=["SLCN"],
            primary_need="SLCN",
            reason="Agreed",
        )
        story.add(
            cmd.SubmitEhcRequest,
            date(2025, 1, 6),
            request_date=date(2025, 1, 6),
            local_authority="Demo LA",
            reason="Needs exceed SEN support",
        )
        story.add(
            cmd.RecordEhcDecision,
            date(2025, 2, 10),
            decision="assess",
            decision_date=date(2025, 2, 10),
            reason="",
        )
        plan = story.add(
            cmd.FinaliseEhcPlan, date(2025, 5, 19), decision="issue", final_date=date(2025, 5, 19)
        )
        hint = readiness(story.entries, today=TODAY)["hints"][0]
        assert (hint["id"], hint["detail"]) == ("sen_support", "current SEN status E")
        assert plan in hint["evidence"]
