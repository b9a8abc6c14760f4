"""The EHC timeline shows the whole statutory schedule from the request date (issue 17.5)."""

from __future__ import annotations

from datetime import date

from domain import commands as cmd
from projections.ehc_timeline import ehc_timeline
from tests.story import Story


def requested() -> Story:
    story = Story()
    story.add(
        cmd.SubmitEhcRequest,
        date(2025, 1, 6),
        request_date=date(2025, 1, 6),
        local_authority="Demo LA",
        reason="Needs exceed SEN support",
    )
    return story


def states(story: Story, today: date) -> list[tuple[str, str, str]]:
    current = ehc_timeline(story.entries, today=today)["current"]
    return [(s["step"], s["due"], s["state"]) for s in current["steps"]]


class TestTheWholeSchedule:
    def test_every_deadline_shows_from_the_request(self) -> None:
        assert states(requested(), date(2025, 1, 20)) == [
            ("Decision whether to assess (6 weeks)", "2025-02-17", "pending"),
            ("Decision not to issue a plan (16 weeks)", "2025-04-28", "pending"),
            ("Final EHC plan issued (20 weeks)", "2025-05-26", "pending"),
        ]

    def test_a_refusal_to_assess_ends_the_later_steps(self) -> None:
        story = requested()
        story.add(
            cmd.RecordEhcDecision,
            date(2025, 2, 10),
            decision="not_assess",
            decision_date=date(2025, 2, 10),
            reason="",
        )
        assert [s[2] for s in states(story, date(2025, 3, 1))] == [
            "met",
            "not_applicable",
            "not_applicable",
        ]

    def test_an_issued_plan_ends_the_notice_and_meets_the_final_step(self) -> None:
        story = requested()
        story.add(
            cmd.RecordEhcDecision,
            date(2025, 2, 10),
            decision="assess",
            decision_date=date(2025, 2, 10),
            reason="",
        )
        assert [s[2] for s in states(story, date(2025, 3, 1))] == ["met", "pending", "pending"]
        story.add(cmd.IssueEhcDraft, date(2025, 3, 31), draft_date=date(2025, 3, 31))
        story.add(
            cmd.FinaliseEhcPlan, date(2025, 4, 21), decision="issue", final_date=date(2025, 4, 21)
        )
        assert [s[2] for s in states(story, date(2025, 4, 22))[:3]] == [
            "met",
            "not_applicable",
            "met",
        ]

    def test_a_late_notice_not_to_issue_is_missed(self) -> None:
        story = requested()
        story.add(
            cmd.RecordEhcDecision,
            date(2025, 2, 10),
            decision="assess",
            decision_date=date(2025, 2, 10),
            reason="",
        )
        story.add(
            cmd.FinaliseEhcPlan,
            date(2025, 5, 5),
            decision="not_issue",
            final_date=date(2025, 5, 5),
        )
        assert [s[2] for s in states(story, date(2025, 6, 1))] == [
            "met",
            "missed",
            "not_applicable",
        ]
