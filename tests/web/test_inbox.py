"""The inbox (issue 19.4): a parent's words reach the SENCO until they open the child's
record; overdue work is listed with a link to where it is dealt with."""

from __future__ import annotations

import re
from typing import cast

from fastapi import FastAPI

from api.deps import Services
from tests.web.conftest import Client
from tests.web.world import World, csrf_of


def services(app: FastAPI) -> Services:
    return cast(Services, app.state.services)


def section(html: str, child: object) -> str:
    """The inbox's items for one child ('' when it has none)."""
    start = html.find(f'<h2><a href="/children/{child}">')
    if start < 0:
        return ""
    end = html.find("<h2>", start + 1)
    return html[start : end if end > 0 else len(html)]


def test_a_parents_view_reaches_the_senco_until_they_open_the_record(
    app: FastAPI, as_: Client, world: World
) -> None:
    senco = as_("senco")
    senco.get(f"/children/{world.own}")  # the SENCO has looked at the record
    assert "A parent added their view" not in section(senco.get("/inbox").text, world.own)
    parent = as_("parent")
    form = parent.get(f"/children/{world.own}/record/parent-view")
    person = re.search(r'name="person_id" value="([^"]+)"', form.text) or re.search(
        r'<option value="([^"]+)"', form.text
    )
    assert person is not None
    posted = parent.post(
        f"/children/{world.own}/record/parent-view",
        data={
            "csrf": csrf_of(form.text),
            "expected_version": str(services(app).records.get_child(world.own).version),
            "occurred_at": "2026-11-22",
            "person_id": person.group(1),
            "view": "He is anxious at drop-off",
        },
    )
    assert posted.status_code == 303, posted.text
    version = services(app).records.get_child(world.own).version
    page = senco.get("/inbox")
    assert page.status_code == 200
    mine = section(page.text, world.own)
    assert "A parent added their view" in mine
    assert f"/children/{world.own}/chronology#entry-{version}" in mine
    api = senco.get("/v1/inbox")  # the page's session is no bearer token: the API says 401
    assert api.status_code == 401
    senco.get(f"/children/{world.own}/chronology")
    assert "A parent added their view" not in section(senco.get("/inbox").text, world.own)


def test_overdue_work_links_to_its_form(as_: Client, world: World) -> None:
    mine = section(as_("senco").get("/inbox").text, world.own)
    assert "review is overdue" in mine
    assert f"/children/{world.own}/record/review" in mine


def test_the_inbox_is_for_those_who_lead(as_: Client) -> None:
    assert as_("practitioner").get("/inbox").status_code == 403
    assert as_("parent").get("/inbox").status_code == 403


def test_the_inbox_filters_by_room_and_key_person(app: FastAPI, as_: Client, world: World) -> None:
    """Issue 19.4: the SENCO of a big setting reads one room's or one key person's inbox."""
    from domain import commands as cmd
    from tests.factories import SENCO, on

    records = services(app).records
    for child, room, person in ((world.own, "Butterflies", "Sam Okafor"),
                                (world.sibling, "Caterpillars", "Jo Reed")):  # fmt: skip
        records.handle(child, cmd.Place(room=room, key_person=person), on(records.clock(), SENCO))
    senco = as_("senco")
    everyone = senco.get("/inbox").text
    assert section(everyone, world.own)
    assert '<option value="">Every room</option><option>Butterflies</option>' in everyone
    only = senco.get("/inbox", params={"room": "butterflies "}).text  # case and space aside
    assert section(only, world.own)
    assert not section(only, world.sibling)
    assert "<option selected>Butterflies</option>" in only
    assert not section(senco.get("/inbox", params={"room": "Caterpillars"}).text, world.own)
    assert section(senco.get("/inbox", params={"key_person": "Sam Okafor"}).text, world.own)
    assert not section(senco.get("/inbox", params={"key_person": "Jo Reed"}).text, world.own)


def test_the_inbox_api_filters_and_lists_what_to_filter_by(app: FastAPI, world: World) -> None:
    from fastapi.testclient import TestClient

    from domain import commands as cmd
    from tests.factories import SENCO, on

    records = services(app).records
    records.handle(
        world.own,
        cmd.Place(room="Butterflies", key_person="Sam Okafor"),
        on(records.clock(), SENCO),
    )
    api = TestClient(app, headers={"Authorization": f"Bearer {world.tokens['senco']}"})
    whole = api.get("/v1/inbox").json()
    assert "Butterflies" in whole["rooms"]
    assert "Sam Okafor" in whole["key_people"]
    assert str(world.own) in {c["child_id"] for c in whole["children"]}
    elsewhere = api.get("/v1/inbox", params={"room": "Nowhere"}).json()
    assert elsewhere["children"] == []
    assert elsewhere["filters"] == {"room": "Nowhere", "key_person": None}
    kept = api.get("/v1/inbox", params={"key_person": "sam okafor"}).json()
    assert str(world.own) in {c["child_id"] for c in kept["children"]}
    refused = api.post(
        f"/v1/children/{world.own}/placement",
        json={"occurred_at": "2026-01-05", "room": "", "expected_version": 1},
    )
    assert refused.status_code == 422
    assert "room" in refused.text
