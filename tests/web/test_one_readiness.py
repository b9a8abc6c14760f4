"""One readiness engine (issue 16.5): for the same child, date and profile, a child's
overview and its LA tab show the same hints with the same statuses and the same count,
and the API's generic readiness is the LA readiness of the `generic` profile."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import NamedTuple
from uuid import UUID

import pytest

from tests.web.conftest import Client
from tests.web.world import TODAY, World

DAYS = (date(2025, 1, 15), date(2025, 9, 1), date(2026, 3, 2), TODAY)
ROW = re.compile(r"<tr>\s*<td>([^<]+)</td>\s*<td data-label=\"Status\">(.*?)</td>", re.S)
COUNT = re.compile(r"<strong>(\d+) of (\d+)</strong> (?:hints|expectations) met")
ABSENT = re.compile(r'<p class="readiness-absent">Not shown: ([^<]+)</p>')


class Shown(NamedTuple):
    score: tuple[str, ...] | None
    absent: str | None
    rows: list[tuple[str, str]]


def shown(page: str) -> Shown:
    """What a page says of readiness: the count, or why none is shown, and each row's
    title and status label, in order."""
    count = COUNT.search(page)
    absent = ABSENT.search(page)
    rows = [
        (html.unescape(title.strip()), re.sub(r"<[^>]+>", "", status).strip())
        for title, status in ROW.findall(page)
    ]
    return Shown(count.groups() if count else None, absent.group(1) if absent else None, rows)


def children(world: World) -> list[UUID]:
    return [world.own, world.sibling]


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_the_overview_and_the_la_tab_agree_on_a_child_and_date(
    as_: Client, world: World, day: date
) -> None:
    senco = as_("senco")
    for child in children(world):
        overview = senco.get(f"/children/{child}?as_of={day}")
        la_tab = senco.get(f"/children/{child}/la-request?as_of={day}&la=generic")
        default_tab = senco.get(f"/children/{child}/la-request?as_of={day}")
        assert overview.status_code == la_tab.status_code == 200
        said = shown(overview.text)
        assert said.score or said.absent, "the overview says readiness or why it is absent"
        assert shown(la_tab.text) == said, (child, day)
        assert shown(default_tab.text) == said, "the LA tab first shows the overview's profile"
        if said.score:  # the overview links to the same answer in full
            assert f"/la-request?as_of={day}&amp;la=generic" in overview.text


def test_the_demo_histories_show_both_a_score_and_an_absence(as_: Client, world: World) -> None:
    """The agreement above is tested on real answers: some scored, some absent."""
    senco = as_("senco")
    pages = [senco.get(f"/children/{c}?as_of={d}").text for c in children(world) for d in DAYS]
    said = [shown(page) for page in pages]
    assert any(s.score for s in said)
    assert any(s.absent for s in said)
    assert any(status != "Met" for s in said for _, status in s.rows)


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_the_api_overview_is_the_generic_profile_read_by_the_la_engine(
    as_: Client, world: World, day: date
) -> None:
    api, bearer = as_("senco"), {"Authorization": f"Bearer {world.tokens['senco']}"}
    for child in children(world):
        url = f"/v1/children/{child}/readiness?as_of={day}"
        hints = api.get(url, headers=bearer).json()
        full = api.get(f"{url}&la=generic", headers=bearer).json()
        assert hints["profile"] == full["profile"]
        assert hints["profile"]["id"] == "generic"
        assert (hints["applies"], hints["absent_because"]) == (
            full["applies"],
            full["absent_because"],
        )
        assert (hints["met"], hints["total"]) == (full["met"], full["total"])
        assert [
            (h["id"], h["kind"], h["title"], h["status"], h["detail"], h["evidence"])
            for h in hints["hints"]
        ] == [
            (
                x["id"],
                x["kind"],
                x["title"],
                x["status"],
                x["detail"],
                sorted(e["version"] for e in x["evidence"]),
            )
            for x in full["expectations"]
        ]
