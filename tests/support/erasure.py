"""Finding a child's words anywhere on disk or in a database dump, for erasure tests."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

from api.settings import Settings
from domain import commands as cmd
from domain.application import ChildRecords
from tests.factories import (
    PRACTITIONER,
    ChildBuilder,
    register,
)

MARKER = "quokka-erasure-marker-41c9"


def a_child_with_the_marker(records: ChildRecords) -> ChildBuilder:
    child = register(records)
    child.do(
        cmd.LinkPerson,
        date(2024, 9, 2),
        person_id="parent-1",
        name=f"{MARKER} (mother)",
        relationship="mother",
        parental_responsibility=True,
    )
    for n in range(6):
        child.do(
            cmd.RecordObservation,
            date(2025, 1, 6 + n),
            PRACTITIONER,
            area="communication_language",
            notes=f"{MARKER} observation {n}",
            observer="Key person",
        )
    return child


def files_holding(folder: Path, needles: dict[str, bytes]) -> list[str]:
    """'file: needle' for every needle found in any file under `folder`."""
    found: list[str] = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            content = path.read_bytes()
            found.extend(f"{path.name}: {name}" for name, n in needles.items() if n in content)
    return found


def pg_dump(settings: Settings) -> bytes:
    assert settings.database_url is not None
    dsn, _, query = settings.database_url.partition("?")
    schema = query.split("=", 1)[1]
    return subprocess.run(
        ["pg_dump", "--data-only", f"--schema={schema}", f"--schema={schema}_keys", dsn],
        check=True,
        capture_output=True,
    ).stdout
