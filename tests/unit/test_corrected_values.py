"""A correction can carry the corrected values of the entry it corrects (issue 17.6):
checked by that entry's own rules, used by derived views, which say so, while the original
stays in the chronology."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from api.schemas import CorrectionWithValuesIn
from domain import commands as cmd
from domain import events as ev
from domain.errors import InvalidValue, StatusAgainstPlan
from exporters.report import readable_chronology
from projections.chronology import chronology
from projections.cohort_fold import replay, replays
from projections.provision_map import provision_map
from projections.readiness import readiness
from projections.support_plan import support_plan
from projections.timeline import admit
from tests.story import Story

TODAY = date(2025, 6, 1)


def slcn_then_corrected_to_asd() -> tuple[Story, int, int]:
    story = Story()
    status = story.add(
        cmd.ChangeSenStatus,
        date(2025, 1, 6),
        status="K",
        need_codes=["SLCN"],
        primary_need="SLCN",
        reason="Agreed at the review",
    )
    correction = story.add(
        cmd.Correct,
        date(2025, 2, 3),
        supersedes=status,
        statement="The assessment named autism, not speech and language.",
        values={"status": "K", "need_codes": ["ASD", "SLCN"], "primary_need": "ASD"},
    )
    return story, status, correction


class TestCorrectedValuesReachTheViews:
    def test_the_plan_the_record_and_the_cohort_use_the_corrected_need(self) -> None:
        story, _status, correction = slcn_then_corrected_to_asd()
        sen = support_plan(story.entries, today=TODAY)["sen_status"]
        assert (sen["status"], sen["need_codes"], sen["primary_need"]) == (
            "K",
            ["ASD", "SLCN"],
            "ASD",
        )
        assert sen["since"] == "2025-01-06"  # the entry's own date: it restates that day
        assert sen["corrected"] == {"version": correction, "on": "2025-02-03", "by_role": "senco"}
        assert (story.child.primary_need, story.child.need_codes) == ("ASD", ["ASD", "SLCN"])
        row = replay("c", [e.event for e in story.entries])
        assert (row.primary_need, row.need_codes) == ("ASD", ("ASD", "SLCN"))
        # As of a day before the correction was made, it still restates January.
        then = support_plan(admit(story.entries, as_of=date(2025, 1, 31)), today=TODAY)
        assert then["sen_status"]["primary_need"] == "ASD"

    def test_the_original_stays_in_the_chronology_with_the_values_beside_it(self) -> None:
        story, status, _correction = slcn_then_corrected_to_asd()
        rows = {r["version"]: r for r in chronology(story.entries)["entries"]}
        assert rows[status]["details"]["primary_need"] == "SLCN"  # the original, as written
        assert rows[status]["corrected_by"][0]["values"]["primary_need"] == "ASD"
        views = {
            "chronology": chronology(story.entries),
            "plan": support_plan(story.entries, today=TODAY),
            "provision-map": provision_map(story.entries, today=TODAY),
        }
        readable = {r["entry"]["version"]: r for r in readable_chronology(views)}
        flag = dict(readable[status]["flags"])["corrected"]
        assert "corrected values: status K; need codes ASD, SLCN; primary need ASD" in flag

    def test_a_corrected_status_n_ends_sen_support_in_readiness_and_the_cohort(self) -> None:
        story = Story()
        status = story.add(
            cmd.ChangeSenStatus,
            date(2025, 1, 6),
            status="K",
            need_codes=["SLCN"],
            primary_need="SLCN",
            reason="Typed on the wrong record",
        )
        story.add(
            cmd.Correct,
            date(2025, 1, 8),
            supersedes=status,
            statement="This child was never on SEN support.",
            values={"status": "N", "need_codes": [], "primary_need": None},
        )
        assert story.child.sen_status == "N"
        assert readiness(story.entries, today=TODAY)["applies"] is False
        assert replay("c", [e.event for e in story.entries]).sen_status == "N"

    def test_a_concern_level_corrected_to_high_counts_as_high(self) -> None:
        story = Story()
        raised = story.add(
            cmd.RaiseConcern,
            date(2025, 1, 6),
            concern_id="c1",
            areas=["communication_language"],
            level="low",
            description="Few words",
        )
        story.add(
            cmd.Correct,
            date(2025, 1, 7),
            supersedes=raised,
            statement="The level agreed was high.",
            values={"level": "high"},
        )
        assert replay("c", [e.event for e in story.entries]).high_concern is True
        assert replays(story.entries[-1].event)


class TestCorrectedValuesAreCheckedByTheEntrysOwnRules:
    @pytest.mark.parametrize(
        ("values", "error", "field"),
        [
            (
                {"status": "K", "need_codes": ["ASD"], "primary_need": "SLCN"},
                InvalidValue,
                "values.primary_need",
            ),
            (
                {"status": "K", "need_codes": ["XYZ"], "primary_need": "XYZ"},
                InvalidValue,
                "values.need_codes",
            ),
            ({"status": "K", "primary_need": "ASD"}, InvalidValue, "values.need_codes"),
            (
                {"status": "E", "need_codes": ["ASD"], "primary_need": "ASD"},
                StatusAgainstPlan,
                "values.status",
            ),
            ({"reason": "x"}, InvalidValue, "values.reason"),
            ({}, InvalidValue, "values"),
        ],
    )
    def test_a_bad_value_is_refused_naming_the_field_and_nothing_is_stored(
        self, values: dict[str, Any], error: type[Exception], field: str
    ) -> None:
        story, status, _ = slcn_then_corrected_to_asd()
        before = story.child.version
        with pytest.raises(error) as refused:
            story.add(
                cmd.Correct, date(2025, 2, 4), supersedes=status, statement="S", values=values
            )
        assert getattr(refused.value, "field", None) == field
        assert story.child.version == before

    def test_a_kind_without_correctable_fields_takes_a_statement_only(self) -> None:
        story = Story()
        seen = story.add(
            cmd.RecordObservation,
            date(2025, 1, 6),
            area="physical",
            notes="Climbs",
            observer="KP",
        )
        with pytest.raises(InvalidValue) as refused:
            story.add(
                cmd.Correct, date(2025, 1, 7), supersedes=seen, statement="S", values={"area": "x"}
            )
        assert refused.value.field == "values"
        story.add(cmd.Correct, date(2025, 1, 7), supersedes=seen, statement="It was Tuesday.")
        assert story.entries[-1].event.values is None  # type: ignore[union-attr]


class TestTheSchema:
    def test_only_the_fields_given_are_passed_on_and_none_is_a_value(self) -> None:
        body = CorrectionWithValuesIn.model_validate(
            {
                "occurred_at": "2025-02-03",
                "supersedes": 2,
                "statement": "Never on SEN support.",
                "values": {"status": "N", "need_codes": [], "primary_need": None},
            }
        )
        assert body.payload() == {
            "supersedes": 2,
            "statement": "Never on SEN support.",
            "values": {"status": "N", "need_codes": [], "primary_need": None},
        }
        plain = CorrectionWithValuesIn.model_validate(
            {"occurred_at": "2025-02-03", "supersedes": 2, "statement": "It was Tuesday."}
        )
        assert "values" not in plain.payload()
        with pytest.raises(ValueError, match="status"):
            CorrectionWithValuesIn.model_validate(
                {
                    "occurred_at": "2025-02-03",
                    "supersedes": 2,
                    "statement": "S",
                    "values": {"status": "Q"},
                }
            )


def test_old_corrections_decode_without_values() -> None:
    assert ev.RecordCorrected.__dataclass_fields__["values"].default is None
