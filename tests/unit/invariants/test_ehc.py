"""The EHC needs assessment steps in order, and SEN status beside them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.errors import (
    EhcStepOutOfOrder,
    InvalidValue,
    StatusAgainstPlan,
)
from tests.factories import (
    ChildBuilder,
    commanding,
    on,
)
from tests.support.invariants import (
    DAY,
    assert_accepted,
    assert_refused,
)

# --- EHC needs assessment ------------------------------------------------------------------

EHC_STEPS: dict[type[cmd.Command], dict[str, Any]] = {
    cmd.SubmitEhcRequest: {
        "request_date": date(2025, 6, 2),
        "local_authority": "Example LA",
        "reason": "Needs beyond SEN support",
    },
    cmd.RecordEhcDecision: {"decision": "assess", "decision_date": date(2025, 7, 14)},
    cmd.ReceiveEhcAdvice: {
        "advice_from": "EP",
        "advice_kind": "educational",
        "summary": "Advice given",
    },
    cmd.IssueEhcDraft: {"draft_date": date(2025, 9, 15)},
    cmd.FinaliseEhcPlan: {"decision": "issue", "final_date": date(2025, 10, 20)},
    cmd.HoldEhcAnnualReview: {"review_date": date(2026, 10, 19), "summary": "Plan continues"},
}
EHC_DAY = date(2026, 10, 19)


def ehc(
    child: ChildBuilder,
    *steps: type[cmd.Command],
    overrides: dict[type[cmd.Command], dict[str, Any]] | None = None,
) -> None:
    """Run EHC steps in the given order (all dated EHC_DAY)."""
    for step in steps:
        child.do(step, EHC_DAY, **{**EHC_STEPS[step], **(overrides or {}).get(step, {})})


@pytest.mark.parametrize(
    ("done", "step"),
    [
        pytest.param((), cmd.RecordEhcDecision, id="decision-without-request"),
        pytest.param((), cmd.ReceiveEhcAdvice, id="advice-without-request"),
        pytest.param((cmd.SubmitEhcRequest,), cmd.ReceiveEhcAdvice, id="advice-before-decision"),
        pytest.param((), cmd.IssueEhcDraft, id="draft-without-request"),
        pytest.param((cmd.SubmitEhcRequest,), cmd.IssueEhcDraft, id="draft-without-decision"),
        pytest.param((), cmd.FinaliseEhcPlan, id="final-plan-without-request"),
        pytest.param(
            (cmd.SubmitEhcRequest,), cmd.FinaliseEhcPlan, id="final-plan-without-decision"
        ),
        pytest.param((), cmd.HoldEhcAnnualReview, id="annual-review-without-plan"),
        pytest.param(
            (cmd.SubmitEhcRequest, cmd.RecordEhcDecision, cmd.IssueEhcDraft),
            cmd.HoldEhcAnnualReview,
            id="annual-review-on-a-draft",
        ),
        pytest.param((cmd.SubmitEhcRequest,), cmd.SubmitEhcRequest, id="request-twice"),
        pytest.param(
            (cmd.SubmitEhcRequest, cmd.RecordEhcDecision),
            cmd.RecordEhcDecision,
            id="decision-twice",
        ),
        pytest.param(
            (cmd.SubmitEhcRequest, cmd.RecordEhcDecision, cmd.IssueEhcDraft, cmd.FinaliseEhcPlan),
            cmd.SubmitEhcRequest,
            id="request-with-a-plan",
        ),
    ],
)
def test_given_an_ehc_step_out_of_order_then_ehc_step_out_of_order(
    child: ChildBuilder, done: tuple[type[cmd.Command], ...], step: type[cmd.Command]
) -> None:
    ehc(child, *done)
    app = child.app
    assert_refused(
        app,
        child,
        EhcStepOutOfOrder,
        commanding(app, step),
        child.child_id,
        on(EHC_DAY),
        **EHC_STEPS[step],
    )


def test_given_a_not_assess_decision_when_a_draft_is_issued_then_ehc_step_out_of_order(
    child: ChildBuilder,
) -> None:
    ehc(
        child,
        cmd.SubmitEhcRequest,
        cmd.RecordEhcDecision,
        overrides={cmd.RecordEhcDecision: {"decision": "not_assess"}},
    )
    assert_refused(
        child.app,
        child,
        EhcStepOutOfOrder,
        commanding(child.app, cmd.IssueEhcDraft),
        child.child_id,
        on(EHC_DAY),
        draft_date=EHC_DAY,
    )


def test_given_a_not_issue_decision_when_an_annual_review_is_held_then_ehc_step_out_of_order(
    child: ChildBuilder,
) -> None:
    ehc(
        child,
        cmd.SubmitEhcRequest,
        cmd.RecordEhcDecision,
        cmd.FinaliseEhcPlan,
        overrides={cmd.FinaliseEhcPlan: {"decision": "not_issue"}},
    )
    assert_refused(
        child.app,
        child,
        EhcStepOutOfOrder,
        commanding(child.app, cmd.HoldEhcAnnualReview),
        child.child_id,
        on(EHC_DAY),
        **EHC_STEPS[cmd.HoldEhcAnnualReview],
    )


def test_given_each_step_in_order_when_recorded_then_the_full_sequence_is_stored(
    child: ChildBuilder,
) -> None:
    kinds = [
        ev.EhcRequestSubmitted,
        ev.EhcDecisionRecorded,
        ev.EhcAdviceReceived,
        ev.EhcDraftIssued,
        ev.EhcPlanFinalised,
        ev.EhcAnnualReviewHeld,
    ]
    for step, kind in zip(EHC_STEPS, kinds, strict=True):
        assert_accepted(child, kind, step, EHC_DAY, **EHC_STEPS[step])
    assert child.version == 8
    assert child.app.get_child(child.child_id).ehc_stage == "plan"


def test_given_a_final_plan_when_a_second_annual_review_is_held_then_stored(
    child: ChildBuilder,
) -> None:
    ehc(
        child,
        cmd.SubmitEhcRequest,
        cmd.RecordEhcDecision,
        cmd.FinaliseEhcPlan,
        cmd.HoldEhcAnnualReview,
    )
    assert_accepted(
        child,
        ev.EhcAnnualReviewHeld,
        cmd.HoldEhcAnnualReview,
        EHC_DAY,
        **EHC_STEPS[cmd.HoldEhcAnnualReview],
    )


@pytest.mark.parametrize(
    ("done", "overrides"),
    [
        pytest.param(
            (cmd.SubmitEhcRequest, cmd.RecordEhcDecision),
            {cmd.RecordEhcDecision: {"decision": "not_assess"}},
            id="after-not-assess",
        ),
        pytest.param(
            (cmd.SubmitEhcRequest, cmd.RecordEhcDecision, cmd.FinaliseEhcPlan),
            {cmd.FinaliseEhcPlan: {"decision": "not_issue"}},
            id="after-not-issue",
        ),
    ],
)
def test_given_a_refusal_by_the_la_when_a_new_request_is_submitted_then_stored(
    child: ChildBuilder,
    done: tuple[type[cmd.Command], ...],
    overrides: dict[type[cmd.Command], dict[str, Any]],
) -> None:
    ehc(child, *done, overrides=overrides)
    assert_accepted(
        child,
        ev.EhcRequestSubmitted,
        cmd.SubmitEhcRequest,
        EHC_DAY,
        **EHC_STEPS[cmd.SubmitEhcRequest],
    )
    assert child.app.get_child(child.child_id).ehc_stage == "requested"


@pytest.mark.parametrize(
    ("done", "step", "decision"),
    [
        pytest.param((cmd.SubmitEhcRequest,), cmd.RecordEhcDecision, "maybe", id="decision"),
        pytest.param(
            (cmd.SubmitEhcRequest, cmd.RecordEhcDecision),
            cmd.FinaliseEhcPlan,
            "perhaps",
            id="final-decision",
        ),
    ],
)
def test_given_an_ehc_decision_outside_its_vocabulary_then_invalid_value(
    child: ChildBuilder, done: tuple[type[cmd.Command], ...], step: type[cmd.Command], decision: str
) -> None:
    ehc(child, *done)
    app = child.app
    err = assert_refused(
        app,
        child,
        InvalidValue,
        commanding(app, step),
        child.child_id,
        on(EHC_DAY),
        **{**EHC_STEPS[step], "decision": decision},
    )
    assert err.field == "decision"


# --- SEN status ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "codes", "primary"),
    [
        pytest.param("K", ["SLCN", "ASD"], "SLCN", id="K"),
        pytest.param("N", [], None, id="N"),
    ],
)
def test_given_a_consistent_status_when_changed_then_stored(
    child: ChildBuilder, status: str, codes: list[str], primary: str | None
) -> None:
    assert_accepted(
        child,
        ev.SenStatusChanged,
        cmd.ChangeSenStatus,
        DAY,
        status=status,
        need_codes=codes,
        primary_need=primary,
        reason="Reviewed",
    )
    assert child.app.get_child(child.child_id).sen_status == status


@pytest.mark.parametrize(
    ("status", "codes", "primary", "field"),
    [
        pytest.param("N", ["SLCN"], None, "need_codes", id="N-with-codes"),
        pytest.param("N", ["SLCN"], "SLCN", "need_codes", id="N-with-codes-and-primary"),
        pytest.param("N", [], "SLCN", "primary_need", id="N-with-primary-only"),
        pytest.param("K", ["SLCN"], None, "primary_need", id="K-without-primary"),
        pytest.param("K", ["SLCN"], "ASD", "primary_need", id="K-primary-not-in-codes"),
        pytest.param("K", [], "SLCN", "primary_need", id="K-without-codes"),
        pytest.param("E", ["SLCN"], None, "primary_need", id="E-without-primary"),
        pytest.param("K", ["SLCN", "XYZ"], "SLCN", "need_codes", id="unknown-need-code"),
        pytest.param("S", [], None, "status", id="unknown-status"),
    ],
)
def test_given_an_inconsistent_status_when_changed_then_invalid_value(
    child: ChildBuilder, status: str, codes: list[str], primary: str | None, field: str
) -> None:
    err = assert_refused(
        child.app,
        child,
        InvalidValue,
        commanding(child.app, cmd.ChangeSenStatus),
        child.child_id,
        on(DAY),
        status=status,
        need_codes=codes,
        primary_need=primary,
        reason="",
    )
    assert err.field == field


def test_given_no_finalised_ehc_plan_when_status_e_then_status_against_plan(
    child: ChildBuilder,
) -> None:
    ehc(child, cmd.SubmitEhcRequest, cmd.RecordEhcDecision, cmd.IssueEhcDraft)
    err = assert_refused(
        child.app,
        child,
        StatusAgainstPlan,
        commanding(child.app, cmd.ChangeSenStatus),
        child.child_id,
        on(EHC_DAY),
        status="E",
        need_codes=["ASD"],
        primary_need="ASD",
        reason="Plan",
    )
    assert err.field == "status"


def test_given_a_finalised_ehc_plan_when_status_e_then_stored(child: ChildBuilder) -> None:
    ehc(child, cmd.SubmitEhcRequest, cmd.RecordEhcDecision, cmd.FinaliseEhcPlan)
    assert_accepted(
        child,
        ev.SenStatusChanged,
        cmd.ChangeSenStatus,
        EHC_DAY,
        status="E",
        need_codes=["ASD"],
        primary_need="ASD",
        reason="Plan issued",
    )
