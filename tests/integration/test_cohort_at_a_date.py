"""The cohort at a date uses only what had happened by then (issue 17.8), and provisions
past their planned end with no end recorded are listed for review (issue 17.4): hand-built
cohorts with known answers, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from api.bootstrap import open_ledger
from api.settings import Settings
from domain import commands as cmd
from domain.application import ChildRecords
from projections.cohort import CohortProjection, ProvisionPastEnd, StatusNeedCount
from projections.cohort_queries import CohortQuestions
from tests.factories import TODAY, ChildBuilder, outcome, register, with_provision

# with_provision: started 2025-01-06 for 10 weeks, so its planned weeks end on 2025-03-16.
PLANNED_END = date(2025, 3, 16)


def projection(records: ChildRecords, settings: Settings) -> CohortProjection:
    return CohortProjection(records, open_ledger(records, settings).backend)


def past_end(cohort: CohortQuestions, day: date) -> list[tuple[UUID, str, date, int]]:
    return [
        (p.child_id, p.provision_id, p.planned_end, p.days_past)
        for p in cohort.provisions_past_planned_end(day)
    ]


def sen_support(child: ChildBuilder, day: date) -> None:
    child.do(
        cmd.ChangeSenStatus, day, status="K", need_codes=["SLCN"], primary_need="SLCN", reason="R"
    )


def ehc_plan(child: ChildBuilder, requested: date, issued: date) -> None:
    child.do(
        cmd.SubmitEhcRequest, requested, request_date=requested, local_authority="LA", reason="R"
    )
    child.do(cmd.RecordEhcDecision, requested, decision="assess", decision_date=requested)
    child.do(cmd.FinaliseEhcPlan, issued, decision="issue", final_date=issued)


class TestProvisionsPastTheirPlannedEnd:
    def test_are_listed_until_an_end_or_more_weeks_are_recorded(
        self, records: ChildRecords, settings: Settings
    ) -> None:
        overrun = with_provision(register(records))
        ended = with_provision(register(records))
        ended.do(
            cmd.EndProvision,
            date(2025, 3, 14),
            provision_id="prov-1",
            end_date=date(2025, 3, 14),
            reason="Block complete",
        )
        extended = with_provision(register(records))
        extended.do(
            cmd.ChangeProvision,
            date(2025, 3, 3),
            provision_id="prov-1",
            changes={"weeks": 52},
            reason="Runs all year",
        )
        cohort = projection(records, settings)
        cohort.catch_up()

        days = (TODAY - PLANNED_END).days
        year_end = date(2026, 1, 4)  # extended to 52 weeks from 2025-01-06
        assert past_end(cohort, TODAY) == [
            (overrun.child_id, "prov-1", PLANNED_END, days),
            (extended.child_id, "prov-1", year_end, (TODAY - year_end).days),
        ]
        assert past_end(cohort, date(2025, 3, 16)) == []  # its last planned day
        assert past_end(cohort, date(2025, 3, 17)) == [(overrun.child_id, "prov-1", PLANNED_END, 1)]
        overrun.do(
            cmd.EndProvision,
            date(2025, 4, 4),
            provision_id="prov-1",
            end_date=date(2025, 4, 4),
            reason="Ended",
        )
        cohort.catch_up()
        assert [p[0] for p in past_end(cohort, TODAY)] == [extended.child_id]

    def test_a_cohort_table_from_before_the_dates_gets_them_and_is_folded_again(
        self, records: ChildRecords, settings: Settings
    ) -> None:
        overrun = with_provision(register(records))
        cohort = projection(records, settings)
        cohort.catch_up()
        backend = cohort.backend
        with backend.ledger_cursor(commit=True) as cursor:  # the table as first released
            q = backend.tables.q
            cursor.execute(q("DROP TABLE {p}cohort_costs"))
            cursor.execute(
                q(
                    "CREATE TABLE {p}cohort_costs (child_id TEXT NOT NULL, "
                    "provision_id TEXT NOT NULL, funding_source TEXT NOT NULL, "
                    "amount_pence BIGINT NOT NULL, PRIMARY KEY (child_id, provision_id))"
                )
            )
            cursor.execute(
                q("INSERT INTO {p}cohort_costs VALUES (?, 'prov-1', 'core', 18000)"),
                [str(overrun.child_id)],
            )

        again = projection(records, settings)
        assert again.position() == 0  # to be folded again, from the first event
        again.catch_up()

        assert [p.child_id for p in again.provisions_past_planned_end(TODAY)] == [overrun.child_id]
        assert [f.amount for f in again.cost_by_funding_source()] == [Decimal("180.00")]


class TestTheCohortAtAPastDate:
    def test_uses_only_what_had_happened_by_then(
        self, records: ChildRecords, settings: Settings
    ) -> None:
        child = register(records)
        child.do(
            cmd.RaiseConcern,
            date(2025, 1, 6),
            concern_id="c1",
            areas=["communication_language"],
            level="high",
            description="Few words",
        )
        sen_support(child, date(2025, 1, 20))
        child.do(
            cmd.IssuePlan,
            date(2025, 6, 2),
            plan_id="plan-1",
            start_date=date(2025, 6, 2),
            review_date=date(2025, 7, 14),
            outcomes=[outcome(target=date(2025, 7, 14))],
            provision_ids=[],
            shared_with_parents=True,
        )
        ehc_plan(child, date(2025, 6, 2), date(2025, 10, 20))
        later = register(records, registered=date(2025, 9, 1))
        with_provision(later, start=date(2025, 9, 8))
        cohort = projection(records, settings)
        cohort.catch_up()

        # Today's tables: the plan, the EHC plan (E) and both children are there.
        assert cohort.by_status_and_need() == [
            StatusNeedCount("E", "SLCN", 1),
            StatusNeedCount("N", None, 1),
        ]
        assert cohort.high_concern_without_plan() == []
        assert [c.child_id for c in cohort.plans_without_parent_notification()] == [child.child_id]

        may = cohort.as_of(date(2025, 5, 1))
        try:
            # On 1 May 2025 no plan had been issued and the second child was not registered.
            assert may.by_status_and_need() == [StatusNeedCount("K", "SLCN", 1)]
            assert [c.child_id for c in may.high_concern_without_plan()] == [child.child_id]
            assert may.plans_without_parent_notification() == []
            assert may.overdue_reviews(date(2025, 5, 1)) == []
            assert may.ehc_deadlines_due(date(2025, 5, 1)) == []
            assert may.cost_by_funding_source() == []
        finally:
            may.close()

        august = cohort.as_of(date(2025, 8, 1))
        try:
            # The EHC plan was not issued until October: K, with the 20-week deadline due.
            assert august.by_status_and_need() == [StatusNeedCount("K", "SLCN", 1)]
            due = august.ehc_deadlines_due(date(2025, 8, 1), days=120)
            assert [(d.kind, d.due) for d in due] == [("final_plan", date(2025, 10, 20))]
            assert [c.child_id for c in august.plans_without_parent_notification()] == [
                child.child_id
            ]
            overdue = august.overdue_reviews(date(2025, 8, 1))
            assert [(o.child_id, o.days_overdue) for o in overdue] == [(child.child_id, 18)]
        finally:
            august.close()

    def test_a_provision_past_its_end_at_a_past_date(
        self, records: ChildRecords, settings: Settings
    ) -> None:
        child = with_provision(register(records))
        child.do(
            cmd.EndProvision,
            date(2025, 5, 2),
            provision_id="prov-1",
            end_date=date(2025, 5, 2),
            reason="Ended",
        )
        cohort = projection(records, settings)
        cohort.catch_up()
        assert cohort.provisions_past_planned_end(TODAY) == []
        april = cohort.as_of(date(2025, 4, 1))
        try:
            # Its end was not recorded until 2 May: on 1 April it was 16 days past.
            assert april.provisions_past_planned_end(date(2025, 4, 1)) == [
                ProvisionPastEnd(child.child_id, "test-setting", "prov-1", PLANNED_END, 16)
            ]
        finally:
            april.close()
