"""The invariant helpers themselves can fail."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import commands as cmd
from domain.errors import (
    InvalidValue,
)
from tests.factories import (
    TODAY,
    ChildBuilder,
    commanding,
    on,
)
from tests.support.invariants import (
    DAY,
    assert_refused,
    observation,
)

# --- the helpers themselves can fail -----------------------------------------------------


def test_given_an_accepted_command_when_checked_as_refused_then_the_helper_fails(
    child: ChildBuilder,
) -> None:
    with pytest.raises(pytest.fail.Exception):
        assert_refused(
            child.app,
            child,
            InvalidValue,
            commanding(child.app, cmd.RecordObservation),
            child.child_id,
            on(DAY),
            **observation(),
        )


def test_given_a_subclass_error_when_checked_against_its_parent_then_the_helper_fails(
    child: ChildBuilder,
) -> None:
    tomorrow = TODAY + timedelta(days=1)
    with pytest.raises(AssertionError, match="FutureDate"):
        assert_refused(
            child.app,
            child,
            InvalidValue,
            commanding(child.app, cmd.RecordObservation),
            child.child_id,
            on(tomorrow),
            **observation(),
        )
