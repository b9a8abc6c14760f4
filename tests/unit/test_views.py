"""Each view on hand-built histories with known answers, on both time axes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from domain import commands as cmd
from projections.chronology import chronology
from projections.ehc_timeline import ehc_timeline
from projections.provision_map import provision_map
from projections.readiness import readiness
from projections.support_plan import support_plan
from projections.timeline import admit
from tests.factories import PARENT, PRACTITIONER
from tests.story import Story, stamp


def parent_linked() -> Story:
    story = Story()
    story.add(
        cmd.LinkPerson,
        date(2024, 9, 2),
        person_id="parent-1",
        name="P Fictional",
        relationship="mother",
        parental_responsibility=True,
    )
    return story


def observe(story: Story, day: date, notes: str, recorded: datetime | None = None) -> int:
    return story.add(
        cmd.RecordObservation,
        day,
        by=PRACTITIONER,
        area="physical",
        notes=notes,
        observer="KP",
        recorded=recorded,
    )


class TestTwoTimeAxes:
    def test_an_observation_made_on_3_march_but_recorded_on_20_march(self) -> None:
        story = parent_linked()
        observe(story, date(2025, 3, 1), "before", recorded=stamp(date(2025, 3, 1)))
        late = observe(story, date(2025, 3, 3), "made 3 March", recorded=stamp(date(2025, 3, 20)))

        as_of_10 = [e.version for e in admit(story.entries, as_of=date(2025, 3, 10))]
        as_known_15 = [
            e.version
            for e in admit(
                story.entries, as_of=date(2025, 3, 10), known_at=stamp(date(2025, 3, 15))
            )
        ]
        assert late in as_of_10
        assert late not in as_known_15
        assert late - 1 in as_known_15  # the 1 March observation was known by then

    def test_as_of_includes_the_whole_day_and_nothing_after(self) -> None:
        story = parent_linked()
        first = observe(story, date(2025, 3, 10), "on the day")
        second = observe(story, date(2025, 3, 11), "the day after")
        versions = [e.version for e in admit(story.entries, as_of=date(2025, 3, 10))]
        assert first in versions
        assert second not in versions

    def test_a_later_correction_of_an_admitted_entry_is_shown_only_once_known(self) -> None:
        story = parent_linked()
        original = observe(story, date(2025, 3, 3), "climbed", recorded=stamp(date(2025, 3, 3)))
        story.add(
            cmd.Correct, date(2025, 4, 1), supersedes=original, statement="It was the small frame"
        )
        as_of_march = chronology(admit(story.entries, as_of=date(2025, 3, 31)))
        row = next(r for r in as_of_march["entries"] if r["version"] == original)
        assert row["corrected_by"][0]["statement"] == "It was the small frame"
        known_in_march = chronology(
            admit(story.entries, as_of=date(2025, 3, 31), known_at=stamp(date(2025, 3, 31)))
        )
        row = next(r for r in known_in_march["entries"] if r["version"] == original)
        assert row["corrected_by"] == []


class TestChronology:
    def test_world_order_with_same_day_ties_by_version_and_late_entries_flagged(self) -> None:
        story = parent_linked()
        a = observe(story, date(2025, 3, 5), "a", recorded=stamp(date(2025, 3, 5)))
        b = observe(story, date(2025, 3, 5), "b", recorded=stamp(date(2025, 3, 5), 18))
        backdated = observe(
            story, date(2025, 2, 1), "typed up late", recorded=stamp(date(2025, 3, 6))
        )
        view = chronology(story.entries)
        order = [r["version"] for r in view["entries"]]
        assert order.index(backdated) < order.index(a) < order.index(b)
        flagged = {r["version"]: r["late"] for r in view["entries"]}
        assert flagged[backdated] is True
        assert flagged[a] is False
        assert view["late_entries"] == 1

    def test_an_entry_moved_from_another_sendtrail_is_late_only_if_it_was_late_there(
        self,
    ) -> None:
        story = parent_linked()
        moved = {"source_system": "sendtrail", "row_key": "k1"}
        recorded_here = stamp(date(2025, 6, 1))  # the day the setting moved its records
        on_time = story.add(
            cmd.RecordObservation,
            date(2025, 2, 1),
            recorded=recorded_here,
            basis="imported",
            provenance={**moved, "source_recorded_at": "2025-02-01T16:30:00.000000Z"},
            area="physical",
            notes="recorded that day there",
            observer="KP",
        )
        late_there = story.add(
            cmd.RecordObservation,
            date(2025, 2, 1),
            recorded=recorded_here,
            basis="imported",
            provenance={
                **moved,
                "row_key": "k2",
                "source_recorded_at": "2025-03-01T09:00:00.000000Z",
            },
            area="physical",
            notes="typed up a month later there",
            observer="KP",
        )
        from_spreadsheet = story.add(
            cmd.RecordObservation,
            date(2025, 2, 1),
            recorded=recorded_here,
            basis="imported",
            provenance={"source_system": "MIS", "row_key": "k3"},  # no record time known
            area="physical",
            notes="from a spreadsheet",
            observer="KP",
        )
        flagged = {r["version"]: r["late"] for r in chronology(story.entries)["entries"]}
        assert flagged[on_time] is False
        assert flagged[late_there] is True
        assert flagged[from_spreadsheet] is True

    def test_corrections_mistakes_and_disputes_sit_beside_their_entry(self) -> None:
        story = parent_linked()
        opinion = story.add(
            cmd.HoldDiscussion,
            date(2025, 3, 5),
            basis="professional_opinion",
            participants=["KP", "SENCO"],
            outcome="agreed_concern_monitor",
            hypothesis="Processing delay",
            evidence_needed="",
            actions=[],
        )
        wrong = observe(story, date(2025, 3, 6), "wrong child")
        story.add(
            cmd.MarkMistaken,
            date(2025, 3, 7),
            target_version=wrong,
            reason="Recorded on the wrong child",
        )
        story.add(
            cmd.Dispute,
            date(2025, 3, 8),
            by=PARENT,
            basis="parent_view",
            target_version=opinion,
            person_id="parent-1",
            comment="He is fine at home",
        )
        story.add(
            cmd.Correct,
            date(2025, 3, 9),
            supersedes=opinion,
            statement="Parents were not at the meeting",
        )
        rows = {r["version"]: r for r in chronology(story.entries)["entries"]}
        assert rows[wrong]["mistaken"]["reason"] == "Recorded on the wrong child"
        assert rows[opinion]["disputes"][0]["comment"] == "He is fine at home"
        assert rows[opinion]["corrected_by"][0]["statement"] == "Parents were not at the meeting"
        assert rows[opinion]["details"]["hypothesis"] == "Processing delay"  # original kept


def sen_support_story() -> Story:
    story = parent_linked()
    story.add(
        cmd.ChangeSenStatus,
        date(2025, 1, 6),
        status="K",
        need_codes=["SLCN", "SEMH"],
        primary_need="SLCN",
        reason="Agreed with parents",
    )
    story.add(cmd.NotifyParent, date(2025, 1, 6), method="meeting", information_service_given=True)
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
    story.add(
        cmd.IssuePlan,
        date(2025, 1, 6),
        plan_id="plan-1",
        start_date=date(2025, 1, 6),
        review_date=date(2025, 3, 17),
        outcomes=[
            {
                "outcome_id": "o1",
                "description": "Two-step instructions",
                "area": "communication_language",
                "target_date": date(2025, 3, 17),
            }
        ],
        provision_ids=["talk"],
        shared_with_parents=True,
    )
    return story


class TestSupportPlan:
    def test_status_outcomes_progress_and_overdue_review(self) -> None:
        story = sen_support_story()
        story.add(
            cmd.HoldReview,
            date(2025, 3, 17),
            plan_id="plan-1",
            outcome_progress=[{"outcome_id": "o1", "progress": "partly_met", "note": ""}],
            provision_impact=[],
            reflection="",
            decision="continue",
            next_review_date=date(2025, 5, 19),
            attendees=["SENCO"],
        )
        before_review = support_plan(
            admit(story.entries, as_of=date(2025, 3, 20)), today=date(2025, 3, 20)
        )
        assert before_review["sen_status"]["status"] == "K"
        assert before_review["sen_status"]["broad_areas"] == [
            "Communication and interaction",
            "Social, emotional and mental health",
        ]
        plan = before_review["plan"]
        assert plan["next_review_date"] == "2025-05-19"
        assert plan["review_overdue"] is False
        assert plan["outcomes"][0]["latest_progress"]["progress"] == "partly_met"
        later = support_plan(story.entries, today=date(2025, 6, 1))
        assert later["plan"]["review_overdue"] is True
        as_of_feb = support_plan(
            admit(story.entries, as_of=date(2025, 2, 1)), today=date(2025, 2, 1)
        )
        assert as_of_feb["plan"]["outcomes"][0]["latest_progress"] is None
        assert [p["provision_id"] for p in as_of_feb["active_provisions"]] == ["talk"]

    def test_a_status_marked_mistaken_no_longer_counts(self) -> None:
        story = sen_support_story()
        wrong = story.add(
            cmd.ChangeSenStatus,
            date(2025, 2, 1),
            status="N",
            need_codes=[],
            primary_need=None,
            reason="",
        )
        story.add(cmd.MarkMistaken, date(2025, 2, 2), target_version=wrong, reason="Wrong child")
        assert support_plan(story.entries, today=date(2025, 2, 3))["sen_status"]["status"] == "K"

    def test_consents_in_force_drop_a_withdrawn_consent(self) -> None:
        story = parent_linked()
        story.add(
            cmd.GiveConsent,
            date(2025, 1, 6),
            by=PARENT,
            consent_id="la",
            purpose="share_with_la",
            service="",
            given_by="parent-1",
        )
        story.add(
            cmd.WithdrawConsent,
            date(2025, 2, 6),
            by=PARENT,
            consent_id="la",
            withdrawn_by="parent-1",
        )
        assert (
            support_plan(admit(story.entries, as_of=date(2025, 1, 31)), today=date(2025, 1, 31))[
                "consents_in_force"
            ][0]["consent_id"]
            == "la"
        )
        assert support_plan(story.entries, today=date(2025, 3, 1))["consents_in_force"] == []


class TestProvisionMap:
    def test_costs_fidelity_and_terms(self) -> None:
        story = sen_support_story()
        for day in range(9):
            story.add(
                cmd.DeliverSession,
                date(2025, 1, 7) + timedelta(days=day),
                by=PRACTITIONER,
                provision_id="talk",
                session_date=date(2025, 1, 7) + timedelta(days=day),
                minutes=20,
                notes="",
            )
        story.add(
            cmd.MissSession,
            date(2025, 1, 20),
            by=PRACTITIONER,
            provision_id="talk",
            session_date=date(2025, 1, 20),
            reason="Staff absence",
        )
        view = provision_map(story.entries, today=date(2025, 1, 31))
        row = view["provisions"][0]
        # 6 Jan to 31 Jan: 4 weeks begun, 3 sessions a week planned; £300 over 10 weeks.
        assert row["planned_sessions"] == 12
        assert row["delivered_sessions"] == 9
        assert row["missed_sessions"] == 1
        assert row["fidelity_percent"] == 75.0
        assert row["cost_to_date"] == "120.00"
        assert view["totals"]["per_term"] == {"spring 2024/25": "120.00"}
        assert view["totals"]["core_offer"] == "120.00"
        assert view["totals"]["additional_to_core"] == "0.00"

    def test_a_block_spanning_two_terms_with_a_cost_change(self) -> None:
        story = parent_linked()
        story.add(
            cmd.StartProvision,
            date(2025, 3, 17),
            provision_id="ot",
            description="OT",
            area="physical",
            start_date=date(2025, 3, 17),
            group_size=1,
            session_minutes=30,
            sessions_per_week=1,
            weeks=10,
            staff_grade="specialist",
            cost="500.00",
            funding_source="additional",
        )
        story.add(
            cmd.ChangeProvision,
            date(2025, 4, 28),
            provision_id="ot",
            changes={"cost": "1000.00", "funding_source": "la_top_up"},
            reason="LA top-up agreed",
        )
        totals = provision_map(story.entries, today=date(2025, 7, 1))["totals"]
        # Weeks from 17, 24, 31 March are spring (3 x £50); 7, 14, 21 April summer at £50;
        # from 28 April the block costs £1,000 over 10 weeks: 4 weeks x £100.
        assert totals["per_term"] == {"spring 2024/25": "150.00", "summer 2024/25": "550.00"}
        assert totals["per_funding_source"] == {"additional": "300.00", "la_top_up": "400.00"}
        assert totals["core_offer"] == "0.00"
        assert totals["cost_to_date"] == "700.00"

    def test_a_change_mid_provision_splits_sessions_fidelity_and_cost_at_its_date(self) -> None:
        story = parent_linked()
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
        story.add(
            cmd.ChangeProvision,
            date(2025, 2, 5),  # a Wednesday in its fifth week
            provision_id="talk",
            changes={"sessions_per_week": 4, "cost": "400.00"},
            reason="A fourth session after the review",
        )
        for day, kind in [(date(2025, 1, 7), "deliver"), (date(2025, 2, 4), "miss")] + [
            (date(2025, 2, 10) + timedelta(days=d), "deliver") for d in range(4)
        ]:
            extra: dict[str, Any] = (
                {"minutes": 20, "notes": ""} if kind == "deliver" else {"reason": "Absent"}
            )
            story.add(
                cmd.DeliverSession if kind == "deliver" else cmd.MissSession,
                day,
                by=PRACTITIONER,
                provision_id="talk",
                session_date=day,
                **extra,
            )
        view = provision_map(story.entries, today=date(2025, 3, 31))
        row = view["provisions"][0]
        # Weeks from 6 Jan to 3 Feb (5 weeks) at 3 a week and £30 a week; the change on
        # 5 Feb governs the weeks from 10 Feb (5 weeks) at 4 a week and £40 a week.
        before, after = row["periods"]
        assert (before["from"], before["until"], before["changed_on"]) == (
            "2025-01-06",
            "2025-02-09",
            None,
        )
        assert (after["from"], after["until"], after["changed_on"]) == (
            "2025-02-10",
            None,
            "2025-02-05",
        )
        assert (before["planned_sessions"], after["planned_sessions"]) == (15, 20)
        assert (before["delivered_sessions"], after["delivered_sessions"]) == (1, 4)
        assert (before["missed_sessions"], after["missed_sessions"]) == (1, 0)
        assert (before["fidelity_percent"], after["fidelity_percent"]) == (6.7, 20.0)
        assert (before["cost_to_date"], after["cost_to_date"]) == ("150.00", "200.00")
        assert (before["cost_per_week"], after["cost_per_week"]) == ("30.00", "40.00")
        assert row["planned_sessions"] == 35  # not 10 weeks x 4 = 40
        assert row["delivered_sessions"] == 5
        assert row["fidelity_percent"] == round(100 * 5 / 35, 1)
        assert row["cost_to_date"] == "350.00"
        assert view["totals"]["planned_sessions"] == 35
        assert row["changes"][0]["units"]["cost"].startswith("pounds for the whole planned block")
        assert row["changes"][0]["units"]["sessions_per_week"] == "sessions a week"


class TestCountsAreInclusiveAndBounded:
    def test_attendance_every_day_from_registration_is_all_of_the_days(self) -> None:
        story = parent_linked()  # registered 2 Sep 2024
        story.add(  # readiness is judged only for a child with a concern (issue 17.11)
            cmd.RaiseConcern,
            date(2024, 10, 1),
            concern_id="c1",
            areas=["communication_language"],
            level="low",
            description="Few words for age",
        )
        story.add(
            cmd.RecordAttendance,
            date(2025, 6, 20),
            period_start=date(2024, 9, 2),
            period_end=date(2025, 6, 20),
            sessions_possible=400,
            sessions_attended=380,
        )
        hint = next(
            h
            for h in readiness(story.entries, today=date(2025, 6, 20))["hints"]
            if h["id"] == "attendance"
        )
        days = (date(2025, 6, 20) - date(2024, 9, 2)).days + 1  # both ends counted: 292
        assert hint["detail"] == f"recorded for {days} of {days} days since 2 Sep 2024"

    def test_fidelity_never_exceeds_the_whole(self) -> None:
        story = parent_linked()
        story.add(
            cmd.StartProvision,
            date(2025, 1, 6),
            provision_id="talk",
            description="Talk group",
            area="communication_language",
            start_date=date(2025, 1, 6),
            group_size=4,
            session_minutes=20,
            sessions_per_week=1,
            weeks=10,
            staff_grade="practitioner",
            cost="100.00",
            funding_source="core",
        )
        for d in range(3):
            day = date(2025, 1, 6) + timedelta(days=d)
            story.add(
                cmd.DeliverSession,
                day,
                by=PRACTITIONER,
                provision_id="talk",
                session_date=day,
                minutes=20,
                notes="",
            )
        view = provision_map(story.entries, today=date(2025, 1, 8))
        row = view["provisions"][0]
        assert (row["delivered_sessions"], row["planned_sessions"]) == (3, 1)
        assert row["fidelity_percent"] == 100.0
        assert row["periods"][0]["fidelity_percent"] == 100.0
        assert view["totals"]["fidelity_percent"] == 100.0


class TestReadinessAndEhcTimeline:
    def test_hints_with_their_evidence(self) -> None:
        story = sen_support_story()
        for day in (date(2025, 3, 17), date(2025, 5, 19)):
            story.add(
                cmd.HoldReview,
                day,
                plan_id="plan-1",
                outcome_progress=[],
                provision_impact=[],
                reflection="",
                decision="continue",
                next_review_date=day + timedelta(weeks=8),
                attendees=["SENCO"],
            )
        view = story.add(
            cmd.RecordParentView,
            date(2024, 10, 1),
            by=PARENT,
            basis="parent_view",
            person_id="parent-1",
            view="Worried about speech",
        )
        hints = {h["id"]: h for h in readiness(story.entries, today=date(2025, 11, 1))["hints"]}
        assert hints["reviewed_cycles"]["status"] == "met"
        assert len(hints["reviewed_cycles"]["evidence"]) == 2
        assert hints["parent_view"]["status"] == "stale"
        assert hints["parent_view"]["evidence"] == [view]
        assert hints["child_view"]["status"] == "missing"
        assert hints["consent_share_with_la"]["status"] == "missing"
        assert hints["parent_notified"]["status"] == "met"
        assert readiness(story.entries, today=date(2025, 11, 1))["blocks_export"] is False

    def test_statutory_deadlines_from_the_request_date(self) -> None:
        story = sen_support_story()
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
        current = ehc_timeline(story.entries, today=date(2025, 6, 1))["current"]
        steps = {s["step"]: s for s in current["steps"]}
        decision = steps["Decision whether to assess (6 weeks)"]
        assert (decision["due"], decision["state"]) == ("2025-02-17", "met")
        final = steps["Final EHC plan issued (20 weeks)"]
        assert (final["due"], final["state"]) == ("2025-05-26", "missed")
        pending = ehc_timeline(
            admit(story.entries, as_of=date(2025, 2, 1)), today=date(2025, 2, 1)
        )["current"]
        assert pending["steps"][0]["state"] == "pending"
        assert pending["outcome"] == "awaiting decision"
