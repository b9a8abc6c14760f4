"""Every kind of write in the catalogue has a page form (issue 19.1): generated from the
row's input model when no hand-made form exists. Through the real app: a filled form
stores exactly one event of its kind; a refused one stores nothing, shows every problem
at once beside its field and keeps what was typed."""

from __future__ import annotations

import re
from typing import Any, cast
from uuid import UUID

import pytest
from fastapi import FastAPI

from api.catalogue import WRITES
from api.deps import Services
from api.permissions import allows
from tests.web.conftest import Client
from tests.web.world import World, csrf_of


def services(app: FastAPI) -> Services:
    return cast(Services, app.state.services)


def history(app: FastAPI, child: UUID) -> list[Any]:
    return services(app).records.history(child)


def post(client: Any, world: World, slug: str, fields: dict[str, str]) -> Any:
    page = client.get(f"/children/{world.own}/record/{slug}")
    assert page.status_code == 200, page.text
    version = re.search(r'name="expected_version" value="([0-9]+)"', page.text)
    assert version is not None
    data = {"csrf": csrf_of(page.text), "expected_version": version.group(1), **fields}
    return client.post(f"/children/{world.own}/record/{slug}", data=data)


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.slug)
def test_every_kind_of_write_has_a_page_for_the_roles_that_make_it(
    as_: Client, world: World, write: Any
) -> None:
    for role in ("senco", "practitioner"):
        response = as_(role).get(f"/children/{world.own}/record/{write.slug}")
        expected = 200 if allows(role, write.action) else 403
        assert response.status_code == expected, (role, response.text[:300])


def test_the_record_page_lists_every_form_a_senco_may_use(as_: Client, world: World) -> None:
    page = as_("senco").get(f"/children/{world.own}/record")
    assert page.status_code == 200
    for write in WRITES:
        assert f'/record/{write.slug}"' in page.text, write.slug


def test_a_practitioner_is_not_offered_what_only_sencos_record(as_: Client, world: World) -> None:
    page = as_("practitioner").get(f"/children/{world.own}/record")
    assert '/record/observation"' in page.text
    assert '/record/plan"' not in page.text
    assert '/record/ehc-request"' not in page.text


def test_an_empty_generated_form_stores_nothing_and_shows_every_problem_at_once(
    app: FastAPI, as_: Client, world: World
) -> None:
    before = len(history(app, world.own))
    response = post(as_("senco"), world, "attendance", {"occurred_at": "2026-11-20"})
    assert response.status_code == 422
    assert len(history(app, world.own)) == before
    errors = re.findall(r'class="field-error" id="f-([a-z_]+)-error"', response.text)
    assert set(errors) >= {"period_start", "period_end", "sessions_possible", "sessions_attended"}
    assert 'value="2026-11-20"' in response.text  # what was typed is kept


def test_a_domain_refusal_keeps_what_was_typed_and_names_the_field(
    app: FastAPI, as_: Client, world: World
) -> None:
    before = len(history(app, world.own))
    fields = {
        "occurred_at": "2026-11-20",
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
        "sessions_possible": "40",
        "sessions_attended": "41",
    }
    response = post(as_("senco"), world, "attendance", fields)
    assert response.status_code == 422
    assert len(history(app, world.own)) == before
    assert 'value="41"' in response.text
    assert 'id="f-sessions_attended-error"' in response.text


@pytest.mark.parametrize(
    ("slug", "fields", "kind"),
    [
        (
            "concern",
            {
                "occurred_at": "2026-11-20",
                "concern_id": "gen-concern-1",
                "areas.physical": "1",
                "areas.literacy": "1",
                "level": "medium",
                "description": "Finds pencil grip hard.",
            },
            "ConcernRaised",
        ),
        (
            "tracking",
            {
                "occurred_at": "2026-11-20",
                "area": "physical",
                "band": "30-50 months",
                "months_low": "30",
                "months_high": "50",
                "chronological_months": "44",
            },
            "TrackingAssessed",
        ),
        (
            "child-view",
            {
                "occurred_at": "2026-11-20",
                "view": "Likes the sand tray best.",
                "method": "Talking mat",
            },
            "ChildViewRecorded",
        ),
        (
            "report",
            {
                "occurred_at": "2026-11-20",
                "report_id": "gen-report-1",
                "author": "A Therapist",
                "author_role": "Occupational therapist",
                "service": "Occupational therapy",
                "report_date": "2026-11-18",
                "summary": "Fine motor delay.",
                "recommendations.0.recommendation_id": "r1",
                "recommendations.0.text": "Daily playdough.",
            },
            "ReportReceived",
        ),
    ],
)
def test_a_filled_generated_form_stores_one_event_of_its_kind(
    app: FastAPI, as_: Client, world: World, slug: str, fields: dict[str, str], kind: str
) -> None:
    before = len(history(app, world.own))
    response = post(as_("senco"), world, slug, fields)
    assert response.status_code == 303, response.text
    stored = history(app, world.own)
    assert len(stored) == before + 1
    assert type(stored[-1]).__name__ == kind
    assert f"saved={slug}" in response.headers["location"]


def test_a_report_keeps_its_recommendation_rows(app: FastAPI, as_: Client, world: World) -> None:
    fields = {
        "occurred_at": "2026-11-21",
        "report_id": "gen-report-rows",
        "author": "A Therapist",
        "author_role": "Occupational therapist",
        "service": "Occupational therapy",
        "report_date": "2026-11-19",
        "summary": "Fine motor delay.",
        "recommendations.0.recommendation_id": "r1",
        "recommendations.0.text": "Daily playdough.",
    }
    assert post(as_("senco"), world, "report", fields).status_code == 303  # on its own
    reports = [e for e in history(app, world.own) if type(e).__name__ == "ReportReceived"]
    generated = [r for r in reports if r.report_id == "gen-report-rows"]
    assert len(generated) == 1
    assert [r["text"] for r in generated[0].recommendations] == ["Daily playdough."]


def test_a_path_id_is_a_field_of_its_own_and_a_change_splits_nothing_else(
    app: FastAPI, as_: Client, world: World
) -> None:
    child = services(app).records.get_child(world.own)
    running = [p for p, row in child.provisions.items() if row.get("end_date") is None]
    assert running, "the demo child has a running provision"
    offered = as_("senco").get(f"/children/{world.own}/record/provision-change").text
    assert f'<option value="{running[0]}"' in offered  # the record's own provisions
    empty = post(as_("senco"), world, "provision-change", {"occurred_at": "2026-11-20"})
    assert empty.status_code == 422
    assert 'id="f-provision_id-error"' in empty.text
    before = len(history(app, world.own))
    response = post(
        as_("senco"),
        world,
        "provision-change",
        {
            "occurred_at": "2026-11-20",
            "provision_id": running[0],
            "changes.sessions_per_week": "4",
            "reason": "More practice after the review",
        },
    )
    assert response.status_code == 303, response.text
    stored = history(app, world.own)
    assert len(stored) == before + 1
    assert type(stored[-1]).__name__ == "ProvisionChanged"
    assert stored[-1].changes["sessions_per_week"] == 4


def test_a_mistake_mark_offered_from_the_chronology_names_its_entry(
    app: FastAPI, as_: Client, world: World
) -> None:
    client = as_("senco")
    chronology = client.get(f"/children/{world.own}/chronology")
    link = re.search(r'/record/mistake\?entry=([0-9]+)"', chronology.text)
    assert link is not None
    target = link.group(1)
    page = client.get(f"/children/{world.own}/record/mistake?entry={target}")
    assert f'value="{target}"' in page.text
    before = len(history(app, world.own))
    response = post(
        client,
        world,
        "mistake",
        {"occurred_at": "2026-11-24", "target_version": target, "reason": "Wrong child"},
    )
    assert response.status_code == 303, response.text
    assert len(history(app, world.own)) == before + 1
    assert history(app, world.own)[-1].target_version == int(target)


def test_a_senco_adds_a_child_and_lands_on_their_record(app: FastAPI, as_: Client) -> None:
    client = as_("senco")
    listing = client.get("/children")
    assert 'href="/children/new"' in listing.text
    form = client.get("/children/new")
    assert form.status_code == 200
    refused = client.post(
        "/children/new",
        data={"csrf": csrf_of(form.text), "given_name": "Ada", "occurred_at": "2026-11-20"},
    )
    assert refused.status_code == 422
    assert 'id="f-family_name-error"' in refused.text
    assert 'value="Ada"' in refused.text
    before = len(list(services(app).records.child_ids()))
    added = client.post(
        "/children/new",
        data={
            "csrf": csrf_of(form.text),
            "given_name": "Ada",
            "family_name": "Example",
            "date_of_birth": "2023-03-01",
            "occurred_at": "2026-11-20",
        },
    )
    assert added.status_code == 303, added.text
    assert len(list(services(app).records.child_ids())) == before + 1
    page = client.get(added.headers["location"])
    assert "Child added" in page.text
    assert as_("practitioner").get("/children/new").status_code == 403


def test_a_correction_from_its_form_with_and_without_corrected_values(
    app: FastAPI, as_: Client, world: World
) -> None:
    records = services(app).records
    status = max(
        e.originator_version
        for e in records.history(world.own)
        if type(e).__name__ == "SenStatusChanged"
    )
    client = as_("senco")
    plain = post(
        client,
        world,
        "correction",
        {"occurred_at": "2026-11-24", "supersedes": str(status), "statement": "Spelling."},
    )
    assert plain.status_code == 303, plain.text
    assert history(app, world.own)[-1].values is None
    valued = post(
        client,
        world,
        "correction",
        {
            "occurred_at": "2026-11-24",
            "supersedes": str(status),
            "statement": "The primary need was autism.",
            "values.status": "K",
            "values.need_codes.ASD": "1",
            "values.primary_need": "ASD",
        },
    )
    assert valued.status_code == 303, valued.text
    corrected = history(app, world.own)[-1]
    assert corrected.values["primary_need"] == "ASD"
