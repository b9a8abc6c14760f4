"""Named steps of long commands, where a test can make the process die.

A command that changes several things in order (record an erasure, purge, destroy keys;
write a bundle, record the export; copy the stores, write the manifest) calls `step(name)`
after each one. In production the step does nothing. With `SENDTRAIL_TEST_CRASH_AT=name`
(settings.test_crash_at) the process kills itself with SIGKILL there — no cleanup, no
flush, exactly a power cut for the files — so tests can show that a rerun or a restart
finishes what was interrupted, at every step.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

Step = Callable[[str], None]


def no_crash(name: str) -> None:
    """The production step: nothing happens."""


def crash_at(name: str | None) -> Step:
    """A step that SIGKILLs this process on reaching `name` (None: never)."""
    if not name:
        return no_crash

    def step(reached: str) -> None:
        if reached == name:
            os.kill(os.getpid(), signal.SIGKILL)

    return step
