"""`sendtrail serve` and `sendtrail users add|invite|revoke`."""

from __future__ import annotations

import logging
from typing import Annotated, cast
from uuid import UUID

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from api.app import create_app
from api.bootstrap import open_records, open_services, set_record_clock
from api.demo import SETTING_NAMES as DEMO_SETTING_NAMES
from api.demo import build_demo_cohort, resumable
from api.exit_codes import EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_STORAGE
from api.invitations import InvitationStore
from api.permissions import PERMISSIONS, ROLES
from api.settings import Settings
from api.users import STAFF_ROLES, UserError, UserStore, check_parent_binding
from domain import commands as cmd
from domain.application import ChildRecords
from domain.envelope import EnvelopeDraft, RecordedBy
from ledger.keys import EXPORTER_KEY, LOG_KEY, create_key_pair, key_paths, load_public
from ledger.log import LedgerBackend

users_app = typer.Typer(help="API users and their bearer tokens.", no_args_is_help=True)
console = Console()
UVICORN_STARTUP_FAILED = 3


def ensure_keys(settings: Settings) -> None:
    """Create the log and exporter keys on first start (never overwriting)."""
    for name in (LOG_KEY, EXPORTER_KEY):
        if not key_paths(settings.keys_dir, name).private.exists():
            create_key_pair(settings.keys_dir, name)
            console.print(f"created the {name} key in {settings.keys_dir}")


@users_app.command("add")
def add_user(
    name: Annotated[str, typer.Argument(help="The person's name (kept only in the user table).")],
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}.")],
    setting: Annotated[str, typer.Option(help="The setting the user belongs to.")],
    child: Annotated[str | None, typer.Option(help="For a parent: their child's id.")] = None,
    person: Annotated[
        str | None,
        typer.Option(help="For a parent: the linked person they are (they write as them)."),
    ] = None,
    org: Annotated[
        str | None,
        typer.Option(help="For an inspector or LA caseworker: the body shares are made with."),
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=3650, help="Days until the token expires.")] = 365,
) -> None:
    """Add a user and print their token once (it is stored only as a hash)."""
    records = open_records(Settings())
    try:
        if role == "parent":
            check_parent_binding(records, setting, child, person)
        user, token = UserStore(cast(LedgerBackend, records.recorder)).add(
            name,
            role=role,
            setting_id=setting,
            child_id=child,
            person_id=person,
            organisation=org,
            days=days,
        )
    except UserError as error:
        console.print(f"[red]Refused:[/red] {error}")
        raise typer.Exit(EXIT_REFUSED) from None
    finally:
        records.close()
    console.print(
        f"user {user.user_id} ({user.role}, {user.setting_id}) until {user.expires_at[:10]}"
    )
    typer.echo(token)


@users_app.command("invite")
def invite_user(
    name: Annotated[str, typer.Argument(help="The person's name (kept only in the user table).")],
    role: Annotated[str, typer.Option(help="admin, senco or practitioner.")],
    setting: Annotated[str, typer.Option(help="The setting the user belongs to.")],
    base_url: Annotated[
        str, typer.Option(help="The address the pages are served at, e.g. https://sen.example.org")
    ] = "",
) -> None:
    """Make a one-time invitation link (7 days) with which a person chooses their user name
    and password: how the first admin gets a password. Parents are invited in the browser."""
    records = open_records(Settings())
    try:
        backend = cast(LedgerBackend, records.recorder)
        if role not in STAFF_ROLES:
            raise UserError(f"role must be one of {', '.join(STAFF_ROLES)}")
        if not name.strip() or not setting.strip():
            raise UserError("name and setting must not be empty")
        _, token = InvitationStore(backend, UserStore(backend)).create(
            name, role=role, setting_id=setting, invited_by="cli"
        )
    except UserError as error:
        console.print(f"[red]Refused:[/red] {error}")
        raise typer.Exit(EXIT_REFUSED) from None
    finally:
        records.close()
    console.print("Pass this link on; it works once, for 7 days:", highlight=False)
    typer.echo(f"{base_url.rstrip('/')}/invitation/{token}")


@users_app.command("permissions")
def permissions() -> None:
    """Print the permission table (role x action) that the API, the pages and the CLI use."""
    table = Table(title="Who may do what")
    table.add_column("action")
    for role in ROLES:
        table.add_column(role)
    for action, roles in PERMISSIONS.items():
        table.add_row(action, *("yes" if role in roles else "-" for role in ROLES))
    console.print(table)


@users_app.command("revoke")
def revoke_user(user_id: Annotated[str, typer.Argument(help="The user id (u-…).")]) -> None:
    """Revoke a user's token at once."""
    records = open_records(Settings())
    try:
        found = UserStore(cast(LedgerBackend, records.recorder)).revoke(user_id)
    finally:
        records.close()
    if not found:
        console.print("[red]No such user.[/red]")
        raise typer.Exit(EXIT_NOT_FOUND)
    console.print(f"revoked {user_id}")


DEMO_LA = "demo-la"


def share_for_demo(records: ChildRecords, child_id: UUID, body: str) -> None:
    """Share the demo's first child with the demo inspector's body (once), under a
    consent to share with the LA from its first linked person."""
    child = records.get_child(child_id)
    if child.is_shared_with(body) or not child.people:
        return
    draft = EnvelopeDraft(records.clock(), RecordedBy("demo", "senco", child.setting_id))
    consent = f"c-{body}-{child.version}"
    version = records.handle(
        child_id,
        cmd.GiveConsent(
            consent_id=consent,
            purpose="share_with_la",
            service="",
            given_by=next(iter(child.people)),
        ),
        draft,
        expected_version=child.version,
    )
    records.handle(
        child_id,
        cmd.Share(share_id=f"s-{body}-{version}", shared_with=body, consent_id=consent),
        draft,
        expected_version=version,
    )


def _demo(settings: Settings, children: int, base: str) -> None:
    records = open_records(settings)
    try:
        if resumable(records, seed=7):  # empty, or a demo cohort an interruption left half-written
            build_demo_cohort(
                records,
                children=children,
                seed=7,
                record_clock=lambda clock: set_record_clock(records, clock),
            )
        store = UserStore(cast(LedgerBackend, records.recorder))
        first = next(iter(records.child_ids()))
        setting = records.get_child(first).setting_id
        share_for_demo(records, first, DEMO_LA)
        console.print(f"Demo users (fictional), setting {setting}; tokens valid for 30 days:")
        for role in ("admin", "senco", "practitioner", "inspector", "parent"):
            _, token = store.add(
                f"Demo {role}",
                role=role,
                setting_id=setting,
                child_id=str(first) if role == "parent" else None,
                person_id=next(iter(records.get_child(first).people), None)
                if role == "parent"
                else None,
                organisation=DEMO_LA if role == "inspector" else None,
                days=30,
            )
            typer.echo(f"  {role:<13} {token}")  # one line each, so a token copies whole
        typer.echo(f"Sign in to the web pages at {base}/ with one of these tokens.")
        typer.echo(f"Try: curl -H 'Authorization: Bearer <senco token>' {base}/v1/children")
    finally:
        records.close()


def serving_settings(*, demo: bool) -> Settings:
    """The settings `serve` runs with: with --demo, the demo's settings are called by their
    (fictional) names unless SENDTRAIL_SETTING_NAMES names settings itself."""
    settings = Settings()
    if demo and not settings.setting_names:
        settings = settings.model_copy(update={"setting_names": DEMO_SETTING_NAMES})
    return settings


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    demo: Annotated[bool, typer.Option(help="Load the demo cohort and print demo tokens.")] = False,
    children: Annotated[int, typer.Option(help="Demo cohort size.")] = 25,
) -> None:
    """Run the web pages (sign in at /) and the HTTP API (OpenAPI at /docs)."""
    settings = serving_settings(demo=demo)
    ensure_keys(settings)
    # Open the store and its key store once before serving, so that a refusal is told in
    # one line with its own exit code (2, 4, 5) rather than as uvicorn's startup failure;
    # a server whose log key did not sign the log's checkpoints never starts signing.
    svc = open_services(settings)
    try:
        svc.ledger.check_signer(
            load_public(key_paths(settings.keys_dir, LOG_KEY).public), settings.log_origin
        )
    finally:
        svc.records.close()
    base = f"http://{host}:{port}"
    if demo:
        _demo(settings, children, base)
    console.print(
        f"sendtrail on {base}/ (sign in) and {base}/docs (API)  (data: {settings.data_dir})"
    )
    _log_background_work()
    try:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
    except SystemExit as stopped:
        if stopped.code == UVICORN_STARTUP_FAILED:  # the store went away since the check
            console.print("[red]Cannot start: the store could not be opened (see above).[/red]")
            raise typer.Exit(EXIT_STORAGE) from None
        raise


def _log_background_work() -> None:
    """What the background work did (checkpoints, housekeeping: counts, never whose) goes
    to standard error from INFO up, beside uvicorn's own lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
    for name in ("sendtrail.checkpoints", "sendtrail.housekeeping"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False
