"""`sendtrail retention report` and `sendtrail retention dispose`."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.bootstrap import open_records
from api.cli_privacy import finish_interrupted
from api.crash_points import crash_at
from api.retention_disposal import dispose_each, due_for_disposal
from api.settings import Settings
from projections.retention import retention_report

retention_app = typer.Typer(
    help="The retention schedule (date of birth + N years) and disposal.", no_args_is_help=True
)
console = Console()


@retention_app.command("report")
def report(
    today: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Report as of this day (default: today)."),
    ] = None,
) -> None:
    """List every record with the day it may be disposed of, due ones first."""
    settings = Settings()
    policy = settings.retention
    records = open_records(settings)
    try:
        day = today.date() if today else records.clock().date()
        rows = retention_report(records, policy, today=day)
    finally:
        records.close()
    table = Table(
        title=f"Retention as of {day}: date of birth + {policy.years} years; "
        f"unknown date of birth: {policy.unknown_dob}"
    )
    for column in ("child id", "setting", "keep until", "status"):
        table.add_column(column)
    for row in rows:
        until = row.retain_until.isoformat() if row.retain_until else "-"
        table.add_row(str(row.child_id), row.setting_id, until, row.status.replace("_", " "))
    console.print(table)
    counts = Counter(row.status for row in rows)  # rows are in STATUSES order already
    console.print(
        ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in counts.items()) or "no records"
    )


@retention_app.command("dispose")
def dispose(
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Dispose of every record whose retention period is over (legal holds excepted):
    RetentionDisposed, then its keys are destroyed as in `sendtrail erase`."""
    settings = Settings()
    step = crash_at(settings.test_crash_at)
    records = open_records(settings)
    try:
        finish_interrupted(records, step)
        due = due_for_disposal(records, settings.retention)
        if not due:
            console.print("No record is due for disposal.")
            return
        if not yes:
            typer.confirm(
                f"Dispose of {len(due)} record(s)? Their data keys are destroyed for good",
                abort=True,
            )
        done = dispose_each(records, due, settings.retention, user_id="cli", step=step)
    finally:
        records.close()
    for child_id, message in done.kept:
        console.print(f"[yellow]Kept[/yellow] {child_id}: {message}")
    disposed = len(done.disposed)
    console.print(f"Disposed of {disposed} record(s) (RetentionDisposed, keys destroyed).")
