"""`sendtrail trust add|list|remove`: the anchors `verify` trusts, kept outside any bundle."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.exit_codes import EXIT_NOT_FOUND, EXIT_REFUSED
from api.settings import Settings
from exporters.dsse import key_id
from exporters.trust import Anchor, TrustStore, TrustStoreError
from ledger.keys import KeyFileError, load_public

trust_app = typer.Typer(
    help="Whose keys `verify` trusts: a setting's exporter and log keys, by name.",
    no_args_is_help=True,
)
console = Console()


def _fingerprint(path: Path | None, given: str | None, what: str) -> str:
    if (path is None) == (given is None):
        console.print(f"[red]Refused:[/red] give the {what} key as a file or a fingerprint, once")
        raise typer.Exit(EXIT_REFUSED)
    if path is not None:
        try:
            return key_id(load_public(path))
        except KeyFileError as error:
            console.print(f"[red]Refused:[/red] {error}")
            raise typer.Exit(EXIT_REFUSED) from None
    return str(given)


@trust_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="What to call this setting, e.g. 'Oak Nursery'.")],
    key: Annotated[Path | None, typer.Option(help="Its exporter public key (PEM).")] = None,
    log_key: Annotated[Path | None, typer.Option(help="Its log public key (PEM).")] = None,
    signer: Annotated[
        str | None, typer.Option(help="Or the exporter key's fingerprint (64 hex digits).")
    ] = None,
    log: Annotated[str | None, typer.Option(help="Or the log key's fingerprint.")] = None,
    origin: Annotated[
        str | None,
        typer.Option(help="The log's origin as the setting published it (checked if given)."),
    ] = None,
    witness: Annotated[
        list[str] | None,
        typer.Option(
            help="A witness whose cosignature its bundles must carry: 'NAME PUBLIC-KEY-BASE64' "
            "(repeat)."
        ),
    ] = None,
    witnesses_required: Annotated[
        int | None,
        typer.Option(help="How many of the --witness cosignatures must check out (default all)."),
    ] = None,
) -> None:
    """Trust a setting's keys, checked against what it published (not from a bundle)."""
    store = TrustStore(Settings().trust_store_path)
    try:
        anchor = store.add(
            name,
            _fingerprint(key, signer, "exporter"),
            _fingerprint(log_key, log, "log"),
            origin,
            witness or [],
            witnesses_required,
        )
    except TrustStoreError as error:
        console.print(f"[red]Refused:[/red] {error}")
        raise typer.Exit(EXIT_REFUSED) from None
    pinned = f", log origin {anchor.origin}" if anchor.origin else ""
    pinned += _policy(anchor)
    console.print(
        f"Trusted {anchor.name}: exporter key {anchor.signer}, log key {anchor.log}{pinned}"
    )


def _policy(anchor: Anchor) -> str:
    if not anchor.witnesses:
        return ""
    names = ", ".join(text.split()[0] for text in anchor.witnesses)
    return f", witnessed by {anchor.witnesses_required} of {names}"


@trust_app.command("list")
def list_anchors() -> None:
    """The trusted settings and their fingerprints."""
    try:
        anchors = TrustStore(Settings().trust_store_path).anchors()
    except TrustStoreError as error:
        console.print(f"[red]Refused:[/red] {error}")
        raise typer.Exit(EXIT_REFUSED) from None
    for anchor in anchors:
        origin = f"\torigin {anchor.origin}" if anchor.origin else ""
        policy = f"\t{_policy(anchor)[2:]}" if anchor.witnesses else ""
        typer.echo(f"{anchor.name}\texporter {anchor.signer}\tlog {anchor.log}{origin}{policy}")
    if not anchors:
        typer.echo("No trusted keys yet: `sendtrail trust add NAME --key ... --log-key ...`")


@trust_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="The name given at `trust add`.")]) -> None:
    """Stop trusting a setting's keys."""
    if not TrustStore(Settings().trust_store_path).remove(name):
        console.print(f"[red]Not found:[/red] no trusted keys named {name!r}")
        raise typer.Exit(EXIT_NOT_FOUND)
    console.print(f"No longer trusted: {name}")
