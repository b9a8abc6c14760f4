"""The copy of a cached record that a command changes (`ChildRecord.__deepcopy__`): the
same state as `copy.deepcopy` gives, nothing shared that a command could change, sharing
within the record kept, and anything but plain data still deep-copied."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from domain import commands as cmd
from domain.application import ChildRecords
from domain.child import ChildRecord
from domain.record_copy import fresh
from tests.factories import on, register, with_parent, with_plan, with_provision


def _rich(records: ChildRecords) -> ChildRecord:
    child = with_plan(with_provision(with_parent(register(records))))
    return records.get_child(child.child_id, read_only=True)


def _containers(value: Any) -> list[Any]:
    """Every list and dict inside `value`."""
    found: list[Any] = []
    if isinstance(value, dict):
        found.append(value)
        for item in value.values():
            found += _containers(item)
    elif isinstance(value, list):
        found.append(value)
        for item in value:
            found += _containers(item)
    return found


def test_the_copy_holds_what_deepcopy_gives(memory_records: ChildRecords) -> None:
    record = _rich(memory_records)
    ours = copy.deepcopy(record)
    assert type(ours) is ChildRecord
    assert vars(ours) == vars(copy.copy(record))
    assert ours.plans  # the record is not empty
    assert ours.provisions
    assert ours.people
    generic = {name: copy.deepcopy(value) for name, value in vars(record).items()}
    assert vars(ours) == generic


def test_no_list_or_dict_of_the_cached_record_is_shared(memory_records: ChildRecords) -> None:
    record = _rich(memory_records)
    ours = copy.deepcopy(record)
    theirs = {id(c) for c in _containers(list(vars(record).values()))}
    mine = _containers(list(vars(ours).values()))
    assert mine
    assert not [c for c in mine if id(c) in theirs]
    plan = next(iter(ours.plans.values()))
    plan["status"] = "changed on the copy"
    ours.kinds.append("changed on the copy")
    assert next(iter(record.plans.values())).get("status") != "changed on the copy"
    assert "changed on the copy" not in record.kinds


def test_a_command_on_the_copy_leaves_the_cached_record(memory_records: ChildRecords) -> None:
    record = _rich(memory_records)
    before = copy.deepcopy(vars(record))
    observed = cmd.RecordObservation(area="physical", notes="Climbed.", observer="Key person")
    version = memory_records.handle(record.id, observed, on(date(2025, 2, 3)), loaded=record)
    assert version == record.version + 1
    assert vars(record) == before  # the command's event went onto a copy


def test_sharing_inside_is_kept_and_other_values_are_deep_copied() -> None:
    inner: list[Any] = [1, "two"]
    marks = {"a"}
    value: dict[str, Any] = {"x": inner, "y": inner, "z": marks, "t": (1, "a"), "u": ([],)}
    memo: dict[int, Any] = {}
    got = fresh(value, memo)
    assert got == value
    assert got["x"] is got["y"]  # one list reached twice: one copy, as deepcopy does
    assert got["x"] is not inner
    assert got["z"] == marks
    assert got["z"] is not marks  # a set is not plain data here: deep-copied
    assert got["t"] is value["t"]  # a tuple of immutable values is shared
    assert got["u"][0] is not value["u"][0]  # a tuple holding a list is not
