"""SEN status E follows from an issued EHC plan; it is never typed twice (issue 17.4)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain import commands as cmd
from domain.application import ChildRecords
from domain.errors import DomainError, EhcStepOutOfOrder, StatusAgainstPlan
from projections.cohort_fold import replay
from projections.provision_map import provision_map
from projections.support_plan import support_plan
from projections.timeline import admit
from tests.factories import SENCO, register
from tests.story import Story


def ehc_plan_issued() -> Story:
    story = Story()
    story.add(
        cmd.ChangeSenStatus,
        date(2024, 10, 1),
        status="K",
        need_codes=["SLCN"],
        primary_need="SLCN",
        reason="Speech and language needs",
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
    story.add(cmd.IssueEhcDraft, date(2025, 4, 7), draft_date=date(2025, 4, 7))
    story.add(
        cmd.FinaliseEhcPlan, date(2025, 5, 19), decision="issue", final_date=date(2025, 5, 19)
    )
    return story


class TestStatusFollowsThePlan:
    def test_the_issued_plan_makes_the_status_e_without_a_status_change(self) -> None:
        story = ehc_plan_issued()
        status = support_plan(story.entries, today=date(2025, 6, 1))["sen_status"]
        assert status["status"] == "E"
        assert status["since"] == "2025-05-19"
        assert status["need_codes"] == ["SLCN"]  # the needs stay what was recorded
        assert status["derived_from"] == story.entries[-1].version
        assert story.child.sen_status == "E"
        then = admit(story.entries, as_of=date(2025, 5, 18))
        before = support_plan(then, today=date(2025, 5, 18))["sen_status"]
        assert before["status"] == "K"

    def test_a_status_change_against_the_plan_is_refused_with_a_reason(self) -> None:
        story = ehc_plan_issued()
        before = story.child.version
        with pytest.raises(DomainError) as refused:
            story.add(
                cmd.ChangeSenStatus,
                date(2025, 6, 2),
                status="K",
                need_codes=["SLCN"],
                primary_need="SLCN",
                reason="Typed by mistake",
            )
        assert refused.value.field == "status"
        assert isinstance(refused.value, StatusAgainstPlan)
        assert refused.value.code == "status_against_plan"
        assert "EHC plan" in str(refused.value)
        assert story.child.version == before
        # Recording the needs again under E is fine.
        story.add(
            cmd.ChangeSenStatus,
            date(2025, 6, 2),
            status="E",
            need_codes=["SLCN", "SEMH"],
            primary_need="SLCN",
            reason="Needs named in the plan",
        )

    def test_the_status_ends_with_the_plan(self) -> None:
        story = ehc_plan_issued()
        plan = story.entries[-1].version
        story.add(cmd.MarkMistaken, date(2025, 6, 3), target_version=plan, reason="Wrong child")
        assert (story.child.sen_status, story.child.ehc_stage) == ("K", "draft")
        whole = support_plan(story.entries, today=date(2025, 6, 4))
        view = whole["sen_status"]
        assert (view["status"], view["since"], view["derived_from"]) == ("K", "2024-10-01", None)
        assert whole["ehc_stage"] == "draft"  # as the record says
        row = replay("c", [e.event for e in story.entries])
        assert (row.sen_status, row.ehc_stage) == ("K", "draft")
        # With the plan gone, K is what the record says: typing it is no contradiction,
        # and E is refused until a plan is issued again.
        with pytest.raises(StatusAgainstPlan):
            story.add(
                cmd.ChangeSenStatus,
                date(2025, 6, 4),
                status="E",
                need_codes=["SLCN"],
                primary_need="SLCN",
                reason="Plan",
            )
        story.add(
            cmd.ChangeSenStatus,
            date(2025, 6, 4),
            status="K",
            need_codes=["SLCN", "SEMH"],
            primary_need="SLCN",
            reason="Needs reviewed",
        )
        story.add(
            cmd.FinaliseEhcPlan, date(2025, 6, 9), decision="issue", final_date=date(2025, 6, 9)
        )
        assert story.child.sen_status == "E"
        again = support_plan(story.entries, today=date(2025, 6, 10))["sen_status"]
        assert (again["status"], again["derived_from"]) == ("E", story.entries[-1].version)
        assert replay("c", [e.event for e in story.entries]).sen_status == "E"

    def test_e_typed_under_a_plan_later_marked_mistaken_does_not_stay_e(self) -> None:
        story = ehc_plan_issued()
        plan = story.entries[-1].version
        story.add(
            cmd.ChangeSenStatus,
            date(2025, 6, 2),
            status="E",
            need_codes=["SLCN", "SEMH"],
            primary_need="SLCN",
            reason="Needs named in the plan",
        )
        story.add(cmd.MarkMistaken, date(2025, 6, 3), target_version=plan, reason="Wrong child")
        view = support_plan(story.entries, today=date(2025, 6, 4))["sen_status"]
        assert (view["status"], view["need_codes"]) == ("K", ["SLCN", "SEMH"])
        row = replay("c", [e.event for e in story.entries])
        assert (row.sen_status, row.need_codes) == ("K", ("SLCN", "SEMH"))
        assert story.child.sen_status == "K"


class TestAProvisionPastItsPlannedEnd:
    def test_is_not_active_and_is_flagged_for_review(self) -> None:
        story = Story()
        story.add(
            cmd.StartProvision,
            date(2025, 1, 6),
            provision_id="talk",
            description="Talk group",
            area="communication_language",
            start_date=date(2025, 1, 6),
            group_size=4,
            session_minutes=20,
            sessions_per_week=3,
            weeks=10,
            staff_grade="practitioner",
            cost="300.00",
            funding_source="core",
        )
        during = provision_map(story.entries, today=date(2025, 3, 16))
        assert during["provisions"][0]["active"] is True
        assert during["provisions"][0]["planned_end"] == "2025-03-16"
        assert during["totals"]["past_planned_end"] == []
        later = provision_map(story.entries, today=date(2025, 6, 1))
        row = later["provisions"][0]
        assert (row["active"], row["past_planned_end"]) == (False, True)
        assert later["totals"]["past_planned_end"] == ["talk"]


class TestThePlanCeases:
    """The LA ceases to maintain the plan (CoP 9.199): E ends with it, to the status the
    cessation gives, from its own date."""

    def ceased(self) -> Story:
        story = ehc_plan_issued()
        story.add(
            cmd.CeaseEhcPlan,
            date(2026, 7, 20),
            cease_date=date(2026, 7, 20),
            reason="no_longer_needed",
            status_after="K",
            notes="Outcomes met; SEN support continues.",
        )
        return story

    def test_status_e_ends_with_the_plan_from_the_cessation_date(self) -> None:
        story = self.ceased()
        assert (story.child.sen_status, story.child.ehc_stage) == ("K", "ceased")
        now = support_plan(story.entries, today=date(2026, 8, 1))
        assert (now["sen_status"]["status"], now["sen_status"]["since"]) == ("K", "2026-07-20")
        assert now["ehc_stage"] == "ceased"
        before = admit(story.entries, as_of=date(2026, 7, 19))
        then = support_plan(before, today=date(2026, 7, 19))
        assert (then["sen_status"]["status"], then["ehc_stage"]) == ("E", "plan")
        row = replay("c", [e.event for e in story.entries])
        assert (row.sen_status, row.ehc_stage) == ("K", "ceased")

    def test_after_it_e_is_refused_and_k_may_be_typed(self) -> None:
        story = self.ceased()
        with pytest.raises(StatusAgainstPlan):
            story.add(
                cmd.ChangeSenStatus,
                date(2026, 8, 1),
                status="E",
                need_codes=["SLCN"],
                primary_need="SLCN",
                reason="Typed",
            )
        story.add(
            cmd.ChangeSenStatus,
            date(2026, 8, 1),
            status="N",
            need_codes=[],
            primary_need=None,
            reason="No longer needs SEN support",
        )
        assert story.child.sen_status == "N"

    def test_only_a_plan_in_force_can_cease_and_not_before_it(
        self, memory_records: ChildRecords
    ) -> None:
        child = register(memory_records)
        for kind, day, fields in (
            (cmd.SubmitEhcRequest, date(2025, 1, 6), {"request_date": date(2025, 1, 6),
             "local_authority": "Demo LA", "reason": "Needs exceed SEN support"}),
            (cmd.RecordEhcDecision, date(2025, 2, 10), {"decision": "assess",
             "decision_date": date(2025, 2, 10), "reason": ""}),
            (cmd.FinaliseEhcPlan, date(2025, 5, 19), {"decision": "issue",
             "final_date": date(2025, 5, 19)}),
        ):  # fmt: skip
            child.do(kind, day, SENCO, **fields)
        ceasing = {"reason": "no_longer_needed", "status_after": "K"}
        with pytest.raises(EhcStepOutOfOrder):  # on 1 May 2025 no plan was in force
            child.do(
                cmd.CeaseEhcPlan, date(2025, 5, 1), SENCO, cease_date=date(2025, 5, 1), **ceasing
            )
        child.do(
            cmd.CeaseEhcPlan, date(2026, 7, 20), SENCO, cease_date=date(2026, 7, 20), **ceasing
        )
        with pytest.raises(EhcStepOutOfOrder):  # already ceased
            child.do(
                cmd.CeaseEhcPlan, date(2026, 9, 1), SENCO, cease_date=date(2026, 9, 1), **ceasing
            )
        assert memory_records.get_child(child.child_id).sen_status == "K"

    def test_the_status_after_cannot_be_e_and_the_reason_is_a_code(self) -> None:
        story = ehc_plan_issued()
        before = story.child.version
        for bad, name in (({"status_after": "E"}, "status_after"), ({"reason": "bored"}, "reason")):
            fields: dict[str, Any] = {"reason": "no_longer_needed", "status_after": "K", **bad}
            with pytest.raises(DomainError) as refused:
                story.add(
                    cmd.CeaseEhcPlan, date(2026, 7, 20), cease_date=date(2026, 7, 20), **fields
                )
            assert refused.value.field == name
        assert story.child.version == before

    def test_a_cessation_marked_mistaken_puts_the_plan_back_in_force(self) -> None:
        story = self.ceased()
        ceased = story.entries[-1].version
        story.add(cmd.MarkMistaken, date(2026, 7, 21), target_version=ceased, reason="Wrong child")
        assert (story.child.sen_status, story.child.ehc_stage) == ("E", "plan")
        view = support_plan(story.entries, today=date(2026, 7, 22))
        assert (view["sen_status"]["status"], view["ehc_stage"]) == ("E", "plan")
