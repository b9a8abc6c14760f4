"""The retention rule: date of birth + N years, leap-day births, unknown dates of birth,
and disposal as an event that a legal hold or an early date refuses."""

from __future__ import annotations

from datetime import date

import pytest

from domain import commands as cmd
from domain.application import ChildRecords
from domain.errors import ChildErased, InvalidValue, LegalHoldActive, RetentionNotOver
from domain.events import RetentionDisposed
from domain.retention import RetentionPolicy, anniversary
from tests.factories import NOW, SENCO, on, register

TOOLKIT = RetentionPolicy()


@pytest.mark.parametrize(
    ("born", "years", "until"),
    [
        (date(2020, 5, 17), 31, date(2051, 5, 17)),
        (date(2020, 2, 29), 31, date(2051, 3, 1)),  # common year: 1 March, never earlier
        (date(2020, 2, 29), 32, date(2052, 2, 29)),  # leap year: the day itself
        (date(2019, 2, 28), 31, date(2050, 2, 28)),
        (date(2020, 12, 31), 25, date(2045, 12, 31)),
    ],
)
def test_the_anniversary_of_a_birth(born: date, years: int, until: date) -> None:
    assert anniversary(born, years) == until
    assert RetentionPolicy(years).retain_until(born, None) == until


def test_an_unknown_date_of_birth_asks_for_review_unless_the_policy_says_otherwise() -> None:
    registered = date(2024, 9, 2)
    assert TOOLKIT.retain_until(None, registered) is None
    assert TOOLKIT.basis(None) == "review+31y"
    counted = RetentionPolicy(31, "from_registration")
    assert counted.retain_until(None, registered) == date(2055, 9, 2)
    assert counted.retain_until(None, None) is None  # nothing to count from: review
    assert counted.basis(date(2020, 1, 1)) == "date_of_birth+31y"


def test_a_policy_is_checked() -> None:
    with pytest.raises(InvalidValue):
        RetentionPolicy(0)
    with pytest.raises(InvalidValue):
        RetentionPolicy(31, "delete_at_once")


class TestDisposal:
    def test_a_record_past_its_retention_is_disposed_of_as_an_event(
        self, memory_records: ChildRecords
    ) -> None:
        child = register(memory_records, born=date(1990, 1, 1), registered=date(1993, 9, 1))
        child.do(cmd.Dispose, NOW, SENCO, policy=TOOLKIT)
        with pytest.raises(ChildErased):
            memory_records.get_child(child.child_id)
        last = list(memory_records.events.get(child.child_id))[-1]
        assert isinstance(last, RetentionDisposed)
        assert last.retain_until == date(2021, 1, 1)
        assert last.policy == "date_of_birth+31y"

    def test_disposal_before_the_date_is_refused(self, memory_records: ChildRecords) -> None:
        child = register(memory_records, born=date(2023, 3, 1))
        with pytest.raises(RetentionNotOver):
            child.do(cmd.Dispose, NOW, SENCO, policy=TOOLKIT)
        assert child.history_kinds() == ["ChildRegistered"]

    def test_a_legal_hold_keeps_a_record_past_its_date(self, memory_records: ChildRecords) -> None:
        child = register(memory_records, born=date(1990, 1, 1), registered=date(1993, 9, 1))
        child.do(cmd.PlaceLegalHold, NOW, SENCO, reason="claim pending")
        with pytest.raises(LegalHoldActive):
            child.do(cmd.Dispose, NOW, SENCO, policy=TOOLKIT)

    def test_without_a_date_of_birth_review_is_required(self, memory_records: ChildRecords) -> None:
        child_id = memory_records.register(
            cmd.RegisterChild(
                given_name="Testy",
                family_name="Fictional",
                date_of_birth=None,
                setting_id="test-setting",
            ),
            on(date(1995, 9, 1)),
        )
        with pytest.raises(RetentionNotOver, match="review"):
            memory_records.handle(child_id, cmd.Dispose(policy=TOOLKIT), on(NOW))
        counted = RetentionPolicy(25, "from_registration")
        memory_records.handle(child_id, cmd.Dispose(policy=counted), on(NOW))
        assert memory_records.is_erased(child_id)
