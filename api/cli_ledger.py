"""`sendtrail keys init` and `sendtrail checkpoint` (`audit` is in `api.cli_audit`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.bootstrap import open_ledger, open_records
from api.exit_codes import EXIT_REFUSED
from api.settings import Settings
from api.witness_client import WitnessConfigError, parse_witnesses, submit
from exporters.durable_file import write_durably
from exporters.verify import DEFAULT_PROOF_FILE, proof_document
from ledger.keys import (
    EXPORTER_KEY,
    LOG_KEY,
    KeyFileError,
    create_key_pair,
    key_paths,
    load_private,
)

keys_app = typer.Typer(help="Manage the Ed25519 log and exporter keys.", no_args_is_help=True)
console = Console()


@keys_app.command("init")
def keys_init() -> None:
    """Create the log key (signs checkpoints) and the exporter key (signs bundles)."""
    settings = Settings()
    try:
        for name in (LOG_KEY, EXPORTER_KEY):
            paths = create_key_pair(settings.keys_dir, name)
            console.print(f"{name} key: {paths.private} (0600), public half {paths.public}")
    except KeyFileError as error:
        console.print(f"[red]Refused:[/red] {error}")
        raise typer.Exit(EXIT_REFUSED) from None


def checkpoint(
    proof_from: Annotated[
        int | None,
        typer.Option(help="Also write a consistency proof from this earlier size (a bundle's)."),
    ] = None,
    proof_out: Annotated[
        Path,
        typer.Option(help="Where --proof-from writes the proof (JSON: sizes and hashes)."),
    ] = Path(DEFAULT_PROOF_FILE),
) -> None:
    """Sign, store and print a checkpoint of the log (C2SP signed note). The output is the
    signed note alone; with --proof-from, the consistency proof goes to --proof-out (give
    both files to `verify --checkpoint NOTE --consistency-proof FILE`)."""
    settings = Settings()
    try:
        key = load_private(key_paths(settings.keys_dir, LOG_KEY).private)
    except KeyFileError as error:
        console.print(f"[red]{error}[/red] (run `sendtrail keys init` first)")
        raise typer.Exit(EXIT_REFUSED) from None
    try:
        witnesses = parse_witnesses(settings.witnesses)
    except WitnessConfigError as error:
        console.print(f"[red]Refused:[/red] {error}")
        raise typer.Exit(EXIT_REFUSED) from None
    records = open_records(settings)
    try:
        ledger = open_ledger(records, settings)
        note = ledger.create_checkpoint(key, settings.log_origin)
        for outcome in submit(ledger, note, witnesses):
            typer.echo(f"witness {outcome.witness}: {outcome.said}", err=True)
        if proof_from is not None:
            size = int(note.split("\n")[1])
            if not 0 < proof_from <= size:
                console.print(f"[red]Refused:[/red] --proof-from must be between 1 and {size}")
                raise typer.Exit(EXIT_REFUSED)
            proof = ledger.consistency_proof(proof_from, size)
            write_durably(proof_out, proof_document(proof_from, size, proof), mode=0o644)
            typer.echo(f"consistency proof {proof_from} -> {size} written to {proof_out}", err=True)
    finally:
        records.close()
    typer.echo(note, nl=False)
