"""`sendtrail readiness`, `sendtrail request` and `sendtrail profiles`: local authorities'
request profiles, readiness against them, and their pre-filled request forms."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from api import la_requests
from api.bootstrap import open_ledger, open_records
from api.exit_codes import EXIT_NOT_FOUND, EXIT_REFUSED
from api.settings import Settings
from domain.application import ChildRecords
from exporters.durable_file import write_durably
from exporters.la_document import ranges
from projections.la_profile import (
    LoadedProfile,
    ProfileError,
    UnknownProfile,
    json_schema,
    load_profile,
    scan_profiles,
)
from projections.views import ChildViews

FORMATS = (".pdf", ".html", ".json")
STATUS_STYLE = {"met": "green", "missing": "red", "stale": "yellow"}
console = Console()
profiles_app = typer.Typer(help="Local authorities' request profiles.", no_args_is_help=True)

ChildArg = Annotated[str, typer.Argument(help="Child id (or a unique prefix).")]
LaOption = Annotated[str, typer.Option("--la", help="The LA profile's id (see `profiles list`).")]
AsOfOption = Annotated[
    datetime | None, typer.Option(formats=["%Y-%m-%d"], help="World date (default today).")
]
KnownAtOption = Annotated[
    datetime | None, typer.Option(help="Record time, ISO 8601 with zone (default: now).")
]


def la_profile(settings: Settings, profile_id: str) -> LoadedProfile:
    """The named profile, or exit 3 (unknown) or 2 (its file is broken)."""
    try:
        return la_requests.profile(settings, profile_id)
    except UnknownProfile as error:
        console.print(f"[red]Not found:[/red] {error}")
        raise typer.Exit(EXIT_NOT_FOUND) from None
    except ProfileError as error:
        console.print(f"[red]Broken profile:[/red] {error}")
        raise typer.Exit(EXIT_REFUSED) from None


def require_zone(known_at: datetime | None) -> None:
    """Exit 2 unless --known-at, if given, names its time zone."""
    if known_at is not None and known_at.tzinfo is None:
        console.print("[red]Refused:[/red] --known-at needs a time zone, e.g. +00:00")
        raise typer.Exit(EXIT_REFUSED)


@contextmanager
def _child(settings: Settings, child: str) -> Iterator[tuple[ChildRecords, UUID, ChildViews]]:
    """The store, the child named by a full id or a unique prefix, and its views."""
    from api.cli import resolve_child  # the one place ids are resolved

    records = open_records(settings)
    try:
        child_id = resolve_child(list(records.child_ids()), child)
        views = ChildViews(
            records, open_ledger(records, settings), readiness_profile=settings.overview_profile
        )
        yield records, child_id, views
    finally:
        records.close()


def readiness(
    child: ChildArg,
    la: Annotated[
        str | None,
        typer.Option(
            "--la",
            help="The LA profile's id (see `profiles list`); default the overview's profile.",
        ),
    ] = None,
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead.")] = False,
) -> None:
    """Each of the LA's expectations: met, missing or stale, with the entries behind it.
    Hints only: none is a legal precondition, and none blocks an export."""
    require_zone(known_at)
    settings = Settings()
    loaded = la_profile(settings, la) if la else settings.overview_profile()
    with _child(settings, child) as (records, child_id, views):
        result = la_requests.readiness(
            views, child_id, loaded, as_of=as_of.date() if as_of else None, known_at=known_at
        )
        records.note_access(child_id, user="cli", role="senco", setting="cli", view="la-readiness")
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    p = result["profile"]
    if not result["applies"]:
        console.print(
            f"{p['name']}, as of {result['as_of']}: not judged. {result['absent_because']}"
        )
        console.print(result["note"])
        return
    table = Table(
        title=f"{p['name']} ({p['local_authority']}): {result['met']} of {result['total']} met "
        f"as of {result['as_of']}",
        show_lines=True,
    )
    for column in ("expectation", "status", "what the record shows", "entries", "law"):
        table.add_column(column, overflow="fold")
    laws: list[str] = []  # each distinct note once, below the table
    for x in result["expectations"]:
        if x["law"] not in laws:
            laws.append(x["law"])
        style = STATUS_STYLE[x["status"]]
        evidence = ", ".join(f"v{e['version']} {e['on']}" for e in x["evidence"][:6])
        more = len(x["evidence"]) - 6
        table.add_row(
            x["title"],
            f"[{style}]{x['status']}[/{style}]",
            x["detail"],
            evidence + (f" (+{more} more)" if more > 0 else ""),
            f"[{laws.index(x['law']) + 1}]",
        )
    console.print(table)
    for n, law in enumerate(laws, start=1):
        console.print(f"[{n}] {law}", markup=False)
    for note in result["notes"]:
        console.print(f"Note: {note}")
    console.print(result["note"])


def request(
    child: ChildArg,
    la: LaOption,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Where to write it: .pdf, .html or .json.")
    ],
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    pages: Annotated[
        int | None, typer.Option(min=1, max=500, help="Keep the document within N pages.")
    ] = None,
    tribunal: Annotated[
        bool,
        typer.Option(help="SEND Tribunal limits: 75 pages, expert reports at most 3 years old."),
    ] = False,
) -> None:
    """The LA's request form pre-filled from the record, in the LA's section order: every
    statement names its entries, gaps say what is needed."""
    require_zone(known_at)
    suffix = output.suffix.lower()
    if suffix not in FORMATS:
        console.print(f"[red]Refused:[/red] --output must end in {', '.join(FORMATS)}")
        raise typer.Exit(EXIT_REFUSED)
    settings = Settings()
    loaded = la_profile(settings, la)
    with _child(settings, child) as (records, child_id, views):
        with console.status("Filling and laying out the request"):
            document = la_requests.request(
                views,
                child_id,
                loaded,
                as_of=as_of.date() if as_of else None,
                known_at=known_at,
                pages=pages,
                tribunal=tribunal,
                pdf=suffix == ".pdf",
                setting_names=settings.setting_names,
            )
        records.note_access(child_id, user="cli", role="senco", setting="cli", view="la-request")
    body = document.content(suffix.lstrip("."))
    write_durably(output, body)  # whole or not at all
    filled = document.request
    shown = f", {document.pages} pages" if document.pages else ""
    console.print(
        f"Wrote {output} ({len(body):,} bytes{shown}): {loaded.profile.name}, as of "
        f"{filled['as_of']}; {filled['gaps']} gap(s) to fill."
    )
    budget = filled["page_budget"]
    if budget and not budget["met"]:
        console.print(
            f"[yellow]Over budget:[/yellow] even one statement per field takes "
            f"{budget['used']} pages (asked for {budget['pages']})."
        )
    if filled["left_out"]:
        versions = ranges(v for item in filled["left_out"] for v in item["versions"])
        console.print(f"Left out (listed at the end, all in the bundle): {versions}")


@profiles_app.command("list")
def list_profiles() -> None:
    """Every profile found, built-in and the setting's own, and any broken file."""
    settings = Settings()
    scanned = scan_profiles(settings.la_profile_dirs)
    own = settings.la_profile_dirs[-1]
    table = Table(title="LA request profiles")
    for column in ("id", "name", "checks", "from"):
        table.add_column(column, overflow="fold")
    for loaded in scanned.profiles.values():
        p = loaded.profile
        where = "setting's own" if loaded.path.parent == own else "built in"
        table.add_row(p.id, p.name, str(len(p.expectations)), where)
    console.print(table)
    console.print(f"A setting adds its own LA by putting a profile file in {own}")
    for broken in scanned.errors:
        console.print(f"[red]Broken, not used:[/red] {broken}")


@profiles_app.command("check")
def check_profiles(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Profile files (default: every one in use).")
    ] = None,
) -> None:
    """Validate profiles against the schema; exit 2 naming each broken file and field."""
    settings = Settings()
    errors: list[ProfileError] = []
    checked = 0
    if files:
        for path in files:
            checked += 1
            try:
                load_profile(path)
            except ProfileError as error:
                errors.append(error)
    else:
        scanned = scan_profiles(settings.la_profile_dirs)
        checked = len(scanned.profiles) + len(scanned.errors)
        errors = scanned.errors
    for broken in errors:
        console.print(f"[red]Refused:[/red] {broken}")
    if errors:
        raise typer.Exit(EXIT_REFUSED)
    console.print(f"{checked} profile(s) valid.")


@profiles_app.command("schema")
def print_schema() -> None:
    """The profile schema as JSON Schema, for editors and other tools."""
    typer.echo(json.dumps(json_schema(), indent=2))
