"""Issue 14, item 2: while three hostile uploads are checked, another user's reads of a
real `sendtrail serve` complete, and each hostile bundle is refused (its inflate budget) or
turned away (503, every check slot taken). Latency figures: bench/verify_stall.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.verify_load import server, under_attack

pytestmark = pytest.mark.slow


def test_reads_complete_while_three_hostile_uploads_run(tmp_path: Path) -> None:
    with server(tmp_path) as (base, headers, child):
        load = under_attack(base, headers, child)
    assert load.read_statuses == [200] * 20
    assert len(load.hostile_statuses) == 9
    assert set(load.hostile_statuses) <= {"200:failed", "503:None"}
    assert "200:failed" in load.hostile_statuses  # the budget, not only the slots, held
