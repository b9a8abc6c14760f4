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
from api.importing.mapping import MappingError, json_schema, load_mapping
from api.importing.run import Importer, run_import, summary_lines
from api.settings import Settings

console = Console()


def import_command(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX or JSON Lines file.")],
    mapping: Annotated[
        str,
        typer.Option("--map", help="Mapping id (pupil-list, chronology, provision-map) or file."),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row; store nothing.")
    ] = False,
    user: Annotated[str, typer.Option(help="Who imports (a user id, not a name).")] = "import",
) -> None:
    """Import a pupil list, chronology or provision map. Nothing is stored if any row is
    refused (exit 2); re-running skips rows already imported."""
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


def import_schema() -> None:
    """Print the JSON Schema of import mappings."""
    typer.echo(json.dumps(json_schema(), indent=2))
