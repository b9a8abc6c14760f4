"""Fixtures of the invariant tests: a registered child with a parent, with a plan, or
after leaving (all on the in-memory store with the fixed clock)."""

from __future__ import annotations

import pytest

from domain import commands as cmd
from domain.application import ChildRecords
from tests.factories import (
    ChildBuilder,
    register,
    with_parent,
    with_plan,
    with_provision,
)
from tests.support.invariants import (
    DAY,
    LEFT_ON,
    observation,
)

# --- fixtures --------------------------------------------------------------------------


@pytest.fixture
def child(memory_records: ChildRecords) -> ChildBuilder:
    """A registered child (version 1) with a linked parent 'parent-1' (version 2)."""
    return with_parent(register(memory_records))


@pytest.fixture
def planned(child: ChildBuilder) -> ChildBuilder:
    """The child with provision 'prov-1' and plan 'plan-1' (outcome 'o1'), both from START."""
    return with_plan(with_provision(child))


@pytest.fixture
def left(child: ChildBuilder) -> ChildBuilder:
    """The child after they left the setting."""
    child.do(cmd.Leave, LEFT_ON, destination="Reception class", reason="Started school")
    return child


@pytest.fixture
def other_child(memory_records: ChildRecords) -> ChildBuilder:
    """A second child with a longer history (versions 1..6)."""
    other = with_parent(register(memory_records))
    for _ in range(4):
        other.do(cmd.RecordObservation, DAY, **observation())
    assert other.version == 6
    return other
