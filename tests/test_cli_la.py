"""The LA commands as a user runs them: profiles, readiness, request, export --la."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.support.la import MINIMAL

WIDE = {"COLUMNS": "200"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-la")


@pytest.fixture
def runner(home: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SENDTRAIL_DATA", str(home / "data"))
    monkeypatch.delenv("SENDTRAIL_DATABASE_URL", raising=False)
    monkeypatch.chdir(home)
    return CliRunner()


@pytest.fixture(scope="module")
def child(home: Path) -> str:
    """The demo's fifth child, whose story reaches an EHC request."""
    runner = CliRunner()
    env = {"SENDTRAIL_DATA": str(home / "data")}
    made = runner.invoke(app, ["demo", "--children", "5", "--seed", "3"], env={**env, **WIDE})
    assert made.exit_code == 0, made.output
    keys = runner.invoke(app, ["keys", "init"], env=env)
    assert keys.exit_code == 0, keys.output
    return made.output.split("sendtrail show ")[-1].split()[0]


def test_profiles_list_check_and_schema(runner: CliRunner) -> None:
    listed = runner.invoke(app, ["profiles", "list"], env=WIDE)
    checked = runner.invoke(app, ["profiles", "check"])
    schema = runner.invoke(app, ["profiles", "schema"])

    assert listed.exit_code == 0, listed.output
    for profile_id in ("generic-cop", "example-shire-apdr", "example-borough-notional"):
        assert profile_id in listed.output
    assert checked.exit_code == 0
    assert "5 profile(s) valid." in checked.output
    assert json.loads(schema.output)["$id"] == "sendtrail/la-profile/v1"


def test_a_broken_profile_is_refused_with_exit_2_naming_file_and_field(
    runner: CliRunner, tmp_path: Path
) -> None:
    broken = tmp_path / "ours.toml"
    broken.write_text(MINIMAL.format(id="ours").replace('kind = "parent_view"', "kind = 3"))

    result = runner.invoke(app, ["profiles", "check", str(broken)], env=WIDE)

    assert result.exit_code == 2
    assert "ours.toml" in result.output
    assert "expectations[0]" in result.output


def test_readiness_prints_each_expectation_and_the_law(runner: CliRunner, child: str) -> None:
    table = runner.invoke(app, ["readiness", child, "--la", "example-shire-apdr"], env=WIDE)
    as_json = runner.invoke(app, ["readiness", child, "--la", "generic-cop", "--json"])
    unknown = runner.invoke(app, ["readiness", child, "--la", "nowhere-council"])

    assert table.exit_code == 0, table.output
    assert "educational psychologist" in table.output
    assert "Not required by law" in table.output
    result = json.loads(as_json.output)
    assert result["profile"]["id"] == "generic-cop"
    assert {x["status"] for x in result["expectations"]} <= {"met", "missing", "stale"}
    assert unknown.exit_code == 3
    assert "no LA profile named" in unknown.output


def test_readiness_without_la_is_the_overviews_profile(runner: CliRunner, child: str) -> None:
    """The CLI reads the one engine too: without --la, the profile the overview judges by."""
    plain = runner.invoke(app, ["readiness", child, "--json"])
    generic = runner.invoke(app, ["readiness", child, "--la", "generic", "--json"])

    assert plain.exit_code == 0, plain.output
    assert json.loads(plain.output) == json.loads(generic.output)
    assert json.loads(plain.output)["profile"]["id"] == "generic"


def test_request_writes_html_pdf_or_json_and_refuses_other_names(
    runner: CliRunner, child: str, home: Path
) -> None:
    html = runner.invoke(
        app, ["request", child, "--la", "example-city-nospend", "-o", "city.html"], env=WIDE
    )
    pdf = runner.invoke(
        app, ["request", child, "--la", "generic-cop", "-o", "cop.pdf", "--pages", "5"], env=WIDE
    )
    wrong = runner.invoke(app, ["request", child, "--la", "generic-cop", "-o", "cop.docx"])

    assert html.exit_code == 0, html.output
    assert "Tracking log" in (home / "city.html").read_text()
    assert pdf.exit_code == 0, pdf.output
    assert (home / "cop.pdf").read_bytes().startswith(b"%PDF")
    assert wrong.exit_code == 2
    assert not (home / "cop.docx").exists()


def test_export_with_la_carries_the_request_and_verifies(
    runner: CliRunner, child: str, home: Path
) -> None:
    exported = runner.invoke(
        app, ["export", child, "-o", "b.zip", "--la", "example-shire-apdr", "--no-pdf"], env=WIDE
    )
    verified = runner.invoke(app, ["verify", str(home / "b.zip")])

    assert exported.exit_code == 0, exported.output
    assert "pre-filled request" in exported.output
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith("VERIFIED")
    assert "LA REQUEST: pre-filled for profile example-shire-apdr" in verified.output
