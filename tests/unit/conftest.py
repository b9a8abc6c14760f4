"""Fixtures the LA profile unit tests share: the built-in profiles, and the known
history (tests/la_history.py) on a Story in memory."""

from __future__ import annotations

import pytest

from projections.la_profile import BUILTIN_DIR, LoadedProfile, scan_profiles
from tests.la_history import Known, on_story, write_known_history
from tests.story import Story


@pytest.fixture(scope="module")
def profiles() -> dict[str, LoadedProfile]:
    return scan_profiles([BUILTIN_DIR]).profiles


@pytest.fixture(scope="module")
def story() -> tuple[Story, Known]:
    story = Story()
    return story, write_known_history(on_story(story))
