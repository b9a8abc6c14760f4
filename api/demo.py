"""A realistic, clearly fictional demo cohort whose histories run through the graduated
approach over two to three years. Every name is invented; family names are deliberately
implausible so nobody mistakes a demo record for a real child.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from api.crash_points import Step, no_crash
from domain import commands as cmd
from domain.application import ChildRecords
from domain.envelope import EnvelopeDraft, RecordedBy
from domain.errors import ChildErased, ChildNotFound

GIVEN = [
    "Ada",
    "Bo",
    "Cyrus",
    "Dara",
    "Eli",
    "Fen",
    "Gus",
    "Hana",
    "Ivo",
    "Juno",
    "Kit",
    "Lior",
    "Mika",
    "Nell",
    "Oren",
    "Pia",
    "Quin",
    "Remy",
    "Suki",
    "Tam",
    "Uma",
    "Vik",
    "Wren",
    "Yas",
]
FAMILY = [
    "Pretendle",
    "Madeupson",
    "Notreal-Smythe",
    "Samplesworth",
    "Demoford",
    "Fictionby",
    "Imaginaro",
    "Placeholt",
    "Examplewick",
    "Mockridge",
]
SETTINGS = ["demo-nursery-oak", "demo-nursery-elm"]
# What pages, reports and LA requests call the demo's settings (fictional, as the rest),
# unless SENDTRAIL_SETTING_NAMES says otherwise.
SETTING_NAMES = {
    "demo-nursery-oak": "Oak Tree Nursery (demo)",
    "demo-nursery-elm": "Elm Lane Nursery (demo)",
}
STRETCH = 3
ARCHETYPES = ["no_concern", "monitor", "different_views", "sen_support", "ehc"]


@dataclass(order=True)
class Planned:
    """One command of the demo timeline, run later in world-time order across children."""

    on: date
    child_order: int
    seq: int
    child_id: UUID = field(compare=False)
    setting: str = field(compare=False)
    command: type[cmd.Command] = field(compare=False)
    role: str = field(compare=False)
    basis: str = field(compare=False)
    lag_days: int = field(compare=False)
    payload: dict[str, object] = field(compare=False)


@dataclass(frozen=True)
class Registration:
    """The first entry of a demo child."""

    on: date
    child_id: UUID
    given_name: str
    family_name: str
    date_of_birth: date
    setting_id: str


@dataclass
class Writer:
    """Plans one child's history; the versions it returns are the ones the events will get."""

    child_id: UUID
    setting: str
    order: int
    rng: random.Random
    planned: list[Planned] = field(default_factory=list)
    version: int = 1

    def __call__(
        self,
        command: type[cmd.Command],
        on: date,
        role: str = "practitioner",
        /,
        *,
        basis: str = "fact",
        **payload: object,
    ) -> int:
        # Most entries are typed up within a few days; about one in twelve much later.
        lag = self.rng.randint(10, 40) if self.rng.random() < 0.08 else self.rng.randint(0, 3)
        self.version += 1
        self.planned.append(
            Planned(
                on,
                self.order,
                self.version,
                self.child_id,
                self.setting,
                command,
                role,
                basis,
                lag,
                dict(payload),
            )
        )
        return self.version


def build_demo_cohort(
    app: ChildRecords,
    *,
    children: int,
    seed: int,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
    record_clock: Callable[[Callable[[], datetime]], None] | None = None,
    step: Step = no_crash,
) -> list[UUID]:
    """Write `children` fictional records; returns their ids. Deterministic for a seed.

    The histories are written in world-time order across the cohort. If `record_clock` is
    given, it is called with a clock that makes each entry look recorded a few days (now
    and then weeks) after it happened, so "as known at" views of the demo are meaningful.
    A run that was interrupted is resumed by running it again with the same arguments:
    what is already stored (a child's first versions) is skipped, the rest written.
    """
    today = today or datetime.now(tz=UTC).date()
    registrations: list[Registration] = []
    steps: list[tuple[date, int, int, Registration | Planned]] = []
    for n in range(children):
        registration, writer = _plan_child(seed, n, ARCHETYPES[n % len(ARCHETYPES)], today)
        registrations.append(registration)
        steps.append((registration.on, n, 1, registration))
        steps += [(p.on, p.child_order, p.seq, p) for p in writer.planned]
    steps.sort(key=lambda step: step[:3])
    now = datetime.now(tz=UTC)
    versions = {r.child_id: _stored_version(app, r.child_id) for r in registrations}
    registered = 0
    for on, _, seq, item in steps:
        child_id = item.child_id
        if seq <= versions[child_id]:  # stored by an earlier, interrupted run
            if progress and isinstance(item, Registration):
                progress(1)
            continue
        lag = item.lag_days if isinstance(item, Planned) else 0
        stamp = min(datetime.combine(on, time(16, 30), tzinfo=UTC) + timedelta(days=lag), now)
        if record_clock:
            record_clock(_fixed(stamp))
        if isinstance(item, Planned):
            by = RecordedBy(f"demo-{item.role}-{item.setting[-3:]}", item.role, item.setting)
            draft = EnvelopeDraft(item.on, by, basis=item.basis)
            versions[item.child_id] = app.handle(
                item.child_id,
                item.command(**item.payload),
                draft,
                expected_version=versions[item.child_id],
            )
            continue
        senco = RecordedBy(f"demo-senco-{item.setting_id[-3:]}", "senco", item.setting_id)
        app.register(
            cmd.RegisterChild(
                child_id=item.child_id,
                given_name=item.given_name,
                family_name=item.family_name,
                date_of_birth=item.date_of_birth,
                setting_id=item.setting_id,
            ),
            EnvelopeDraft(on, senco),
        )
        versions[item.child_id] = 1
        registered += 1
        step(f"demo-registered-{registered}")
        if progress:
            progress(1)
    return [r.child_id for r in registrations]


def _stored_version(app: ChildRecords, child_id: UUID) -> int:
    """How far a demo child's record is already written (0: not at all)."""
    try:
        return app.get_child(child_id, read_only=True).version
    except ChildErased:
        return 1 << 30  # erased since: nothing more to write
    except ChildNotFound:
        return 0


def resumable(app: ChildRecords, *, seed: int) -> bool:
    """Whether the demo may be written here: an empty store, or one it began before."""
    first = _plan_child(seed, 0, ARCHETYPES[0], datetime.now(tz=UTC).date())[0].child_id
    return not any(True for _ in app.child_ids()) or _stored_version(app, first) > 0


def _fixed(stamp: datetime) -> Callable[[], datetime]:
    return lambda: stamp


def _plan_child(seed: int, n: int, archetype: str, today: date) -> tuple[Registration, Writer]:
    """Plan once to learn how long this child's story runs, then again so that it ends in
    the last few weeks: a demo cohort should look current, not two years stale."""
    _, draft = _one_child(
        random.Random(f"{seed}-{n}"), n, archetype, today, start=today - timedelta(days=3 * 365)
    )
    span = max(p.on for p in draft.planned) - (today - timedelta(days=3 * 365))
    jitter = random.Random(f"{seed}-{n}-end").randint(3, 45)
    return _one_child(
        random.Random(f"{seed}-{n}"),
        n,
        archetype,
        today,
        start=today - span - timedelta(days=jitter),
    )


def _one_child(
    rng: random.Random, n: int, archetype: str, today: date, *, start: date
) -> tuple[Registration, Writer]:
    dob = start - timedelta(days=rng.randint(400, 800))
    setting = SETTINGS[n % len(SETTINGS)]
    child_id = UUID(int=rng.getrandbits(128), version=4)
    registration = Registration(
        start, child_id, GIVEN[n % len(GIVEN)], FAMILY[rng.randrange(len(FAMILY))], dob, setting
    )
    w = Writer(child_id, setting, n, rng)
    day = start
    w(
        cmd.LinkPerson,
        day,
        "senco",
        person_id="parent-1",
        name="Demo Parent",
        relationship="mother",
        parental_responsibility=True,
    )
    w(
        cmd.GiveConsent,
        day,
        "senco",
        consent_id="photos",
        purpose="photographs",
        service="",
        given_by="parent-1",
    )

    def later(lo: int, hi: int) -> date:
        # Gaps are stretched so the fuller stories run over two to three years.
        nonlocal day
        day = min(day + timedelta(days=STRETCH * rng.randint(lo, hi)), today)
        return day

    areas = ["communication_language", "personal_social_emotional", "physical"]
    focus = rng.choice(areas)
    for _ in range(rng.randint(2, 4)):
        w(
            cmd.RecordObservation,
            later(10, 30),
            area=rng.choice(areas),
            notes="Plays alongside peers at the sand tray; uses two-word phrases.",
            observer="Key person",
        )
    age = (day - dob).days // 30
    w(
        cmd.AssessTracking,
        later(5, 20),
        area=focus,
        band="16-26 months",
        months_low=16,
        months_high=26,
        chronological_months=age,
    )
    if 24 <= age <= 36:
        w(
            cmd.RecordProgressCheck,
            later(5, 30),
            summary="Progress check at two completed with parents.",
            areas_of_concern=[focus] if archetype != "no_concern" else [],
        )
    w(
        cmd.RecordAttendance,
        later(20, 40),
        period_start=start,
        period_end=day,
        sessions_possible=60,
        sessions_attended=rng.randint(48, 60),
    )

    if archetype == "no_concern":
        w(
            cmd.HoldDiscussion,
            later(20, 40),
            "senco",
            basis="professional_opinion",
            participants=["Key person", "SENCO"],
            outcome="no_current_concern",
            hypothesis="",
            evidence_needed="",
            actions=["Keep monitoring at usual checkpoints"],
        )
        w(
            cmd.RecordParentView,
            later(5, 20),
            "parent",
            basis="parent_view",
            person_id="parent-1",
            view="Happy with how things are going at home.",
        )
        return registration, w

    w(
        cmd.RaiseConcern,
        later(10, 30),
        concern_id="concern-1",
        areas=[focus],
        level="medium",
        description="Limited response to simple instructions in group times.",
    )
    if archetype == "different_views":
        w(
            cmd.HoldDiscussion,
            later(5, 15),
            "senco",
            basis="professional_opinion",
            participants=["Key person", "SENCO"],
            outcome="different_views",
            hypothesis="May be settling-in rather than a learning difficulty.",
            evidence_needed="Six weeks of focused observations.",
            actions=["Ask parents"],
            key_person_view="Sees a persistent difficulty.",
            senco_view="Sees settling-in.",
        )
        v = w(
            cmd.RecordObservation,
            later(5, 15),
            area=focus,
            notes="Did not join circle time.",
            observer="Key person",
        )
        w(
            cmd.Dispute,
            later(1, 7),
            "parent",
            basis="parent_view",
            target_version=v,
            person_id="parent-1",
            comment="At home she joins in happily; it was a new room.",
        )
        w(
            cmd.RecordParentView,
            later(1, 5),
            "parent",
            basis="parent_view",
            person_id="parent-1",
            view="We would like to wait and see.",
        )
        return registration, w

    w(
        cmd.HoldDiscussion,
        later(5, 15),
        "senco",
        basis="professional_opinion",
        participants=["Key person", "SENCO", "Parent"],
        outcome="agreed_concern_monitor",
        hypothesis="Difficulty processing spoken language in busy settings.",
        evidence_needed="Observations in small group and one-to-one.",
        actions=["Small-group language sessions", "Share strategies with parents"],
    )
    if archetype == "monitor":
        v = w(
            cmd.RecordObservation,
            later(10, 30),
            area=focus,
            notes="Followed a two-step instruction in a small group.",
            observer="Key person",
        )
        w(
            cmd.Correct,
            later(1, 3),
            supersedes=v,
            statement="It was a one-step instruction; the two-step was with support.",
        )
        w(
            cmd.HoldDiscussion,
            later(30, 60),
            "senco",
            basis="professional_opinion",
            participants=["Key person", "SENCO"],
            outcome="no_current_concern",
            hypothesis="",
            evidence_needed="",
            actions=["Return to usual monitoring"],
        )
        return registration, w

    # SEN support, Assess-Plan-Do-Review.
    w(
        cmd.HoldDiscussion,
        later(20, 40),
        "senco",
        basis="professional_opinion",
        participants=["Key person", "SENCO", "Parent"],
        outcome="high_concern_seek_advice",
        hypothesis="Speech, language and communication need.",
        evidence_needed="Speech and language therapy assessment.",
        actions=["Refer to SALT with consent", "Start SEN support"],
    )
    w(cmd.NotifyParent, later(1, 5), "senco", method="meeting", information_service_given=True)
    w(
        cmd.ChangeSenStatus,
        day,
        "senco",
        status="K",
        need_codes=["SLCN"],
        primary_need="SLCN",
        reason="Agreed at meeting with parents.",
    )
    w(
        cmd.GiveConsent,
        day,
        "senco",
        consent_id="salt",
        purpose="referral",
        service="Speech and language therapy",
        given_by="parent-1",
    )
    w(
        cmd.MakeReferral,
        later(1, 7),
        "senco",
        referral_id="ref-salt",
        service="Speech and language therapy",
        reason="Language delay",
        consent_id="salt",
    )
    cycles = 3 if archetype == "ehc" else rng.randint(2, 3)
    plan_start = later(3, 10)
    w(
        cmd.StartProvision,
        plan_start,
        "senco",
        provision_id="prov-talk",
        description="Small-group language sessions (Talk Boost style)",
        area=focus,
        start_date=plan_start,
        group_size=4,
        session_minutes=20,
        sessions_per_week=3,
        weeks=10,
        staff_grade="practitioner",
        cost="180.00",
        funding_source="core",
    )
    w(
        cmd.IssuePlan,
        plan_start,
        "senco",
        plan_id="plan-1",
        start_date=plan_start,
        review_date=plan_start + timedelta(weeks=10),
        outcomes=[
            {
                "outcome_id": "o1",
                "area": focus,
                "target_date": plan_start + timedelta(weeks=10),
                "description": "Will follow a two-step instruction in a small group.",
            }
        ],
        provision_ids=["prov-talk"],
        shared_with_parents=True,
    )
    w(
        cmd.RecordChildView,
        later(1, 5),
        "practitioner",
        basis="child_voice",
        view="Likes the puppet game best.",
        method="Talking mat",
    )
    report_done = False
    for cycle in range(cycles):
        session_day = day
        for _ in range(rng.randint(6, 12)):
            session_day = min(session_day + timedelta(days=rng.randint(2, 5)), today)
            if rng.random() < 0.85:
                w(
                    cmd.DeliverSession,
                    session_day,
                    provision_id="prov-talk",
                    session_date=session_day,
                    minutes=20,
                    notes="",
                )
            else:
                w(
                    cmd.MissSession,
                    session_day,
                    provision_id="prov-talk",
                    session_date=session_day,
                    reason="Staff absence",
                )
        day = session_day
        if not report_done:
            w(
                cmd.ReceiveReport,
                later(5, 20),
                "senco",
                basis="third_party_report",
                report_id="salt-1",
                author="Demo Therapist",
                author_role="Speech and language therapist",
                service="Speech and language therapy",
                report_date=day,
                summary="Receptive language around 18 months below age.",
                recommendations=[
                    {"recommendation_id": "r1", "text": "Visual timetable"},
                    {"recommendation_id": "r2", "text": "Daily 1:1 vocabulary work"},
                ],
            )
            w(
                cmd.ActionRecommendation,
                later(2, 10),
                "senco",
                report_id="salt-1",
                recommendation_id="r1",
                action="actioned",
                detail="Visual timetable in room.",
            )
            w(
                cmd.ActionRecommendation,
                day,
                "senco",
                report_id="salt-1",
                recommendation_id="r2",
                action="partly_actioned",
                detail="Three times a week.",
            )
            report_done = True
        review_day = later(3, 10)
        w(
            cmd.HoldReview,
            review_day,
            "senco",
            basis="professional_opinion",
            plan_id="plan-1",
            outcome_progress=[{"outcome_id": "o1", "progress": "partly_met", "note": ""}],
            provision_impact=[{"provision_id": "prov-talk", "impact": "some", "note": ""}],
            reflection="Responds better with visuals; delivery mostly consistent.",
            decision="continue" if cycle < cycles - 1 else "escalate",
            next_review_date=review_day + timedelta(weeks=10),
            attendees=["SENCO", "Parent"],
        )
        w(
            cmd.RecordParentView,
            later(1, 5),
            "parent",
            basis="parent_view",
            person_id="parent-1",
            view="We see small steps at home too.",
        )
    if archetype == "sen_support":
        return registration, w
    w(
        cmd.GiveConsent,
        later(1, 5),
        "senco",
        consent_id="la",
        purpose="share_with_la",
        service="",
        given_by="parent-1",
    )
    request = later(3, 10)
    w(
        cmd.SubmitEhcRequest,
        request,
        "senco",
        request_date=request,
        local_authority="Demo County Council",
        reason="Needs exceed what SEN support can meet.",
    )
    if request + timedelta(weeks=6) <= today:
        w(
            cmd.RecordEhcDecision,
            request + timedelta(weeks=5),
            "senco",
            decision="assess",
            decision_date=request + timedelta(weeks=5),
            reason="",
        )
    return registration, w
