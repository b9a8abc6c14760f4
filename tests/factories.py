"""Test data built through the public application API, never by writing rows by hand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from domain import commands as cmd
from domain.application import ChildRecords
from domain.envelope import EnvelopeDraft, RecordedBy

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SETTING = "test-setting"
SENCO = RecordedBy("u-senco", "senco", SETTING)
PRACTITIONER = RecordedBy("u-kp", "practitioner", SETTING)
PARENT = RecordedBy("u-parent", "parent", SETTING)


def fixed_clock() -> datetime:
    """The tests' 'now' (so future-date rules are checked against a known day)."""
    return NOW


def on(day: date | datetime, by: RecordedBy = SENCO, basis: str = "fact") -> EnvelopeDraft:
    """An envelope for something that happened on `day`."""
    return EnvelopeDraft(day, by, basis=basis)


def commanding(app: ChildRecords, kind: type[cmd.Command]) -> Callable[..., int]:
    """`kind` as a function of (child_id, draft, expected_version=..., **fields), for tests
    that hand a command to a helper which runs it and checks what was stored."""

    def run(
        child_id: UUID, draft: EnvelopeDraft, *, expected_version: int | None = None, **fields: Any
    ) -> int:
        return app.handle(child_id, kind(**fields), draft, expected_version=expected_version)

    return run


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


@dataclass
class ChildBuilder:
    """A child in a known state, built through commands, tracking its version."""

    app: ChildRecords
    child_id: UUID
    version: int = 1

    def do(
        self,
        kind: type[cmd.Command],
        day: date | datetime,
        by: RecordedBy = SENCO,
        /,
        **payload: Any,
    ) -> int:
        """Run the command `kind(**payload)` as happening on `day`, at the known version."""
        self.version = self.app.handle(
            self.child_id, kind(**payload), on(day, by), expected_version=self.version
        )
        return self.version

    def history_kinds(self) -> list[str]:
        return [type(e).__name__ for e in self.app.history(self.child_id)]


def register(
    app: ChildRecords, *, born: date = date(2023, 3, 1), registered: date = date(2024, 9, 2)
) -> ChildBuilder:
    child_id = app.register(
        cmd.RegisterChild(
            given_name="Testy", family_name="Fictional", date_of_birth=born, setting_id=SETTING
        ),
        on(registered),
    )
    return ChildBuilder(app, child_id)


def with_parent(child: ChildBuilder, day: date = date(2024, 9, 2)) -> ChildBuilder:
    child.do(
        cmd.LinkPerson,
        day,
        person_id="parent-1",
        name="Parent Fictional",
        relationship="mother",
        parental_responsibility=True,
    )
    return child


def with_provision(
    child: ChildBuilder, provision_id: str = "prov-1", start: date = date(2025, 1, 6)
) -> ChildBuilder:
    child.do(
        cmd.StartProvision,
        start,
        provision_id=provision_id,
        description="Small group talk",
        area="communication_language",
        start_date=start,
        group_size=4,
        session_minutes=20,
        sessions_per_week=3,
        weeks=10,
        staff_grade="practitioner",
        cost="180.00",
        funding_source="core",
    )
    return child


def outcome(outcome_id: str = "o1", target: date = date(2025, 3, 31)) -> dict[str, Any]:
    return {
        "outcome_id": outcome_id,
        "description": "Follows a two-step instruction",
        "area": "communication_language",
        "target_date": target,
    }


def with_plan(
    child: ChildBuilder, plan_id: str = "plan-1", start: date = date(2025, 1, 6)
) -> ChildBuilder:
    child.do(
        cmd.IssuePlan,
        start,
        plan_id=plan_id,
        start_date=start,
        review_date=start + timedelta(weeks=10),
        outcomes=[outcome()],
        provision_ids=list(child.app.get_child(child.child_id).provisions),
        shared_with_parents=True,
    )
    return child


def shared_with(app: ChildRecords, child_id: UUID, body: str, day: date = date(2024, 9, 3)) -> int:
    """Share a child's record with `body` (an LA) under a consent to share with the LA,
    given by the child's first linked person; returns the record's new version."""
    child = app.get_child(child_id)
    if not child.people:
        app.handle(
            child_id,
            cmd.LinkPerson(
                person_id="parent-1",
                name="Parent Fictional",
                relationship="mother",
                parental_responsibility=True,
            ),
            on(day),
            expected_version=child.version,
        )
        child = app.get_child(child_id)
    person = next(iter(child.people))
    consent_id, share_id = f"c-share-{body}"[:64], f"s-share-{body}"[:64]
    version = app.handle(
        child_id,
        cmd.GiveConsent(
            consent_id=consent_id, purpose="share_with_la", service="", given_by=person
        ),
        on(day),
        expected_version=child.version,
    )
    return app.handle(
        child_id,
        cmd.Share(share_id=share_id, shared_with=body, consent_id=consent_id),
        on(day),
        expected_version=version,
    )
