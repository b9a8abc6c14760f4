"""Plain words (issue 19, item 8): no internal id reaches a parent, an LA or a report (plans,
outcomes and reports by what a reader knows them by, people by name); one entry numbering
on pages and in reports; downloads named for the child and the date; the PDF report ticked
by default."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import Services
from exporters.report import readable_chronology
from tests.web.conftest import Client
from tests.web.world import World, csrf_of

# The demo cohort's ids of plans, outcomes, reports, recommendations and settings.
DEMO_IDS = re.compile(r"\b(plan-1|o1|o2|salt-1|r1|r2|prov-talk|demo-nursery-[a-z]+)\b")
NAMES = {"demo-nursery-oak": "Oak Tree Nursery", "demo-nursery-elm": "Elm Tree Nursery"}


@pytest.fixture(scope="module")
def app(world: World) -> Iterator[FastAPI]:
    """The app of a setting that has named itself and its neighbour (SENDTRAIL_SETTING_NAMES)."""
    named = world.settings.model_copy(update={"setting_names": NAMES})
    app = create_app(named)
    with TestClient(app):
        yield app


OLD_REFERENCE = re.compile(r"\bv[0-9]+\b")


def services(app: FastAPI) -> Services:
    return cast(Services, app.state.services)


def around(pattern: re.Pattern[str], text: str) -> list[str]:
    """Each match of `pattern` in `text` with the words around it (an empty list: none)."""
    return [text[max(0, m.start() - 60) : m.end() + 20] for m in pattern.finditer(text)]


def text_of(html: str) -> str:
    """What a reader sees: the page without its tags (ids in links are not read)."""
    return re.sub(r"<[^>]+>", " ", html)


def test_the_pdf_report_is_ticked_on_the_export_form(as_: Client, world: World) -> None:
    page = as_("senco").get(f"/children/{world.own}")
    assert re.search(r'<input type="checkbox" id="f-pdf" name="pdf" value="1" checked', page.text)


def test_a_bundle_is_named_for_the_child_and_the_date(
    app: FastAPI, as_: Client, world: World
) -> None:
    child = services(app).records.get_child(world.own)
    senco = as_("senco")
    page = senco.get(f"/children/{world.own}")
    bundle = senco.post(
        f"/children/{world.own}/export",
        data={"csrf": csrf_of(page.text), "as_of": "2026-11-20", "reason": ""},
    )
    assert bundle.status_code == 200
    expected = f"{child.given_name}-{child.family_name}-2026-11-20-bundle.zip".lower()
    assert f'filename="{expected}"' in bundle.headers["content-disposition"]
    assert str(world.own) not in bundle.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as opened:
        report = opened.read(
            next(n for n in opened.namelist() if n.endswith("report.html"))
        ).decode()
    assert around(DEMO_IDS, text_of(report)) == [], "\n".join(around(DEMO_IDS, text_of(report)))
    assert around(OLD_REFERENCE, text_of(report)) == []
    assert NAMES[child.setting_id] in report
    assert "entry " in report


def test_an_la_request_is_named_for_the_child_and_the_date(app: FastAPI, world: World) -> None:
    child = services(app).records.get_child(world.own)
    client = TestClient(app)
    answer = client.post(
        f"/v1/children/{world.own}/requests",
        params={"la": "example-borough-notional"},
        json={"as_of": "2026-11-21", "format": "html"},
        headers={"Authorization": f"Bearer {world.tokens['senco']}"},
    )
    assert answer.status_code == 200, answer.text
    slug = f"{child.given_name}-{child.family_name}".lower()
    expected = f"{slug}-2026-11-21-request-example-borough-notional.html"
    assert f'filename="{expected}"' in answer.headers["content-disposition"]
    assert around(OLD_REFERENCE, text_of(answer.text)) == []
    assert around(DEMO_IDS, text_of(answer.text)) == []
    assert f"Registered at {NAMES[child.setting_id]}" in answer.text


def test_a_parent_reads_no_internal_ids_on_any_page(as_: Client, world: World) -> None:
    parent = as_("parent")
    own = f"/children/{world.own}"
    for path in (own, f"{own}/provision-map", f"{own}/record/parent-view"):
        answer = parent.get(path)
        assert answer.status_code == 200, path
        seen = text_of(answer.text)
        assert around(DEMO_IDS, seen) == [], path
        assert around(OLD_REFERENCE, seen) == [], path


def test_an_la_caseworker_reads_no_internal_ids(as_: Client, world: World) -> None:
    caseworker = as_("inspector")
    own = f"/children/{world.own}"
    for path in (own, f"{own}/chronology", f"{own}/la-request?la=example-borough-notional"):
        answer = caseworker.get(path)
        assert answer.status_code == 200, path
        seen = text_of(answer.text)
        assert around(DEMO_IDS, seen) == [], path
        assert around(OLD_REFERENCE, seen) == [], path


def test_a_parent_reads_no_internal_ids_on_the_chronology(as_: Client, world: World) -> None:
    parent = as_("parent")
    pages = [parent.get(f"/children/{world.own}/chronology", params={"page": n}) for n in (1, 2, 3)]
    seen = " ".join(text_of(p.text) for p in pages)
    assert "Support plan issued" in seen
    assert "Setting: Elm Tree Nursery" in seen or "Setting: Oak Tree Nursery" in seen
    assert around(DEMO_IDS, seen) == []
    assert around(OLD_REFERENCE, seen) == []


def test_review_and_recommendation_sentences_name_what_they_are_about(
    app: FastAPI, world: World
) -> None:
    svc = services(app)
    views = {
        name: svc.views.view(name, world.own) for name in ("chronology", "plan", "provision-map")
    }
    every = readable_chronology(views)
    rows = {row["entry"]["kind"]: row for row in every}
    review = rows["ReviewHeld"]
    assert review["title"].startswith("Review of the support plan from ")
    assert around(DEMO_IDS, review["title"] + review["text"]) == []
    actioned = [r["text"] for r in every if r["entry"]["kind"] == "RecommendationActioned"]
    assert any(text.startswith("“Visual timetable” in ") for text in actioned)
    assert all("'s report of " in text for text in actioned)


def test_the_access_log_names_people_not_user_ids(as_: Client, world: World) -> None:
    as_("practitioner").get(f"/children/{world.own}")  # a read by someone else, logged
    page = as_("senco").get(f"/children/{world.own}/chronology")
    log = page.text[page.text.index("Who looked at this record recently") :]
    assert "Test practitioner" in log
    assert "the support plan" in log
    assert world.user_ids["practitioner"] not in page.text
