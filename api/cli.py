"""The `sendtrail` command line. Its exit codes and the one table from an error's type
to its code are in api/exit_codes.py; `main` applies the table to whatever a command
leaves unhandled, and `api.cli_faults` tells 4 and 5 for every command.
"""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from api import (
    cli_audit,
    cli_backup,
    cli_bundle,
    cli_db,
    cli_documents,
    cli_export_setting,
    cli_faults,
    cli_import,
    cli_la,
    cli_ledger,
    cli_privacy,
    cli_projections,
    cli_retention,
    cli_serve,
    cli_trust,
    cli_witness,
)
from api.bootstrap import open_records, set_record_clock
from api.crash_points import crash_at
from api.demo import build_demo_cohort
from api.exit_codes import EXIT_KEYS, EXIT_NOT_FOUND, EXIT_REFUSED, exit_code
from api.settings import Settings
from domain.errors import ChildErased, ChildNotFound, DomainError
from projections.timeline import ENVELOPE_FIELDS

app = typer.Typer(
    help="sendtrail: a tamper-evident record of a child's SEN history.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
cli_ledger.keys_app.command("rotate-kek")(cli_privacy.rotate_kek)
cli_ledger.keys_app.command("status")(cli_privacy.keys_status)
app.add_typer(cli_ledger.keys_app, name="keys")
app.command("erase")(cli_privacy.erase)
app.add_typer(cli_retention.retention_app, name="retention")
app.command("checkpoint")(cli_ledger.checkpoint)
app.command("audit")(cli_audit.audit_command)
app.command("backup")(cli_backup.backup)
app.command("restore")(cli_backup.restore_command)
app.command("export")(cli_bundle.export)
app.command("sar")(cli_bundle.sar)
app.command("verify")(cli_bundle.verify)
app.command("serve")(cli_serve.serve)
app.add_typer(cli_projections.projections_app, name="projections")
app.command("dashboard")(cli_projections.dashboard)
app.add_typer(cli_serve.users_app, name="users")
app.command("readiness")(cli_la.readiness)
app.command("request")(cli_la.request)
app.add_typer(cli_la.profiles_app, name="profiles")
app.add_typer(cli_db.db_app, name="db")
app.add_typer(cli_trust.trust_app, name="trust")
app.add_typer(cli_witness.witness_app, name="witness")
app.add_typer(cli_documents.documents_app, name="documents")
app.command("import")(cli_import.import_command)
app.command("import-schema")(cli_import.import_schema)
app.command("export-setting")(cli_export_setting.export_setting_command)
console = Console()


def _settings() -> Settings:
    return Settings()


def resolve_child(ids: list[UUID], given: str) -> UUID:
    """A full id, or a unique prefix of one (as `git` does for commits)."""
    matches = [i for i in ids if str(i).startswith(given.lower())]
    if len(matches) != 1:
        raise ChildNotFound("no single child matches that id", field="child")
    return matches[0]


@app.command()
def demo(
    children: Annotated[int, typer.Option(min=1, max=5000, help="How many children.")] = 25,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same histories.")] = 7,
) -> None:
    """Write a clearly fictional demo cohort into the configured store (an interrupted run
    is resumed by running it again with the same arguments)."""
    settings = _settings()
    records = open_records(settings)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Writing demo cohort", total=children)
        ids = build_demo_cohort(
            records,
            children=children,
            seed=seed,
            progress=lambda n: progress.advance(task, n),
            record_clock=lambda clock: set_record_clock(records, clock),
            step=crash_at(settings.test_crash_at),
        )
    table = Table(title=f"Demo cohort: {len(ids)} fictional children")
    for column in ("child id", "setting", "events", "SEN status", "EHC stage"):
        table.add_column(column)
    total = 0
    for child_id in ids:
        child = records.get_child(child_id)
        total += child.version
        table.add_row(
            str(child_id), child.setting_id, str(child.version), child.sen_status, child.ehc_stage
        )
    console.print(table)
    where = (settings.database_url and "PostgreSQL") or str(settings.sqlite_path)
    console.print(f"{total} events stored in {where}. Try: sendtrail show {str(ids[-1])[:8]}")
    records.close()


def _summary(state: dict[str, Any]) -> str:
    skip = ENVELOPE_FIELDS
    parts = []
    for key, value in state.items():
        if key in skip or value in ("", [], None):
            continue
        shown = str(value)
        parts.append(f"{key}={shown if len(shown) <= 60 else shown[:57] + '...'}")
    return "; ".join(parts)


@app.command()
def show(child: Annotated[str, typer.Argument(help="Child id (or a unique prefix).")]) -> None:
    """Print a child's events in order: the raw history, nothing derived."""
    records = open_records(_settings())
    try:
        child_id = resolve_child(list(records.child_ids(include_erased=True)), child)
        history = records.history(child_id)
    except ChildErased:
        console.print("[red]That child's record was erased: it can no longer be read.[/red]")
        raise typer.Exit(EXIT_NOT_FOUND) from None
    except ChildNotFound:
        console.print("[red]No child matches that id.[/red]")
        raise typer.Exit(EXIT_NOT_FOUND) from None
    table = Table(title=f"Child {child_id}: {len(history)} events")
    for column in ("v", "occurred", "event", "by", "basis", "details"):
        table.add_column(column, overflow="fold")
    for event in history:
        occurred = event.occurred_at.astimezone(UTC)
        when = occurred.strftime(
            {"day": "%Y-%m-%d", "month": "%Y-%m"}.get(event.precision, "%Y-%m-%d %H:%M")
        )
        table.add_row(
            str(event.originator_version),
            when,
            type(event).__name__,
            event.recorded_by.role,
            event.basis,
            _summary(vars(event)),
        )
    console.print(table)
    records.close()


cli_faults.install(app)  # storage and key faults: one line and exit 4 or 5, every command


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except Exception as error:  # every known error: one line, and its code from the table
        code = exit_code(error)
        if code is None:
            raise
        said = error.message if isinstance(error, DomainError) else str(error)
        what = "Key store" if code == EXIT_KEYS else "Refused" if code == EXIT_REFUSED else "Error"
        console.print(f"[red]{what}:[/red] {escape(said)}")
        raise SystemExit(code) from None


if __name__ == "__main__":
    main()
