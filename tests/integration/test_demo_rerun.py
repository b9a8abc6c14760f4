"""Commands can be rerun: `sendtrail demo` killed midway (SIGKILL once three children are
registered, their histories part-written) and run again with the same arguments finishes
the cohort — the same children with the same kinds of entries, in the same order, as an
uninterrupted run — instead of refusing with "a record with this child_id already exists"."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.bootstrap import open_records
from api.settings import Settings
from tests.processes import KILLED, one_line, sendtrail

pytestmark = pytest.mark.slow


def cohort(settings: Settings) -> dict[str, list[str]]:
    records = open_records(settings)
    try:
        return {
            str(child): [type(e).__name__ for e in records.history(child)]
            for child in records.child_ids()
        }
    finally:
        records.close()


def test_an_interrupted_demo_is_resumed_by_running_it_again(
    settings: Settings, tmp_path: Path
) -> None:
    demo = ("demo", "--children", "6", "--seed", "11")
    assert sendtrail(settings, "keys", "init").returncode == 0
    killed = sendtrail(settings, *demo, crash_at="demo-registered-3")
    assert killed.returncode == KILLED, one_line(killed)
    partial = cohort(settings)
    assert len(partial) == 3
    resumed = sendtrail(settings, *demo)
    assert resumed.returncode == 0, one_line(resumed)
    assert "Demo cohort: 6 fictional children" in one_line(resumed)
    whole = Settings(data_dir=tmp_path / "uninterrupted")
    assert sendtrail(whole, *demo).returncode == 0
    assert cohort(settings) == cohort(whole)
    assert sendtrail(settings, *demo).returncode == 0  # and a third run writes nothing more
    assert cohort(settings) == cohort(whole)
    audited = sendtrail(settings, "audit")
    assert audited.returncode == 0, one_line(audited)
