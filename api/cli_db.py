"""`sendtrail db init` and `sendtrail db grant ROLE`: the PostgreSQL tables made by their
owner, and an application role that can add to the record but never change it."""

from __future__ import annotations

from typing import Annotated, Any, cast

import psycopg
import typer
from rich.console import Console

from api.bootstrap import open_records
from api.db_roles import grant_statements
from api.exit_codes import EXIT_REFUSED
from api.invitations import InvitationStore
from api.session_store import WebSessions
from api.settings import Settings
from api.signin_limits import SignInLimits
from api.users import UserStore
from ledger.documents import DocumentStore
from ledger.keystore_pg import PostgresKeys
from ledger.log import LedgerBackend
from projections.cohort import CohortProjection

db_app = typer.Typer(
    help="PostgreSQL: make the tables (as their owner) and grant an application role.",
    no_args_is_help=True,
)
console = Console()


def _postgres(settings: Settings) -> str:
    if settings.database_url is None:
        console.print(
            "[red]Refused:[/red] SENDTRAIL_DATABASE_URL is not set: `db` commands are for "
            "PostgreSQL (the embedded SQLite store needs no roles)"
        )
        raise typer.Exit(EXIT_REFUSED)
    return settings.database_url


@db_app.command("init")
def db_init() -> None:
    """Make every table of the store (run as the tables' owner; safe to re-run)."""
    settings = Settings()
    _postgres(settings)
    records = open_records(settings)
    try:
        backend = cast(LedgerBackend, records.recorder)
        users = UserStore(backend)
        WebSessions(backend, users)
        InvitationStore(backend, users)
        SignInLimits(backend)
        CohortProjection(records, backend)
        DocumentStore(backend)
        schema = backend.tables.schema
    finally:
        records.close()
    console.print(f"Tables ready in schema {schema}.")


@db_app.command("grant")
def db_grant(
    role: Annotated[str, typer.Argument(help="The application role (it must exist).")],
    show: Annotated[
        bool, typer.Option("--print", help="Print the SQL instead of running it.")
    ] = False,
) -> None:
    """Make the record append-only and give ROLE what the service needs (run as the owner,
    after `db init`)."""
    settings = Settings()
    url = _postgres(settings)
    records = open_records(settings)
    try:
        backend = cast(LedgerBackend, records.recorder)
        schema = backend.tables.schema or "public"
        snapshots: Any = records.snapshots
        events = str(cast(Any, records.recorder).events_table_name)
        snapshot_table = str(snapshots.recorder.events_table_name)
    finally:
        records.close()
    try:
        where = settings.key_store_location
        statements = grant_statements(
            schema,
            role,
            events=events,
            snapshots=snapshot_table,
            keys=where.schema if isinstance(where, PostgresKeys) else None,
        )
    except ValueError as error:
        console.print(f"[red]Refused:[/red] {error}")
        raise typer.Exit(EXIT_REFUSED) from None
    if show:
        typer.echo(";\n".join(statements) + ";")
        return
    try:
        with psycopg.connect(url.partition("?")[0]) as conn, conn.transaction():
            for statement in statements:
                conn.execute(statement.encode())
    except psycopg.errors.UndefinedObject:
        console.print(f"[red]Refused:[/red] role: no role of that name exists ({role})")
        raise typer.Exit(EXIT_REFUSED) from None
    except psycopg.errors.UndefinedTable:
        console.print("[red]Refused:[/red] tables missing: run `sendtrail db init` first")
        raise typer.Exit(EXIT_REFUSED) from None
    console.print(f"Granted {role} the service's rights; the record's tables are append-only.")
