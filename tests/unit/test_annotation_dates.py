"""Annotations keep their own dates (issue 17.7): a correction or a mistake mark restates
what happened at its target's date and is admitted with it; a parent's dispute (like a
parent's view) is a statement of its own date. Each shows its own date beside its target."""

from __future__ import annotations

from datetime import date

from domain import commands as cmd
from exporters.report import marks
from projections.chronology import chronology
from projections.la_profile import LoadedProfile
from projections.la_statement import Record
from projections.timeline import admit
from tests.factories import PARENT
from tests.story import Story


def annotated() -> tuple[Story, dict[str, int]]:
    """An opinion of 2 June disputed on 9 June and corrected on 10 June, and an
    observation of 3 June marked mistaken on 10 June."""
    story = Story()
    story.add(
        cmd.LinkPerson,
        date(2024, 9, 2),
        person_id="parent-1",
        name="P Fictional",
        relationship="mother",
        parental_responsibility=True,
    )
    v: dict[str, int] = {}
    v["opinion"] = story.add(
        cmd.HoldDiscussion,
        date(2025, 6, 2),
        basis="professional_opinion",
        participants=["KP", "SENCO"],
        outcome="agreed_concern_monitor",
        hypothesis="Processing delay",
        evidence_needed="",
        actions=[],
    )
    v["wrong"] = story.add(
        cmd.RecordObservation,
        date(2025, 6, 3),
        area="communication_language",
        notes="Wrong child",
        observer="KP",
    )
    v["dispute"] = story.add(
        cmd.Dispute,
        date(2025, 6, 9),
        by=PARENT,
        basis="parent_view",
        target_version=v["opinion"],
        person_id="parent-1",
        comment="He is fine at home",
    )
    v["correction"] = story.add(
        cmd.Correct,
        date(2025, 6, 10),
        supersedes=v["opinion"],
        statement="Parents were not at the meeting",
    )
    v["mark"] = story.add(
        cmd.MarkMistaken, date(2025, 6, 10), target_version=v["wrong"], reason="Wrong child"
    )
    return story, v


class TestAdmittedAtTheirOwnDates:
    def test_a_dispute_is_not_part_of_the_record_before_its_own_date(self) -> None:
        story, v = annotated()
        june_8 = {e.version for e in admit(story.entries, as_of=date(2025, 6, 8))}
        assert v["dispute"] not in june_8
        # The correction and the mark restate their targets' dates: admitted with them.
        assert {v["opinion"], v["wrong"], v["correction"], v["mark"]} <= june_8
        rows = {
            r["version"]: r
            for r in chronology(admit(story.entries, as_of=date(2025, 6, 8)))["entries"]
        }
        assert rows[v["opinion"]]["disputes"] == []
        assert rows[v["opinion"]]["corrected_by"][0]["on"] == "2025-06-10"
        assert rows[v["wrong"]]["mistaken"]["on"] == "2025-06-10"

    def test_from_its_own_date_the_dispute_sits_beside_its_target_with_that_date(self) -> None:
        story, v = annotated()
        june_9 = admit(story.entries, as_of=date(2025, 6, 9))
        assert v["dispute"] in {e.version for e in june_9}
        row = next(r for r in chronology(june_9)["entries"] if r["version"] == v["opinion"])
        assert [(d["version"], d["on"]) for d in row["disputes"]] == [(v["dispute"], "2025-06-09")]

    def test_a_dispute_of_an_entry_not_yet_admitted_is_not_admitted(self) -> None:
        story, v = annotated()
        before = {e.version for e in admit(story.entries, as_of=date(2025, 6, 1))}
        assert not before & {v["opinion"], v["dispute"], v["correction"]}


class TestEachShowsItsOwnDate:
    def test_report_flags_name_the_date_of_the_entry_that_says_them(self) -> None:
        story, v = annotated()
        rows = {r["version"]: r for r in chronology(story.entries)["entries"]}
        assert marks(rows[v["opinion"]]) == [
            f"corrected by entry {v['correction']} on 10 Jun 2025",
            f"disputed by a parent in entry {v['dispute']} on 9 Jun 2025",
        ]
        assert marks(rows[v["wrong"]]) == [
            f"marked as entered by mistake in entry {v['mark']} on 10 Jun 2025"
        ]

    def test_la_statements_quote_a_dispute_and_a_correction_with_their_dates(
        self, profiles: dict[str, LoadedProfile]
    ) -> None:
        story, v = annotated()
        record = Record(story.entries, date(2025, 6, 20), profiles["generic-cop"].profile)
        said = record.say("An opinion", [e for e in story.entries if e.version == v["opinion"]])
        assert f"Corrected in entry {v['correction']} on 10 Jun 2025" in said.text
        assert f"(entry {v['dispute']}, 9 Jun 2025)" in said.text
