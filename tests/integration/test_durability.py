"""Crash and concurrency: an acknowledged write survives SIGKILL; one of two racers wins."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from api.bootstrap import open_records
from api.settings import Settings
from domain import commands as cmd
from domain.application import ChildRecords
from domain.errors import VersionConflict
from tests.conftest import OpenStore
from tests.factories import PRACTITIONER, on, register

WRITER = """
import json, sys
from datetime import date
from api.bootstrap import open_records
from api.settings import Settings
from domain import commands as cmd
from domain.envelope import EnvelopeDraft, RecordedBy
settings = Settings.model_validate_json(sys.argv[1])
records = open_records(settings)
by = RecordedBy("u-kp", "practitioner", "test-setting")
child = records.register(cmd.RegisterChild(given_name="Crash", family_name="Test",
    date_of_birth=date(2023, 1, 1), setting_id="test-setting"),
        EnvelopeDraft(date(2025, 1, 6), by))
print(json.dumps({"child": str(child), "version": 1}), flush=True)
version = 1
while True:
    version = records.handle(child, cmd.RecordObservation(area="physical",
        notes=f"acknowledged write {version + 1}", observer="KP"),
        EnvelopeDraft(date(2025, 2, 1), by), expected_version=version)
    print(json.dumps({"child": str(child), "version": version}), flush=True)
"""


def _run_and_kill(settings: Settings, after: float) -> list[dict[str, str | int]]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, settings.model_dump_json()],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    acks: list[dict[str, str | int]] = []
    deadline = time.monotonic() + after
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acks.append(json.loads(line))
    proc.send_signal(signal.SIGKILL)
    # Lines written before the kill are acknowledgements too.
    acks.extend(json.loads(line) for line in proc.stdout.read().splitlines() if line)
    proc.wait()
    return acks


@pytest.mark.slow
class TestCrashSafety:
    def test_every_acknowledged_write_survives_sigkill(self, settings: Settings) -> None:
        rng = random.Random(20261124)
        for _round in range(4):
            acks = _run_and_kill(settings, after=rng.uniform(1.5, 3.0))
            assert acks, "the writer acknowledged nothing before it was killed"
            records = open_records(settings)
            try:
                from uuid import UUID

                child = UUID(str(acks[-1]["child"]))
                stored = records.history(child)
                assert len(stored) >= int(acks[-1]["version"])
                # The store opens cleanly and takes new writes after the crash.
                version = records.handle(
                    child,
                    cmd.RecordObservation(area="physical", notes="after restart", observer="KP"),
                    on(date(2025, 3, 1), PRACTITIONER),
                )
                assert version == len(stored) + 1
            finally:
                records.close()


class TestConcurrentWriters:
    def test_two_writers_with_the_same_expected_version_exactly_one_wins(
        self, open_store: OpenStore
    ) -> None:
        first, second = open_store(), open_store()
        child = register(first)
        for _attempt in range(10):
            version = first.get_child(child.child_id).version
            barrier = threading.Barrier(2)
            outcomes: list[str] = []

            def write(
                app: ChildRecords,
                expected: int = version,
                barrier: threading.Barrier = barrier,
                outcomes: list[str] = outcomes,
            ) -> None:
                barrier.wait()
                try:
                    app.handle(
                        child.child_id,
                        cmd.RecordObservation(area="physical", notes="race", observer="KP"),
                        on(date(2025, 2, 1), PRACTITIONER),
                        expected_version=expected,
                    )
                    outcomes.append("won")
                except VersionConflict:
                    outcomes.append("conflict")

            threads = [threading.Thread(target=write, args=(a,)) for a in (first, second)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(outcomes) == ["conflict", "won"]
            assert first.get_child(child.child_id).version == version + 1
