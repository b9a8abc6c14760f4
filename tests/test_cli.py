"""The command line, run as a user would: demo then show."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SENDTRAIL_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("SENDTRAIL_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_demo_writes_a_cohort_and_show_prints_one_childs_history(runner: CliRunner) -> None:
    made = runner.invoke(app, ["demo", "--children", "5", "--seed", "3"])
    assert made.exit_code == 0, made.output
    assert "Demo cohort: 5 fictional children" in made.output
    hint = made.output.split("sendtrail show ")[-1].split()[0]

    shown = runner.invoke(app, ["show", hint], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "ChildRegistered" in shown.output
    assert "SupportPlanIssued" in shown.output  # the fifth child reaches an EHC request
    assert "EhcRequestSubmitted" in shown.output


def test_the_same_seed_writes_the_same_histories(runner: CliRunner, tmp_path: Path) -> None:
    first = runner.invoke(app, ["demo", "--children", "5", "--seed", "11"])
    again = runner.invoke(
        app,
        ["demo", "--children", "5", "--seed", "11"],
        env={"SENDTRAIL_DATA": str(tmp_path / "other")},
    )
    counts = [line.split("│")[3].strip() for line in first.output.splitlines() if "demo-" in line]
    counts_again = [
        line.split("│")[3].strip() for line in again.output.splitlines() if "demo-" in line
    ]
    assert counts == counts_again
    assert len(counts) == 5


def test_show_of_an_unknown_child_exits_3(runner: CliRunner) -> None:
    runner.invoke(app, ["demo", "--children", "1"])
    shown = runner.invoke(app, ["show", "ffffffff"])
    assert shown.exit_code == 3
    assert "No child matches" in shown.output
