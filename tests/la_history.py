"""One child's known history for the LA profile tests, written through any `add` that runs
a command on a date (a Story in memory, or the application on a real store).

As of TODAY (24 Nov 2026) it has, on purpose:
- three reviews (the latest on 2 Feb 2026, more than six months ago), SEN support since
  24 Mar 2025, the parents formally told;
- two tracking assessments (not three);
- a speech and language therapist's report dated 28 Aug 2025 (older than 12 months), one
  recommendation actioned and one recorded as not actioned;
- two provisions: one long over, one of £3,000 from the setting's SEN budget in 2026 (not
  the £6,000 of a notional budget);
- a parent's view from June 2026 (recent), a child's view from May 2025 (not recent);
- consent to share with the LA; attendance covering nearly all of the last two years.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from domain import commands as cmd
from domain.application import ChildRecords
from domain.envelope import EnvelopeDraft, RecordedBy
from tests.factories import PARENT, SENCO, SETTING
from tests.story import Story

Add = Callable[..., int]  # add(command, day, by=..., basis=..., **payload) -> version


@dataclass(frozen=True)
class Known:
    """The versions of the entries the expectations should point at."""

    reviews: tuple[int, ...]
    tracking: tuple[int, ...]
    report: int
    actions: tuple[int, ...]
    provisions: tuple[int, ...]
    parent_view: int
    child_view: int
    share_consent: int
    attendance: tuple[int, ...]
    status: int
    notified: int
    referral: int
    observation: int
    dispute: int


def on_story(story: Story) -> Add:
    """`add` for a Story: the aggregate's commands, with the vocabulary a discussion needs
    (the application passes its own; a Story has none)."""

    return story.add


def on_store(app: ChildRecords, child_id: UUID) -> Add:
    """`add` for a child on a real store, through the application's commands."""
    version = [app.get_child(child_id).version]

    def add(
        kind: type[cmd.Command], day: date, *, by: RecordedBy, basis: str, **payload: Any
    ) -> int:
        draft = EnvelopeDraft(day, by, basis=basis)
        version[0] = app.handle(child_id, kind(**payload), draft, expected_version=version[0])
        return version[0]

    return add


def register_known_child(
    app: ChildRecords, given_name: str = "Testy", setting_id: str = SETTING
) -> tuple[UUID, Known]:
    """A child registered on 2 Sep 2024 (born 1 Sep 2022) with the known history."""
    child_id = app.register(
        cmd.RegisterChild(
            given_name=given_name,
            family_name="Fictional",
            date_of_birth=date(2022, 9, 1),
            setting_id=setting_id,
        ),
        EnvelopeDraft(date(2024, 9, 2), SENCO),
    )
    return child_id, write_known_history(on_store(app, child_id))


def write_known_history(add: Add) -> Known:
    """Write the history (the child is registered on 2 Sep 2024 by the caller)."""

    def do(
        command: type[cmd.Command], day: date, by: RecordedBy = SENCO, basis: str = "fact", **p: Any
    ) -> int:
        return add(command, day, by=by, basis=basis, **p)

    do(
        cmd.LinkPerson,
        date(2024, 9, 2),
        person_id="parent-1",
        name="Parent Fictional",
        relationship="mother",
        parental_responsibility=True,
    )
    attendance: tuple[int, ...] = (
        do(
            cmd.RecordAttendance,
            date(2025, 7, 18),
            period_start=date(2024, 9, 2),
            period_end=date(2025, 7, 18),
            sessions_possible=300,
            sessions_attended=280,
        ),
    )
    observation = do(
        cmd.RecordObservation,
        date(2024, 10, 1),
        area="communication_language",
        notes="Points rather than names objects at snack time.",
        observer="Key person",
    )
    tracking: tuple[int, ...] = (
        do(
            cmd.AssessTracking,
            date(2025, 1, 15),
            area="communication_language",
            band="16-26 months",
            months_low=16,
            months_high=26,
            chronological_months=28,
        ),
    )
    do(
        cmd.RaiseConcern,
        date(2025, 3, 3),
        concern_id="concern-1",
        areas=["communication_language"],
        level="medium",
        description="Few words; frustration when not understood.",
    )
    do(
        cmd.HoldDiscussion,
        date(2025, 3, 20),
        basis="professional_opinion",
        participants=["Key person", "SENCO", "Parent"],
        outcome="high_concern_seek_advice",
        hypothesis="Speech, language and communication need.",
        evidence_needed="Speech and language therapy assessment.",
        actions=["Refer to SALT with consent"],
    )
    notified = do(
        cmd.NotifyParent, date(2025, 3, 24), method="meeting", information_service_given=True
    )
    status = do(
        cmd.ChangeSenStatus,
        date(2025, 3, 24),
        status="K",
        need_codes=["SLCN"],
        primary_need="SLCN",
        reason="Agreed with parents.",
    )
    do(
        cmd.GiveConsent,
        date(2025, 3, 24),
        consent_id="salt",
        purpose="referral",
        service="Speech and language therapy",
        given_by="parent-1",
    )
    referral = do(
        cmd.MakeReferral,
        date(2025, 3, 25),
        referral_id="ref-salt",
        service="Speech and language therapy",
        reason="Expressive language delay.",
        consent_id="salt",
    )
    first = _provision(do, "prov-1", date(2025, 4, 7), weeks=10, cost="180.00", funding="core")
    do(
        cmd.IssuePlan,
        date(2025, 4, 7),
        plan_id="plan-1",
        start_date=date(2025, 4, 7),
        review_date=date(2025, 6, 16),
        outcomes=[
            {
                "outcome_id": "o1",
                "description": "Uses ten new words in play",
                "area": "communication_language",
                "target_date": date(2025, 6, 16),
            }
        ],
        provision_ids=["prov-1"],
        shared_with_parents=True,
    )
    child_view = do(
        cmd.RecordChildView,
        date(2025, 5, 1),
        basis="child_voice",
        view="Likes the puppet.",
        method="Talking mat",
    )
    reviews = [_review(do, date(2025, 6, 16), "continue", date(2025, 10, 6))]
    report = do(
        cmd.ReceiveReport,
        date(2025, 9, 1),
        basis="third_party_report",
        report_id="salt-1",
        author="Demo Therapist",
        author_role="Speech and language therapist",
        service="Speech and language therapy",
        report_date=date(2025, 8, 28),
        summary="Expressive language around 12 months below age.",
        recommendations=[
            {"recommendation_id": "r1", "text": "Visual timetable"},
            {"recommendation_id": "r2", "text": "Daily 1:1 vocabulary work"},
        ],
    )
    actions = (
        do(
            cmd.ActionRecommendation,
            date(2025, 9, 10),
            report_id="salt-1",
            recommendation_id="r1",
            action="actioned",
            detail="Visual timetable in the room.",
        ),
        do(
            cmd.ActionRecommendation,
            date(2025, 9, 10),
            report_id="salt-1",
            recommendation_id="r2",
            action="not_actioned",
            detail="No staff for daily 1:1 yet.",
        ),
    )
    attendance += (
        do(
            cmd.RecordAttendance,
            date(2026, 11, 20),
            period_start=date(2025, 9, 1),
            period_end=date(2026, 11, 20),
            sessions_possible=500,
            sessions_attended=470,
        ),
    )
    reviews.append(_review(do, date(2025, 10, 6), "continue", date(2026, 2, 2)))
    second = _provision(
        do, "prov-2", date(2026, 1, 5), weeks=30, cost="3000.00", funding="additional"
    )
    reviews.append(_review(do, date(2026, 2, 2), "escalate", date(2026, 5, 4)))
    tracking += (
        do(
            cmd.AssessTracking,
            date(2026, 3, 10),
            area="communication_language",
            band="22-36 months",
            months_low=22,
            months_high=36,
            chronological_months=42,
        ),
    )
    share = do(
        cmd.GiveConsent,
        date(2026, 2, 10),
        consent_id="la",
        purpose="share_with_la",
        service="",
        given_by="parent-1",
    )
    parent_view = do(
        cmd.RecordParentView,
        date(2026, 6, 1),
        by=PARENT,
        basis="parent_view",
        person_id="parent-1",
        view="Talking more at home, still frustrated.",
    )
    dispute = do(
        cmd.Dispute,
        date(2026, 6, 2),
        by=PARENT,
        basis="parent_view",
        target_version=observation,
        person_id="parent-1",
        comment="He names everything at home.",
    )
    return Known(
        reviews=tuple(reviews),
        tracking=tracking,
        report=report,
        actions=actions,
        provisions=(first, second),
        parent_view=parent_view,
        child_view=child_view,
        share_consent=share,
        attendance=attendance,
        status=status,
        notified=notified,
        referral=referral,
        observation=observation,
        dispute=dispute,
    )


def _provision(
    do: Callable[..., int], pid: str, start: date, *, weeks: int, cost: str, funding: str
) -> int:
    return do(
        cmd.StartProvision,
        start,
        provision_id=pid,
        description=f"Language group {pid}",
        area="communication_language",
        start_date=start,
        group_size=4,
        session_minutes=20,
        sessions_per_week=3,
        weeks=weeks,
        staff_grade="practitioner",
        cost=cost,
        funding_source=funding,
    )


def _review(do: Callable[..., int], day: date, decision: str, following: date) -> int:
    return do(
        cmd.HoldReview,
        day,
        basis="professional_opinion",
        plan_id="plan-1",
        outcome_progress=[{"outcome_id": "o1", "progress": "partly_met", "note": ""}],
        provision_impact=[{"provision_id": "prov-1", "impact": "some", "note": ""}],
        reflection="Responds to visuals.",
        decision=decision,
        next_review_date=following,
        attendees=["SENCO", "Parent"],
    )
