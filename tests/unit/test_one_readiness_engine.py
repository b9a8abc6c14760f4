"""The generic readiness hints are a profile (la_profiles/generic.toml) read by the one
readiness engine (issue 16.5): its expectations are the overview's hints, a changed
profile changes the overview, and an installation may judge its overviews by another."""

from __future__ import annotations

import logging
import shutil
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.settings import Settings
from domain import commands as cmd
from projections.la_profile import BUILTIN_DIR, GENERIC, LoadedProfile
from projections.la_readiness import la_readiness
from projections.readiness import readiness
from tests.factories import TODAY
from tests.la_history import Known
from tests.story import Story
from tests.support.la import EXPECTED


def own_copy(settings: Settings, edit: dict[str, str]) -> Path:
    """The setting's own generic.toml: the built-in one with `edit` (old -> new) applied."""
    folder = settings.la_profile_dirs[-1]
    folder.mkdir(parents=True, exist_ok=True)
    text = (BUILTIN_DIR / f"{GENERIC}.toml").read_text()
    for old, new in edit.items():
        assert old in text, old
        text = text.replace(old, new)
    path = folder / f"{GENERIC}.toml"
    path.write_text(text)
    return path


def test_the_overviews_hints_are_the_generic_profiles_expectations(
    profiles: dict[str, LoadedProfile], story: tuple[Story, Known]
) -> None:
    hints = readiness(story[0].entries, today=TODAY)
    generic = profiles[GENERIC].profile

    assert [(h["id"], h["kind"], h["title"]) for h in hints["hints"]] == [
        (x.id, x.kind, x.title) for x in generic.expectations
    ]
    assert hints["profile"] == profiles[GENERIC].summary()
    assert {h["id"]: h["status"] for h in hints["hints"]} == EXPECTED[GENERIC]


def test_a_changed_generic_profile_changes_the_overview(
    tmp_path: Path, story: tuple[Story, Known]
) -> None:
    """Three reviews meet "two"; asking for four makes the hint missing, and a hint taken
    out of the profile leaves the overview."""
    settings = Settings(data_dir=tmp_path)
    before = readiness(story[0].entries, settings.overview_profile(), today=TODAY)
    own_copy(
        settings,
        {
            'title = "At least two reviewed assess-plan-do-review cycles"\nmin = 2': (
                'title = "At least four reviewed cycles"\nmin = 4'
            ),
            '[[expectations]]\nid = "attendance"': '[[expectations]]\nid = "attendance_x"',
            'title = "Attendance over the last two years"\nmonths = 24\nmin_share = 0.8': (
                'title = "Attendance this year"\nmonths = 12\nmin_share = 1.0'
            ),
        },
    )
    after = readiness(story[0].entries, settings.overview_profile(), today=TODAY)
    old = {h["id"]: h for h in before["hints"]}
    new = {h["id"]: h for h in after["hints"]}

    assert old["reviewed_cycles"]["status"] == "met"
    assert (new["reviewed_cycles"]["title"], new["reviewed_cycles"]["status"]) == (
        "At least four reviewed cycles",
        "missing",
    )
    assert "attendance" not in new
    assert new["attendance_x"]["status"] == "stale"
    assert after["met"] == before["met"] - 2
    assert after["profile"]["sha256"] != before["profile"]["sha256"]


def test_an_installation_may_judge_its_overviews_by_another_profile(
    tmp_path: Path, profiles: dict[str, LoadedProfile], story: tuple[Story, Known]
) -> None:
    settings = Settings(data_dir=tmp_path, readiness_profile="example-shire-apdr")
    chosen = settings.overview_profile()
    hints = readiness(story[0].entries, chosen, today=TODAY)
    full = la_readiness(story[0].entries, profiles["example-shire-apdr"], today=TODAY)

    assert chosen.profile.id == "example-shire-apdr"
    assert {h["id"]: h["status"] for h in hints["hints"]} == EXPECTED["example-shire-apdr"]
    assert [h["detail"] for h in hints["hints"]] == [x["detail"] for x in full["expectations"]]


def test_a_missing_or_broken_chosen_profile_falls_back_to_the_built_in_generic(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    unknown = Settings(data_dir=tmp_path, readiness_profile="no-such-council")
    with caplog.at_level(logging.WARNING):
        assert unknown.overview_profile().profile.id == GENERIC
    assert "no-such-council" in caplog.text

    broken = Settings(data_dir=tmp_path)
    path = own_copy(broken, {"min = 2": "min = 0"})
    fallback = broken.overview_profile()
    assert (fallback.profile.id, fallback.path) == (GENERIC, BUILTIN_DIR / "generic.toml")
    assert "expectations[2].min" in caplog.text
    shutil.copy(BUILTIN_DIR / "generic.toml", path)  # mended: the own copy is read again
    assert broken.overview_profile().path == path


def test_a_readiness_profile_that_is_not_an_id_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(readiness_profile="../etc/passwd")
    assert "readiness_profile" in str(refused.value)


def test_every_profile_says_why_readiness_is_absent_for_a_child_with_nothing_to_judge(
    profiles: dict[str, LoadedProfile],
) -> None:
    story = Story()
    story.add(
        cmd.RecordObservation,
        date(2025, 1, 6),
        area="communication_language",
        notes="Plays alongside others",
        observer="KP",
    )
    for loaded in profiles.values():
        result = la_readiness(story.entries, loaded, today=date(2025, 6, 1))
        assert (result["applies"], result["expectations"], result["total"]) == (False, [], 0)
        assert "No concern, SEN support or EHC" in result["absent_because"]


def test_what_was_done_with_each_recommendation_counts_any_recorded_decision(
    profiles: dict[str, LoadedProfile],
) -> None:
    """The generic hint asks that each recommendation has a recorded action: one without
    is missing; "not actioned", with its reason, is a recorded decision and counts."""
    story = Story()
    story.add(
        cmd.RaiseConcern,
        date(2025, 2, 3),
        concern_id="c1",
        areas=["communication_language"],
        level="low",
        description="Few words for age",
    )

    def hint() -> dict[str, object]:
        hints = readiness(story.entries, today=date(2025, 12, 1))["hints"]
        return next(h for h in hints if h["kind"] == "recommendations_actioned")

    assert (hint()["status"], hint()["detail"]) == ("missing", "no recommendations received")
    report = story.add(
        cmd.ReceiveReport,
        date(2025, 9, 1),
        basis="third_party_report",
        report_id="salt-1",
        author="Demo Therapist",
        author_role="Speech and language therapist",
        service="Speech and language therapy",
        report_date=date(2025, 8, 28),
        summary="Expressive language around 12 months below age.",
        recommendations=[
            {"recommendation_id": "r1", "text": "Visual timetable"},
            {"recommendation_id": "r2", "text": "Daily 1:1 vocabulary work"},
        ],
    )
    first = story.add(
        cmd.ActionRecommendation,
        date(2025, 9, 10),
        report_id="salt-1",
        recommendation_id="r1",
        action="actioned",
        detail="Visual timetable in the room.",
    )
    assert hint() == {
        "id": "recommendations_actioned",
        "kind": "recommendations_actioned",
        "title": "What was done with each recommendation",
        "status": "missing",
        "detail": "1 of 2 recommendation(s) without a recorded action",
        "evidence": [report, first],
    }
    story.add(
        cmd.ActionRecommendation,
        date(2025, 9, 10),
        report_id="salt-1",
        recommendation_id="r2",
        action="not_actioned",
        detail="No staff for daily 1:1 yet.",
    )
    assert hint()["status"] == "met"
    shire = la_readiness(story.entries, profiles["example-shire-apdr"], today=date(2025, 12, 1))
    acted_on = next(x for x in shire["expectations"] if x["id"] == "advice_acted_on")
    assert acted_on["status"] == "missing"  # an LA that asks for advice acted on still differs
