"""Property: any valid sequence of commands, saved one transaction at a time, reloads from
the store (snapshots included) as exactly the aggregate held in memory — on both stores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from uuid import uuid4

from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from api.bootstrap import open_records
from api.settings import Settings
from domain.child import ChildRecord
from domain.envelope import Envelope
from domain.vocabulary import AREAS, DISCUSSION_OUTCOMES
from tests.factories import NOW, PARENT, PRACTITIONER, SENCO, fixed_clock, on

START = date(2024, 1, 8)
AREA_CODES = sorted(AREAS)
Step = Callable[[ChildRecord, Envelope, st.DataObject], None]


# Text the domain accepts: no control, format, surrogate or private-use character
# (domain.rules.plain), except newline, tab and the zero-width joiners.
TEXT = st.text(
    alphabet=st.characters(exclude_categories=("Cc", "Cf", "Cs", "Co"))
    | st.sampled_from("\n\t\u200c\u200d"),
    min_size=1,
    max_size=40,
).filter(str.strip)


def _day(data: st.DataObject) -> date:
    return START + timedelta(days=data.draw(st.integers(0, 900)))


def observe(c: ChildRecord, e: Envelope, data: st.DataObject) -> None:
    c.record_observation(
        e,
        area=data.draw(st.sampled_from(AREA_CODES)),
        notes=data.draw(TEXT),
        observer="KP",
    )


def discuss(c: ChildRecord, e: Envelope, data: st.DataObject) -> None:
    outcome = data.draw(st.sampled_from(sorted(DISCUSSION_OUTCOMES)))
    c.hold_discussion(
        e,
        outcomes=DISCUSSION_OUTCOMES,
        participants=["KP", "SENCO"],
        outcome=outcome,
        hypothesis="A hypothesis",
        evidence_needed="",
        actions=[],
        key_person_view="kp",
        senco_view="senco",
    )


def start_provision(c: ChildRecord, e: Envelope, data: st.DataObject) -> None:
    c.start_provision(
        e,
        provision_id=f"p{len(c.provisions)}",
        description="Group",
        area=data.draw(st.sampled_from(AREA_CODES)),
        start_date=START,
        group_size=data.draw(st.integers(1, 8)),
        session_minutes=20,
        sessions_per_week=data.draw(st.integers(1, 5)),
        weeks=10,
        staff_grade="practitioner",
        cost=f"{data.draw(st.integers(0, 99999))}.{data.draw(st.integers(10, 99))}",
        funding_source=data.draw(st.sampled_from(["core", "additional"])),
    )


def log_session(c: ChildRecord, e: Envelope, data: st.DataObject) -> None:
    running = sorted(p for p, v in c.provisions.items() if v["end_date"] is None)
    if not running:
        return start_provision(c, e, data)
    pid = data.draw(st.sampled_from(running))
    if data.draw(st.booleans()):
        c.deliver_session(
            e, provision_id=pid, session_date=min(_day(data), e.occurred_on), minutes=20, notes=""
        )
    else:
        c.miss_session(
            e, provision_id=pid, session_date=min(_day(data), e.occurred_on), reason="Absent"
        )
    return None


def end_provision(c: ChildRecord, e: Envelope, data: st.DataObject) -> None:
    running = sorted(p for p, v in c.provisions.items() if v["end_date"] is None)
    if not running:
        return start_provision(c, e, data)
    c.end_provision(
        e,
        provision_id=data.draw(st.sampled_from(running)),
        end_date=min(_day(data), e.occurred_on),
        reason="Outcome met",
    )
    return None


def plan_or_review(c: ChildRecord, e: Envelope, data: st.DataObject) -> None:
    if not c.plans:
        c.issue_plan(
            e,
            plan_id="plan-1",
            start_date=START,
            review_date=START + timedelta(70),
            outcomes=[
                {
                    "outcome_id": "o1",
                    "description": "Two-step instruction",
                    "area": "communication_language",
                    "target_date": START + timedelta(70),
                }
            ],
            provision_ids=sorted(c.provisions),
            shared_with_parents=True,
        )
        return
    c.hold_review(
        e,
        plan_id="plan-1",
        outcome_progress=[
            {"outcome_id": "o1", "progress": data.draw(st.sampled_from(["met", "not_met"]))}
        ],
        provision_impact=[{"provision_id": p, "impact": "some"} for p in sorted(c.provisions)],
        reflection="",
        decision="continue",
        next_review_date=e.occurred_on + timedelta(days=70),
        attendees=["SENCO"],
    )


def consent_or_refer(c: ChildRecord, e: Envelope, data: st.DataObject) -> None:
    live = sorted(k for k, v in c.consents.items() if v["state"] == "given")
    refer, withdraw = data.draw(st.booleans()), data.draw(st.booleans())
    if live and refer:
        c.make_referral(
            e,
            referral_id=f"r{len(c.referrals)}",
            service="SALT",
            reason="Delay",
            consent_id=live[0],
        )
    elif live and withdraw:
        c.withdraw_consent(e, consent_id=live[0], withdrawn_by="parent-1")
    else:
        c.give_consent(
            e,
            consent_id=f"c{len(c.consents)}",
            purpose="referral",
            service="SALT",
            given_by="parent-1",
        )


def amend(c: ChildRecord, e: Envelope, data: st.DataObject) -> None:
    # A mark cannot predate what it marks: only entries of its day or before.
    dates = c.occurred_ats or []
    earlier = [v for v in range(1, c.version + 1) if dates[v - 1].date() <= e.occurred_on]
    target = data.draw(st.sampled_from(earlier))
    parents_words = c.kinds[target - 1] in ("ParentViewRecorded", "EntryDisputed") or (
        target in c.parent_versions
    )
    protected = parents_words and e.recorded_by.role != "parent"
    choice = data.draw(st.sampled_from(["correct", "mistaken", "dispute"]))
    if choice == "dispute":
        c.dispute(e, target_version=target, person_id="parent-1", comment="Not how I saw it")
    elif choice == "mistaken" and not protected:
        c.mark_mistaken(e, target_version=target, reason="Wrong child")
    elif not protected:
        c.correct(e, supersedes=target, statement="The date was a day earlier")


def parent_view(c: ChildRecord, e: Envelope, data: st.DataObject) -> None:
    c.record_parent_view(e, person_id="parent-1", view=data.draw(TEXT))


STEPS: list[Step] = [
    observe,
    discuss,
    start_provision,
    log_session,
    end_provision,
    plan_or_review,
    consent_or_refer,
    amend,
    parent_view,
]


class TestReloadEqualsMemory:
    @hyp_settings(
        max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(data=st.data())
    def test_random_valid_histories_reload_identically(
        self, settings: Settings, data: st.DataObject
    ) -> None:
        records = open_records(
            settings.model_copy(update={"snapshot_interval": 4}), clock=fixed_clock
        )
        try:
            draft = on(START, SENCO)
            child = ChildRecord.register(
                draft.seal(now=NOW, skew=records.skew),
                child_id=uuid4(),
                given_name="Prop",
                family_name="Erty",
                date_of_birth=date(2022, 5, 1),
                setting_id="test-setting",
            )
            child.link_person(
                on(START).seal(now=NOW, skew=records.skew),
                person_id="parent-1",
                name="P",
                relationship="father",
                parental_responsibility=True,
            )
            records.save(child)
            for _ in range(data.draw(st.integers(1, 30))):
                step = data.draw(st.sampled_from(STEPS))
                by = data.draw(st.sampled_from([SENCO, PRACTITIONER, PARENT]))
                envelope = on(_day(data), by).seal(now=NOW, skew=records.skew)
                step(child, envelope, data)
                records.save(child)  # one transaction per command, as the service does
            reloaded = open_records(settings, clock=fixed_clock)
            try:
                assert reloaded.get_child(child.id) == child
                assert len(reloaded.history(child.id)) == child.version
            finally:
                reloaded.close()
        finally:
            records.close()
