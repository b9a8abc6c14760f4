"""`sendtrail keys init`, `sendtrail checkpoint`, `sendtrail audit`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from api.bootstrap import open_ledger, open_records
from api.settings import Settings
from ledger.audit import AuditError, audit
from ledger.keys import (
    EXPORTER_KEY,
    LOG_KEY,
    KeyFileError,
    create_key_pair,
    key_paths,
    load_private,
    load_public,
)

EXIT_FAILED = 1
EXIT_REFUSED = 2

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
        typer.Option(help="Append a consistency proof from this earlier size (e.g. a bundle's)."),
    ] = None,
) -> None:
    """Sign, store and print a checkpoint of the log (C2SP signed note)."""
    settings = Settings()
    try:
        key = load_private(key_paths(settings.keys_dir, LOG_KEY).private)
    except KeyFileError as error:
        console.print(f"[red]{error}[/red] (run `sendtrail keys init` first)")
        raise typer.Exit(EXIT_REFUSED) from None
    records = open_records(settings)
    try:
        ledger = open_ledger(records, settings)
        note = ledger.create_checkpoint(key, settings.log_origin)
        if proof_from is not None:
            size = int(note.split("\n")[1])
            if not 0 < proof_from <= size:
                console.print(f"[red]Refused:[/red] --proof-from must be between 1 and {size}")
                raise typer.Exit(EXIT_REFUSED)
            proof = ledger.consistency_proof(proof_from, size)
            note += f"consistency-proof {proof_from}\n" + "".join(f"{h.hex()}\n" for h in proof)
    finally:
        records.close()
    typer.echo(note, nl=False)


def audit_command(
    since_checkpoint: Annotated[
        Path | None, typer.Option(help="A checkpoint note kept elsewhere, to check against.")
    ] = None,
) -> None:
    """Re-derive every leaf, chain and root; exit 1 naming the first bad leaf."""
    settings = Settings()
    try:
        log_key = load_public(key_paths(settings.keys_dir, LOG_KEY).public)
        extra = [since_checkpoint.read_text()] if since_checkpoint else []
    except (KeyFileError, OSError) as error:
        console.print(f"[red]AUDIT FAILED[/red] cannot read key or checkpoint: {error}")
        raise typer.Exit(EXIT_FAILED) from None
    records = open_records(settings)
    ledger = open_ledger(records, settings)
    try:
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("Auditing", total=ledger.size())
            report = audit(
                ledger,
                log_key=log_key,
                key_name=settings.log_origin,
                extra_checkpoints=extra,
                progress=lambda n: bar.advance(task, n),
            )
    except AuditError as error:
        console.print(f"[red]AUDIT FAILED[/red] {error.where}: {error.reason}")
        raise typer.Exit(EXIT_FAILED) from None
    finally:
        records.close()
    signed = (
        f"latest signed checkpoint at {report.latest_checkpoint_size} leaves"
        if report.latest_checkpoint_size is not None
        else "no signed checkpoint yet"
    )
    console.print(
        f"AUDIT OK: {report.leaves} leaves, {report.children} children, "
        f"{report.checkpoints} checkpoints verified, {signed}; "
        f"root {report.root.hex()}"
    )
