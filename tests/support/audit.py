"""Running `sendtrail audit` on a data directory."""

from __future__ import annotations

from datetime import date

from typer.testing import CliRunner

from api.cli import app as cli
from api.settings import Settings
from domain import commands as cmd
from domain.application import ChildRecords
from tests.factories import PRACTITIONER, register, with_parent


def run_audit(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["audit", *args], env={**_env(settings), "COLUMNS": "300"})
    return result.exit_code, " ".join(result.output.split())


def _env(settings: Settings) -> dict[str, str]:
    env = {"SENDTRAIL_DATA": str(settings.data_dir)}
    if settings.database_url:
        env["SENDTRAIL_DATABASE_URL"] = settings.database_url
    return env


def three_children(records: ChildRecords) -> list[str]:
    ids = []
    for n in range(3):
        child = with_parent(register(records))
        for day in range(1, 4):
            child.do(
                cmd.RecordObservation,
                date(2025, 2, day),
                PRACTITIONER,
                area="physical",
                notes=f"child {n} day {day}",
                observer="KP",
            )
        ids.append(str(child.child_id))
    return ids
