"""`sendtrail import` through the CLI: exit codes, the report, JSON Lines, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.importing.mapping import BUILTIN_DIR

EXAMPLES = BUILTIN_DIR.parent / "examples"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SENDTRAIL_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("SENDTRAIL_DATABASE_URL", raising=False)
    return CliRunner()


def _run(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["import", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_jsonl_dry_run_then_import_then_rerun(runner: CliRunner, tmp_path: Path) -> None:
    header, *rows = (EXAMPLES / "pupil-list.csv").read_text().splitlines()
    file = tmp_path / "pupils.jsonl"
    file.write_text(
        "\n".join(json.dumps(dict(zip(header.split(","), r.split(","), strict=True))) for r in rows)
    )
    code, out = _run(runner, str(file), "--map", "pupil-list", "--dry-run")
    assert code == 0
    assert "would create 2 children" in out
    code, out = _run(runner, str(file), "--map", "pupil-list")
    assert code == 0
    assert "created 2 children" in out
    code, out = _run(runner, str(file), "--map", "pupil-list")
    assert code == 0
    assert "2 skipped" in out
    assert "created 0 children" in out


def test_refused_rows_exit_2_name_row_and_rule_not_content(
    runner: CliRunner, tmp_path: Path
) -> None:
    file = tmp_path / "pupils.csv"
    file.write_text((EXAMPLES / "pupil-list.csv").read_text() + "P9,,Zed,Secret,31/02/2021,R,N,,\n")
    code, out = _run(runner, str(file), "--map", "pupil-list")
    assert code == 2
    assert "row 4" in out
    assert "DOB" in out
    assert "Nothing was stored" in out
    assert "Secret" not in out
    code, out = _run(runner, str(EXAMPLES / "pupil-list.csv"), "--map", "pupil-list", "--dry-run")
    assert "would create 2 children" in out  # the refused run stored nothing


def test_wrong_encoding_and_broken_mapping(runner: CliRunner, tmp_path: Path) -> None:
    file = tmp_path / "latin1.csv"
    file.write_bytes("Pupil ID,Forename\nP1,Zoë\n".encode("latin-1"))
    code, out = _run(runner, str(file), "--map", "pupil-list")
    assert code == 2
    assert "UTF-8" in out
    mapping = tmp_path / "m.toml"
    mapping.write_text('schema = "sendtrail/import-mapping/v1"\nid = "m"\n')
    code, out = _run(runner, str(file), "--map", str(mapping))
    assert code == 2
    assert "m.toml" in out
    code, _ = _run(runner, str(tmp_path / "missing.csv"), "--map", "pupil-list")
    assert code == 3


def test_schema_is_published(runner: CliRunner) -> None:
    result = runner.invoke(app, ["import-schema"])
    assert result.exit_code == 0
    assert json.loads(result.output)["$id"] == "sendtrail/import-mapping/v1"
