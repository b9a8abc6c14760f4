"""Rules that depend on the record's state are checked against the state as it stood on the
new entry's own date (DOMAIN.md, "Invariants"), on both stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from api.bootstrap import open_records
from api.settings import Settings
from domain import commands as cmd
from domain.application import ChildRecords
from domain.errors import ConsentRequired, DomainError, ProvisionClosed, UnknownReference
from tests.factories import commanding, fixed_clock, on, register, with_parent, with_provision

DAY0 = date(2024, 9, 2)


def _consent(app: ChildRecords, child_id: UUID, day: date, consent_id: str = "c1") -> int:
    return app.handle(
        child_id,
        cmd.GiveConsent(
            consent_id=consent_id, purpose="referral", service="SALT", given_by="parent-1"
        ),
        on(day),
    )


def _referral(app: ChildRecords, child_id: UUID, day: date, referral_id: str, consent: str) -> int:
    return app.handle(
        child_id,
        cmd.MakeReferral(
            referral_id=referral_id, service="SALT", reason="Speech sounds", consent_id=consent
        ),
        on(day),
    )


class TestHandBuilt:
    def test_a_referral_dated_before_its_consent_is_refused(self, records: ChildRecords) -> None:
        child = with_parent(register(records))
        _consent(records, child.child_id, date(2025, 3, 10))
        before = len(records.history(child.child_id))
        with pytest.raises(ConsentRequired) as refused:
            _referral(records, child.child_id, date(2025, 3, 1), "r1", "c1")
        assert refused.value.field == "consent_id"
        assert len(records.history(child.child_id)) == before  # nothing stored
        _referral(records, child.child_id, date(2025, 3, 10), "r1", "c1")  # on the day: fine

    def test_a_later_withdrawal_leaves_an_earlier_referral_valid(
        self, records: ChildRecords
    ) -> None:
        child = with_parent(register(records))
        _consent(records, child.child_id, date(2025, 3, 1))
        records.handle(
            child.child_id,
            cmd.WithdrawConsent(consent_id="c1", withdrawn_by="parent-1"),
            on(date(2025, 5, 1)),
        )
        # Recorded late, dated while the consent was live.
        _referral(records, child.child_id, date(2025, 4, 1), "r1", "c1")
        with pytest.raises(ConsentRequired):
            _referral(records, child.child_id, date(2025, 5, 2), "r2", "c1")

    def test_a_review_dated_before_its_plan_is_refused(self, records: ChildRecords) -> None:
        child = with_parent(register(records))
        child.do(
            cmd.IssuePlan,
            date(2025, 1, 6),
            plan_id="plan-1",
            start_date=date(2025, 1, 6),
            review_date=date(2025, 3, 31),
            outcomes=[
                {
                    "outcome_id": "o1",
                    "description": "Follows a two-step instruction",
                    "area": "communication_language",
                    "target_date": date(2025, 3, 31),
                }
            ],
            provision_ids=[],
            shared_with_parents=True,
        )
        with pytest.raises(UnknownReference) as refused:
            records.handle(
                child.child_id,
                cmd.HoldReview(
                    plan_id="plan-1",
                    outcome_progress=[],
                    provision_impact=[],
                    reflection="",
                    decision="continue",
                    next_review_date=date(2025, 2, 1),
                    attendees=[],
                ),
                on(date(2024, 12, 1)),
            )
        assert refused.value.field == "plan_id"

    def test_a_session_before_its_provision_started_is_refused(self, records: ChildRecords) -> None:
        child = with_provision(with_parent(register(records)), start=date(2025, 1, 6))
        with pytest.raises(UnknownReference):
            records.handle(
                child.child_id,
                cmd.DeliverSession(
                    provision_id="prov-1", session_date=date(2025, 1, 3), minutes=20, notes=""
                ),
                on(date(2025, 1, 3)),
            )

    def test_a_session_before_a_later_end_is_accepted(self, records: ChildRecords) -> None:
        child = with_provision(with_parent(register(records)), start=date(2025, 1, 6))
        child.do(
            cmd.EndProvision,
            date(2025, 2, 28),
            provision_id="prov-1",
            end_date=date(2025, 2, 28),
            reason="Done",
        )
        records.handle(
            child.child_id,
            cmd.DeliverSession(
                provision_id="prov-1", session_date=date(2025, 1, 13), minutes=20, notes=""
            ),
            on(date(2025, 1, 13)),
        )
        with pytest.raises(ProvisionClosed):
            records.handle(
                child.child_id,
                cmd.DeliverSession(
                    provision_id="prov-1", session_date=date(2025, 3, 3), minutes=20, notes=""
                ),
                on(date(2025, 3, 3)),
            )

    def test_an_ehc_step_dated_before_the_request_is_refused(self, records: ChildRecords) -> None:
        child = with_parent(register(records))
        child.do(
            cmd.SubmitEhcRequest,
            date(2025, 2, 3),
            request_date=date(2025, 2, 3),
            local_authority="Example LA",
            reason="Needs beyond SEN support",
        )
        with pytest.raises(DomainError):
            records.handle(
                child.child_id,
                cmd.RecordEhcDecision(
                    decision="assess", decision_date=date(2025, 1, 20), reason=""
                ),
                on(date(2025, 1, 20)),
            )

    def test_ids_stay_unique_across_dates(self, records: ChildRecords) -> None:
        child = with_parent(register(records))
        _consent(records, child.child_id, date(2025, 3, 10))
        with pytest.raises(DomainError) as refused:
            _consent(records, child.child_id, date(2025, 1, 1))
        assert refused.value.field == "consent_id"


class TestMarksDoNotPredateWhatTheyMark:
    @pytest.mark.parametrize("command", [cmd.MarkMistaken, cmd.Correct, cmd.Dispute])
    def test_a_mark_dated_before_its_entry_is_refused(
        self, records: ChildRecords, command: type[cmd.Command]
    ) -> None:
        child = with_parent(register(records))
        target = _consent(records, child.child_id, date(2025, 3, 10))
        payload: dict[str, Any] = {
            cmd.MarkMistaken: {"target_version": target, "reason": "Wrong child"},
            cmd.Correct: {"supersedes": target, "statement": "The service was OT"},
            cmd.Dispute: {"target_version": target, "person_id": "parent-1", "comment": "No"},
        }[command]
        before = len(records.history(child.child_id))
        with pytest.raises(DomainError) as refused:
            commanding(records, command)(child.child_id, on(date(2025, 3, 9)), **payload)
        assert refused.value.field == "occurred_at"
        assert len(records.history(child.child_id)) == before
        commanding(records, command)(child.child_id, on(date(2025, 3, 10)), **payload)


# --- the property -----------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    kind: str
    key: int
    day: int  # days after DAY0


def _apply(app: ChildRecords, child_id: UUID, op: Op, serial: int) -> int:
    day = DAY0 + timedelta(days=op.day)
    cid, pid = f"c{op.key}", f"p{op.key}"
    calls: dict[str, Any] = {
        "consent": lambda: _consent(app, child_id, day, cid),
        "withdraw": lambda: app.handle(
            child_id, cmd.WithdrawConsent(consent_id=cid, withdrawn_by="parent-1"), on(day)
        ),
        "referral": lambda: _referral(app, child_id, day, f"r{serial}", cid),
        "start": lambda: app.handle(
            child_id,
            cmd.StartProvision(
                provision_id=pid,
                description="Talk group",
                area="communication_language",
                start_date=day,
                group_size=4,
                session_minutes=20,
                sessions_per_week=3,
                weeks=10,
                staff_grade="practitioner",
                cost="180.00",
                funding_source="core",
            ),
            on(day),
        ),
        "end": lambda: app.handle(
            child_id, cmd.EndProvision(provision_id=pid, end_date=day, reason="Done"), on(day)
        ),
        "session": lambda: app.handle(
            child_id,
            cmd.DeliverSession(provision_id=pid, session_date=day, minutes=20, notes=""),
            on(day),
        ),
    }
    return int(calls[op.kind]())


def _accepted(app: ChildRecords, child_id: UUID, op: Op, serial: int) -> bool:
    try:
        _apply(app, child_id, op, serial)
    except DomainError:
        return False
    return True


OPS = st.builds(
    Op,
    kind=st.sampled_from(["consent", "withdraw", "referral", "start", "end", "session"]),
    key=st.integers(0, 1),
    day=st.integers(0, 30),
)
CANDIDATES = st.builds(
    Op, kind=st.sampled_from(["referral", "session"]), key=st.integers(0, 1), day=st.integers(0, 30)
)


def _child(app: ChildRecords) -> UUID:
    return with_parent(register(app, registered=DAY0), DAY0).child_id


class TestAcceptedIffAcceptedOnItsOwnDate:
    @hyp_settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(history=st.lists(OPS, max_size=12), candidate=CANDIDATES)
    def test_random_histories(self, settings: Settings, history: list[Op], candidate: Op) -> None:
        app = open_records(settings, clock=fixed_clock)
        try:
            late = _child(app)
            kept = [op for i, op in enumerate(history) if _accepted(app, late, op, i)]
            accepted_late = _accepted(app, late, candidate, 999)
            # The same entry written on its own date: only what had happened by then exists.
            timely = _child(app)
            for i, op in enumerate(kept):
                if op.day <= candidate.day:
                    assert _accepted(app, timely, op, i), op
            assert _accepted(app, timely, candidate, 999) == accepted_late
        finally:
            app.close()
