"""`sendtrail export-setting DIR` and `sendtrail import DIR --from-sendtrail` through the
CLI: the report, the exit codes, re-runs that skip, and a log key that is not trusted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.bootstrap import open_records
from api.cli import app
from api.cli_serve import ensure_keys
from api.demo import build_demo_cohort
from api.settings import Settings
from ledger.keys import LOG_KEY, create_key_pair, key_paths


@pytest.fixture
def source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A source installation with two demo children, and an empty target beside it."""
    monkeypatch.delenv("SENDTRAIL_DATABASE_URL", raising=False)
    monkeypatch.delenv("SENDTRAIL_LOG_ORIGIN", raising=False)
    settings = Settings(data_dir=tmp_path / "source", database_url=None)
    ensure_keys(settings)
    records = open_records(settings)
    try:
        build_demo_cohort(records, children=2, seed=9, today=date(2026, 11, 24))
    finally:
        records.close()
    return settings.data_dir


def _run(data: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, list(args), env={"SENDTRAIL_DATA": str(data), "COLUMNS": "200"}
    )
    return result.exit_code, result.output


def test_export_then_import_then_rerun(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    code, text = _run(source, "export-setting", str(out))
    assert code == 0, text
    assert "of 2 children" in text
    assert "personal data in clear" in text
    code, text = _run(source, "export-setting", str(out))
    assert code == 2  # never over an earlier export
    assert "not an empty folder" in text

    target = tmp_path / "target"
    code, text = _run(target, "import", str(out), "--from-sendtrail", "--dry-run")
    assert code == 0, text
    assert "would store" in text
    code, text = _run(target, "import", str(out), "--from-sendtrail")
    assert code == 0, text
    assert "of 2 children" in text
    assert "0 entries skipped" in text
    code, again = _run(target, "import", str(out), "--from-sendtrail")
    assert code == 0, again
    assert "stored 0 entries of 0 children" in again
    stored = int(text.split("stored ", 1)[1].split(" ", 1)[0])
    assert f"{stored} entries skipped (already imported)" in again


def test_untrusted_log_key_and_usage_errors(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    assert _run(source, "export-setting", str(out))[0] == 0
    other = create_key_pair(tmp_path / "other-keys", LOG_KEY).public
    target = tmp_path / "target"
    code, text = _run(target, "import", str(out), "--from-sendtrail", "--log-key", str(other))
    assert code == 2
    assert "not the log key you trust" in text
    assert "Nothing was stored." in text
    own = key_paths(source / "keys", LOG_KEY).public
    code, text = _run(target, "import", str(out), "--from-sendtrail", "--log-key", str(own))
    assert code == 0, text
    code, text = _run(target, "import", str(out))
    assert code == 2
    assert "--map" in text
    code, _ = _run(target, "import", str(tmp_path / "missing"), "--from-sendtrail")
    assert code == 3
