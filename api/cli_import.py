"""`sendtrail import` and `sendtrail import-schema`: bring history in from other systems."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from api.bootstrap import open_records
from api.exit_codes import EXIT_NOT_FOUND, EXIT_REFUSED
from api.importing.from_sendtrail import SendtrailImporter
from api.importing.mapping import MappingError, json_schema, load_mapping
from api.importing.run import Importer, run_import, summary_lines
from api.settings import Settings
from ledger.keys import KeyFileError, load_public

console = Console()


def import_command(
    file: Annotated[
        Path,
        typer.Argument(help="CSV, XLSX or JSON Lines file, or a setting export's folder."),
    ],
    mapping: Annotated[
        str | None,
        typer.Option("--map", help="Mapping id (pupil-list, chronology, provision-map) or file."),
    ] = None,
    from_sendtrail: Annotated[
        bool,
        typer.Option(
            "--from-sendtrail",
            help="FILE is a folder written by `sendtrail export-setting` (no mapping).",
        ),
    ] = False,
    log_key: Annotated[
        Path | None,
        typer.Option(
            "--log-key",
            help="With --from-sendtrail: the source's log public key (PEM) you trust; "
            "without it the export's own key is used (intact, but not who made it).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row; store nothing.")
    ] = False,
    user: Annotated[str, typer.Option(help="Who imports (a user id, not a name).")] = "import",
) -> None:
    """Import a pupil list, chronology or provision map (--map), or another sendtrail's
    setting export (--from-sendtrail). Nothing is stored if anything is refused (exit 2);
    re-running skips what was already imported."""
    if from_sendtrail:
        if mapping is not None:
            console.print("[red]Give --map or --from-sendtrail, not both.[/red]")
            raise typer.Exit(EXIT_REFUSED)
        import_sendtrail(file, log_key=log_key, dry_run=dry_run, user=user)
        return
    if mapping is None:
        console.print("[red]Missing option --map[/red] (or --from-sendtrail for an export).")
        raise typer.Exit(EXIT_REFUSED)
    try:
        loaded = load_mapping(mapping)
    except MappingError as error:
        console.print(f"[red]Broken mapping:[/red] {error}")
        raise typer.Exit(EXIT_REFUSED) from None
    if not file.is_file():
        console.print(f"[red]Not found:[/red] {file.name}")
        raise typer.Exit(EXIT_NOT_FOUND)
    records = open_records(Settings())
    try:
        importer = Importer(records, loaded, file, user=user)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Reading rows", total=None)
            outcome = run_import(
                importer, dry_run=dry_run, progress=lambda n: progress.advance(task, n)
            )
    finally:
        records.close()
    for line in summary_lines(outcome):
        console.print(line, markup=False)
    verb = "would create" if dry_run else "created"
    console.print(
        f"{outcome.rows} rows read, {outcome.skipped} skipped (already imported), "
        f"{len(outcome.refused)} refused; {verb} {outcome.children_created} children and "
        f"{outcome.entries} entries."
    )
    if outcome.refused:
        console.print("Nothing was stored.")
        raise typer.Exit(EXIT_REFUSED)


def import_sendtrail(folder: Path, *, log_key: Path | None, dry_run: bool, user: str) -> None:
    """Take in a setting export: every proof checked first, then child by child."""
    if not folder.is_dir():
        console.print(f"[red]Not found:[/red] {folder.name} (a setting export is a folder)")
        raise typer.Exit(EXIT_NOT_FOUND)
    trusted = None
    if log_key is not None:
        try:
            trusted = load_public(log_key)
        except KeyFileError as error:
            console.print(f"[red]Cannot use --log-key:[/red] {error}")
            raise typer.Exit(EXIT_REFUSED) from None
    records = open_records(Settings())
    try:
        importer = SendtrailImporter(records, folder, user=user, trusted_log_key=trusted)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Checking the export", total=None)

            def stage(name: str, total: int) -> None:
                progress.reset(task, total=total, description=name)

            outcome = importer.run(
                dry_run=dry_run, progress=lambda n: progress.advance(task, n), stage=stage
            )
    finally:
        records.close()
    for where, rule in outcome.refused:
        console.print(f"refused {where}: {rule}", markup=False)
    verb = "stored" if outcome.written else "would store"
    console.print(
        f"{verb} {outcome.events} entries of {outcome.children} children and "
        f"{outcome.documents} files; {outcome.skipped} entries skipped (already imported); "
        f"{len(outcome.refused)} refused. Source log: {outcome.origin or 'unknown'}",
        markup=False,
    )
    if outcome.refused:
        console.print(
            f"{outcome.stored} records were stored whole before the refusal; run it again "
            "once the export is whole (what is stored is skipped)."
            if outcome.stored
            else "Nothing was stored."
        )
        raise typer.Exit(EXIT_REFUSED)


def import_schema() -> None:
    """Print the JSON Schema of import mappings."""
    typer.echo(json.dumps(json_schema(), indent=2))
