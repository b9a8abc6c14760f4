"""`sendtrail projections rebuild` and `sendtrail dashboard`: the cohort read models.

Wired in api/cli.py as `app.add_typer(projections_app, name="projections")` and
`app.command("dashboard")(dashboard)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from api.bootstrap import open_ledger, open_records
from api.settings import Settings
from domain.vocabulary import FUNDING_SOURCES, NEED_CODES, SEN_STATUSES
from projections.cohort import CohortChild, CohortProjection
from projections.cohort_queries import CohortQuestions

projections_app = typer.Typer(help="Keep the read models up to date.", no_args_is_help=True)
console = Console()


@contextmanager
def _cohort() -> Iterator[CohortProjection]:
    settings = Settings()
    records = open_records(settings)
    try:
        yield CohortProjection(records, open_ledger(records, settings).backend)
    finally:
        records.close()


def _catch_up(cohort: CohortProjection, *, rebuild: bool) -> int:
    newest = cohort.records.recorder.max_notification_id() or 0
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(
            "Rebuilding cohort tables" if rebuild else "Catching up cohort tables",
            total=newest if rebuild else cohort.pending(),
        )

        def advance(n: int) -> None:
            bar.advance(task, n)

        return cohort.rebuild(advance) if rebuild else cohort.catch_up(advance)


@projections_app.command("rebuild")
def rebuild() -> None:
    """Empty the cohort tables and fold in every event again, from the first."""
    with _cohort() as cohort:
        events = _catch_up(cohort, rebuild=True)
        console.print(
            f"Cohort tables rebuilt: {events} events folded in, position {cohort.position()}."
        )


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    return table


def _show(table: Table) -> None:
    if table.row_count:
        console.print(table)
    else:
        console.print(f"[italic]{table.title}[/italic]: none")


def _short(child_id: object) -> str:
    return str(child_id)[:8]


def dashboard(
    today: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="The day to judge by (default: today, UTC)."),
    ] = None,
    setting: Annotated[str | None, typer.Option(help="Only this setting's children.")] = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="EHC deadlines within N days.")] = 30,
) -> None:
    """Catch up, then show the cohort: needs, overdue reviews, gaps, deadlines, cost."""
    now = datetime.now(tz=UTC).date()
    day: date = today.date() if today else now
    with _cohort() as cohort:
        _catch_up(cohort, rebuild=False)
        if day >= now:
            _print_dashboard(cohort, day, setting, days)
            return
        past = cohort.as_of(day)  # only what had happened by then
        try:
            _print_dashboard(past, day, setting, days)
        finally:
            past.close()


def _print_dashboard(cohort: CohortQuestions, day: date, setting: str | None, days: int) -> None:
    scope = f"setting {setting}" if setting else "all settings"
    console.print(f"[bold]Cohort dashboard[/bold], {scope}, as of {day.isoformat()}")
    for table in (
        _needs(cohort, setting),
        _overdue(cohort, day, setting),
        _flagged(
            "High concern without a plan", cohort.high_concern_without_plan(setting_id=setting)
        ),
        _flagged(
            "Plans without parent notification",
            cohort.plans_without_parent_notification(setting_id=setting),
        ),
        _deadlines(cohort, day, days, setting),
        _past_planned_end(cohort, day, setting),
        _costs(cohort, setting),
    ):
        _show(table)


def _needs(cohort: CohortQuestions, setting: str | None) -> Table:
    table = _table("Children by SEN status and primary need", "SEN status", "need", "children")
    for c in cohort.by_status_and_need(setting_id=setting):
        status = f"{c.sen_status} ({SEN_STATUSES.label(c.sen_status)})"
        need = f"{c.primary_need} ({NEED_CODES.label(c.primary_need)})" if c.primary_need else "-"
        table.add_row(status, need, str(c.children))
    return table


def _overdue(cohort: CohortQuestions, day: date, setting: str | None) -> Table:
    table = _table("Overdue plan reviews", "child", "setting", "review due", "days overdue")
    for o in cohort.overdue_reviews(day, setting_id=setting):
        table.add_row(
            _short(o.child_id), o.setting_id, o.review_date.isoformat(), str(o.days_overdue)
        )
    return table


def _flagged(title: str, children: list[CohortChild]) -> Table:
    table = _table(title, "child", "setting", "SEN status", "need")
    for c in children:
        table.add_row(_short(c.child_id), c.setting_id, c.sen_status, c.primary_need or "-")
    return table


def _deadlines(cohort: CohortQuestions, day: date, days: int, setting: str | None) -> Table:
    title = f"EHC deadlines within {days} days (and missed)"
    table = _table(title, "child", "setting", "stage", "kind", "due", "days left")
    for d in cohort.ehc_deadlines_due(day, days, setting_id=setting):
        table.add_row(
            _short(d.child_id),
            d.setting_id,
            d.ehc_stage,
            d.kind,
            d.due.isoformat(),
            str(d.days_left),
        )
    return table


def _past_planned_end(cohort: CohortQuestions, day: date, setting: str | None) -> Table:
    title = "Provisions past their planned end, no end recorded (for review)"
    table = _table(title, "child", "setting", "provision", "planned end", "days past")
    for p in cohort.provisions_past_planned_end(day, setting_id=setting):
        table.add_row(
            _short(p.child_id),
            p.setting_id,
            p.provision_id,
            p.planned_end.isoformat(),
            str(p.days_past),
        )
    return table


def _costs(cohort: CohortQuestions, setting: str | None) -> Table:
    table = _table("Cost by funding source", "funding source", "cost (£)", "provisions", "children")
    for f in cohort.cost_by_funding_source(setting_id=setting):
        table.add_row(
            FUNDING_SOURCES.label(f.funding_source),
            f"{f.amount:,.2f}",
            str(f.provisions),
            str(f.children),
        )
    return table
