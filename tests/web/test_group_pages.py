"""Group work pages through the real app (issue 19.6): a provision's group session and a
class's attendance in one form, all or nothing, with each child's problem named."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, cast

from fastapi import FastAPI

from api.deps import Services
from domain import commands as cmd
from domain.envelope import EnvelopeDraft, RecordedBy
from tests.web.conftest import Client
from tests.web.world import World, csrf_of


def services(app: FastAPI) -> Services:
    return cast(Services, app.state.services)


def lengths(app: FastAPI, ids: list[str]) -> list[int]:
    from uuid import UUID

    return [len(services(app).records.history(UUID(i))) for i in ids]


def a_group(client: Any, app: FastAPI, world: World) -> tuple[str, list[str], str]:
    """A provision with at least two children, its children's ids, and the form's page
    (the sibling joins the demo's talk group first, if it has not yet)."""
    records = services(app).records
    sibling = records.get_child(world.sibling)
    if "prov-talk" not in sibling.provisions:
        records.handle(
            world.sibling,
            cmd.StartProvision(
                provision_id="prov-talk",
                description="Small-group language sessions (Talk Boost style)",
                area="communication_language",
                start_date=date(2026, 11, 2),
                group_size=4,
                session_minutes=20,
                sessions_per_week=3,
                weeks=10,
                staff_grade="practitioner",
                cost="180.00",
                funding_source="core",
            ),
            EnvelopeDraft(date(2026, 11, 2), RecordedBy("u-test", "senco", sibling.setting_id)),
        )
    chooser = client.get("/group-session")
    assert chooser.status_code == 200
    options = re.findall(r'<option value="([^"]+)"[^>]*>[^<]*\((\d+) children\)', chooser.text)
    assert options, "the demo cohort runs group provisions"
    provision = options[0][0]
    page = client.get(f"/group-session?provision={provision}")
    ids = sorted(set(re.findall(r'name="([0-9a-f-]{36})\.done"', page.text)))
    assert len(ids) >= 2
    return provision, ids, page.text


def test_a_group_session_is_saved_for_each_child(app: FastAPI, as_: Client, world: World) -> None:
    client = as_("practitioner")
    provision, ids, page = a_group(client, app, world)
    before = lengths(app, ids)
    data = {
        "csrf": csrf_of(page),
        "provision_id": provision,
        "session_date": "2026-11-23",
        "minutes": "20",
    }
    data |= {f"{i}.done": "delivered" for i in ids}
    response = client.post("/group-session", data=data)
    assert response.status_code == 303, response.text
    assert lengths(app, ids) == [n + 1 for n in before]
    assert f"saved={len(ids)}" in response.headers["location"]


def test_one_childs_problem_saves_nothing_and_is_named(
    app: FastAPI, as_: Client, world: World
) -> None:
    client = as_("practitioner")
    provision, ids, page = a_group(client, app, world)
    before = lengths(app, ids)
    data = {
        "csrf": csrf_of(page),
        "provision_id": provision,
        "session_date": "2026-11-23",
        "minutes": "20",
        f"{ids[0]}.done": "delivered",
        f"{ids[1]}.done": "missed",
    }
    response = client.post("/group-session", data=data)
    assert response.status_code == 422
    assert "Nothing was saved" in response.text
    assert "reason" in response.text
    assert lengths(app, ids) == before


def test_an_inspector_has_no_group_pages(as_: Client) -> None:
    assert as_("inspector").get("/group-session").status_code == 403
    assert as_("inspector").get("/class-attendance").status_code == 403


def test_a_class_attendance_is_saved_for_every_child_given(app: FastAPI, as_: Client) -> None:
    client = as_("senco")
    page = client.get("/class-attendance")
    assert page.status_code == 200
    ids = sorted(set(re.findall(r'name="([0-9a-f-]{36})\.possible"', page.text)))
    assert len(ids) >= 2
    before = lengths(app, ids)
    data = {"csrf": csrf_of(page.text), "period_start": "2026-11-02", "period_end": "2026-11-20"}
    bad = data | {f"{ids[0]}.possible": "30", f"{ids[0]}.attended": "31"}
    refused = client.post("/class-attendance", data=bad)
    assert refused.status_code == 422
    assert lengths(app, ids) == before
    good = data | {f"{i}.possible": "30" for i in ids} | {f"{i}.attended": "28" for i in ids}
    stored = client.post("/class-attendance", data=good)
    assert stored.status_code == 303, stored.text
    assert lengths(app, ids) == [n + 1 for n in before]


def test_the_setting_provision_map_has_a_chart_a_table_and_a_csv(as_: Client) -> None:
    client = as_("senco")
    page = client.get("/provision-map")
    assert page.status_code == 200
    assert "<svg" in page.text
    assert "Sessions planned" in page.text
    past = client.get("/provision-map?as_of=2000-01-01")
    assert "No provision had started by then" in past.text
    download = client.get("/provision-map.csv")
    assert download.status_code == 200
    assert download.text.startswith("term,provision,area,children")
    assert as_("practitioner").get("/provision-map").status_code == 403
