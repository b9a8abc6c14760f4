"""One writer where there must be one: of several servers, exactly one holds the lead for a
piece of work, and another takes it over within seconds when the holder dies (SIGKILL)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from api.bootstrap import leadership
from api.settings import Settings
from tests.processes import ROOT, cli_env

HOLDER = """
import sys, time
from api.bootstrap import leadership
from api.settings import Settings
lead = leadership(Settings(), "checkpoints")
assert lead.holds()
print("leading", flush=True)
time.sleep(120)
"""


def test_one_server_leads_until_it_lets_go(settings: Settings) -> None:
    first, second = leadership(settings, "checkpoints"), leadership(settings, "checkpoints")
    try:
        assert first.holds()
        assert first.holds()  # keeps it
        assert not second.holds()
        assert leadership(settings, "retention").holds()  # another piece of work, its own lead
        first.release()
        assert second.holds()
        assert not first.holds()
    finally:
        first.release()
        second.release()


@pytest.mark.slow
def test_a_killed_leader_is_replaced_within_seconds(settings: Settings, tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        env=cli_env(settings),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    standby = leadership(settings, "checkpoints")
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "leading"
        assert not standby.holds()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        deadline = time.monotonic() + 10
        while not standby.holds():
            assert time.monotonic() < deadline, "no server took the lead within 10 s"
            time.sleep(0.1)
    finally:
        standby.release()
        if holder.poll() is None:
            holder.kill()
            holder.wait()
