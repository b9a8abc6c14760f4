"""`sendtrail documents orphans` and `sendtrail documents cleanup`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, cast

import typer
from rich.console import Console

from api.bootstrap import open_ledger, open_records
from api.documents_cleanup import GRACE, cleanup, orphans
from api.exit_codes import EXIT_FAILED
from api.settings import Settings
from ledger.documents import DocumentStore
from ledger.log import LedgerBackend
from projections.views import ChildViews

documents_app = typer.Typer(help="Files attached to records.", no_args_is_help=True)
console = Console()
GRACE_HOURS = GRACE.total_seconds() / 3600
Hours = Annotated[
    float, typer.Option("--older-than", help="Hours since upload (an upload may be in use).")
]


@documents_app.command("orphans")
def list_orphans(older_than: Hours = GRACE_HOURS) -> None:
    """Files uploaded but attached to no entry (ids and digests only)."""
    records = open_records(Settings())
    try:
        store = DocumentStore(cast(LedgerBackend, records.recorder))
        views = ChildViews(records, open_ledger(records, Settings()))
        found = orphans(store, views, now=datetime.now(tz=UTC), grace=timedelta(hours=older_than))
    finally:
        records.close()
    for child, digest in found:
        console.print(f"{child} {digest}")
    console.print(f"{len(found)} file(s) attached to no entry, uploaded over {older_than:g} h ago")


@documents_app.command("cleanup")
def cleanup_orphans(
    older_than: Hours = GRACE_HOURS,
    yes: Annotated[bool, typer.Option("--yes", help="Delete without asking.")] = False,
) -> None:
    """Delete files attached to no entry, uploaded more than --older-than hours ago."""
    if not yes and not typer.confirm("Delete every file attached to no entry?"):
        raise typer.Exit(EXIT_FAILED)
    settings = Settings()
    records = open_records(settings)
    try:
        store = DocumentStore(cast(LedgerBackend, records.recorder))
        views = ChildViews(records, open_ledger(records, settings))
        removed = cleanup(store, views, now=datetime.now(tz=UTC), grace=timedelta(hours=older_than))
    finally:
        records.close()
    console.print(f"Deleted {removed} file(s) attached to no entry.")
