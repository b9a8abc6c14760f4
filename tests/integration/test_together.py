"""Several children's entries in one transaction (group work), on both stores: all stored
with their ledger leaves, so the audit is clean; or, when one is refused, none."""

from __future__ import annotations

from datetime import date

import pytest

from api.settings import Settings
from domain import commands as cmd
from domain.application import ChildRecords
from domain.errors import GroupRefused, RecordClosed
from ledger.keys import LOG_KEY, create_key_pair
from tests.factories import PRACTITIONER, on, register, with_parent
from tests.support.audit import run_audit

SEEN = cmd.RecordObservation(area="physical", notes="Group game", observer="KP")


def test_a_group_is_stored_with_a_leaf_for_each_child_and_audits_clean(
    records: ChildRecords, settings: Settings
) -> None:
    create_key_pair(settings.keys_dir, LOG_KEY)
    children = [with_parent(register(records)) for _ in range(3)]
    versions = records.handle_together(
        [(c.child_id, SEEN, on(date(2025, 2, 3), PRACTITIONER), c.version) for c in children]
    )
    assert versions == [3, 3, 3]
    for child in children:
        assert type(records.history(child.child_id)[-1]).__name__ == "ObservationRecorded"
    code, said = run_audit(settings)
    assert code == 0, said


def test_one_refusal_stores_nothing_for_anyone(records: ChildRecords) -> None:
    open_, closed = with_parent(register(records)), with_parent(register(records))
    closed.do(cmd.Leave, date(2025, 1, 10), destination="School", reason="Age")
    with pytest.raises(GroupRefused) as refused:
        records.handle_together(
            [
                (
                    c.child_id,
                    cmd.RaiseConcern(
                        concern_id="g1", areas=["physical"], level="low", description="Clumsy"
                    ),
                    on(date(2025, 2, 3)),
                    None,
                )
                for c in (open_, closed)
            ]
        )
    assert list(refused.value.refusals) == [1]
    assert isinstance(refused.value.refusals[1], RecordClosed)
    assert len(records.history(open_.child_id)) == 2
    assert len(records.history(closed.child_id)) == 3
