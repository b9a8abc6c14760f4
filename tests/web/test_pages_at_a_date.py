"""A child's pages at a past date agree with themselves: the heading's status line is the
one of that date, as the body is (issue 17.10); readiness is shown only where it means
something, and says why it is absent otherwise (issue 17.11)."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from typing import cast

import pytest
from fastapi import FastAPI

from api.deps import Services
from tests.web.conftest import Client
from tests.web.world import World

SUBTITLE = re.compile(r'<p class="subtitle">(.*?)</p>', re.S)
TABS = ("", "/chronology", "/provision-map", "/la-request")


def subtitle(html: str) -> str:
    found = SUBTITLE.search(html)
    assert found is not None, "the page has no heading status line"
    return " ".join(found.group(1).split())


def ehc_request_day(app: FastAPI, world: World) -> str:
    records = cast(Services, app.state.services).records
    for event in records.history(world.own):
        if type(event).__name__ == "EhcRequestSubmitted":
            return (event.occurred_at.astimezone(UTC).date() - timedelta(days=1)).isoformat()
    raise AssertionError("the world's child has no EHC request")


@pytest.mark.parametrize("tab", TABS)
def test_the_heading_is_the_status_of_the_page_date(
    app: FastAPI, as_: Client, world: World, tab: str
) -> None:
    senco = as_("senco")
    now = subtitle(senco.get(f"/children/{world.own}{tab}").text)
    assert "No EHC request" not in now  # the request is on the record today
    day_before = ehc_request_day(app, world)
    then = subtitle(senco.get(f"/children/{world.own}{tab}?as_of={day_before}").text)
    assert "No EHC request" in then
    assert "EHC" not in then.replace("No EHC request", "")
    before_anything = subtitle(senco.get(f"/children/{world.own}{tab}?as_of=1990-01-01").text)
    assert before_anything.startswith("Born")
    assert "No EHC request" in before_anything
    assert "primary need" not in before_anything


def test_readiness_is_absent_with_its_reason_before_any_concern(as_: Client, world: World) -> None:
    senco = as_("senco")
    now = senco.get(f"/children/{world.own}").text
    assert "hints met" in now
    assert "Not shown:" not in now
    then = senco.get(f"/children/{world.own}?as_of=1990-01-01").text
    assert "hints met" not in then
    assert "Not shown: No concern, SEN support or EHC needs assessment" in " ".join(then.split())


def test_the_export_form_defaults_to_the_page_date(as_: Client, world: World) -> None:
    senco = as_("senco")
    then = senco.get(f"/children/{world.own}?as_of=2026-06-01").text
    assert 'id="f-as_of" name="as_of" value="2026-06-01"' in then
    now = senco.get(f"/children/{world.own}").text
    assert 'id="f-as_of" name="as_of" value="2026-06-01"' not in now


def test_the_dashboard_at_a_past_date_uses_only_what_had_happened(
    as_: Client, world: World
) -> None:
    """Issue 17.8: `today` means that day on the page too (as GET /v1/dashboard?today=)."""
    senco = as_("senco")
    now = senco.get("/dashboard")
    assert now.status_code == 200
    assert f"/children/{world.own}" in now.text  # on some list today
    then = senco.get("/dashboard?today=1990-01-01")
    assert then.status_code == 200
    assert "/children/" not in then.text  # nobody was registered yet
    assert "1990" in subtitle(then.text)
    assert 'value="1990-01-01"' in then.text
    wrong = senco.get("/dashboard?today=31/03/2026")
    assert wrong.status_code == 200
    assert "Enter a real date" in wrong.text
    assert 'aria-invalid="true"' in wrong.text
