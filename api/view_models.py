"""The shapes of the reads (`response_model` of every GET that returns JSON), so the
OpenAPI document describes each one and schemathesis checks the answers against it. Each
names its own fields; nested rows stay objects (their fields are the projections', see
projections/*.py), and a view may carry more fields than named here (`extra="allow"`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Rows = list[dict[str, Any]]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Stamped(_Open):
    """What every view of one child says of itself."""

    child_id: str
    view: str
    as_of: str = Field(description="The world date the view is for.")
    known_at: str | None = Field(description="The record time it is for (None: now).")
    events_admitted: int
    withheld: Rows = Field(description="Entries withheld from you: version, kind, reason.")


class PlanView(Stamped):
    child: dict[str, Any]
    sen_status: dict[str, Any]
    ehc_stage: str
    parent_notified: str | None
    plan: dict[str, Any] | None
    plans_total: int
    active_provisions: Rows
    people: Rows
    professionals: Rows
    consents_in_force: Rows


class ChronologyView(Stamped):
    entries: Rows
    count: int
    late_entries: int
    matched: int | None = Field(None, description="With a filter: how many entries match it.")
    offset: int | None = Field(None, description="With `limit`: where this page starts.")
    limit: int | None = Field(None, description="With `limit`: the most entries a page holds.")
    next_offset: int | None = Field(
        None, description="With `limit`: where the next page starts (None after the last)."
    )
    next: str | None = Field(None, description="With `limit`: the next page's link, if any.")
    # With include_access: viewed_by.


class EventsView(_Open):
    child_id: str
    events: Rows
    count: int
    withheld: Rows


class ProvisionMapView(Stamped):
    units: dict[str, Any]
    provisions: Rows
    totals: dict[str, Any]


class ReadinessView(Stamped):
    profile: dict[str, Any] = Field(
        description="The profile judged by (id, name, file digest): `generic` unless the "
        "installation chose another; `?la=` with its id gives the same answer in full."
    )
    applies: bool = Field(description="Whether readiness means something for this child.")
    absent_because: str | None = None
    hints: Rows
    met: int
    total: int
    blocks_export: bool
    note: str


class LaReadinessView(_Open):
    child_id: str
    as_of: str
    known_at: str | None
    profile: dict[str, Any]
    applies: bool = Field(description="Whether readiness means something for this child.")
    absent_because: str | None = None
    expectations: Rows
    met: int
    missing: int
    stale: int
    total: int
    blocks_export: bool
    note: str
    withheld: Rows


class EhcTimelineView(Stamped):
    requests: Rows
    current: dict[str, Any] | None


class Dashboard(_Open):
    setting_id: str | None
    today: str
    by_status_and_need: Rows
    overdue_reviews: Rows
    high_concern_without_plan: Rows
    plans_without_parent_notification: Rows
    ehc_deadlines_due: Rows
    cost_by_funding_source: Rows
    # An LA caseworker's (inspector's) answer adds `caseload`: shared children, across
    # settings.


class InboxFilters(_Open):
    room: str | None = None
    key_person: str | None = None


class Inbox(_Open):
    today: str
    children: Rows
    count: int
    filters: InboxFilters
    rooms: list[str]
    key_people: list[str]


class SettingProvisionMap(_Open):
    as_of: str
    setting_id: str
    funding_labels: dict[str, str]
    terms: Rows
