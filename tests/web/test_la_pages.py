"""The LA request page: readiness against a chosen profile for staff and inspectors, the
pre-filled request as a download for SENCOs and admins, and an export that carries it."""

from __future__ import annotations

import io
import json
import zipfile

from tests.web.conftest import Client
from tests.web.world import World, csrf_of


def test_staff_and_inspectors_see_readiness_against_the_chosen_profile(
    as_: Client, world: World
) -> None:
    for role in ("senco", "practitioner", "inspector"):
        page = as_(role).get(f"/children/{world.own}/la-request?la=example-shire-apdr")
        assert page.status_code == 200, role
        assert "Example Shire: graduated-approach evidence (APDR cycles)" in page.text
        assert "educational psychologist" in page.text
        assert "Not required by law" in page.text
        assert ("Download the request" in page.text) is (role == "senco")
    default = as_("senco").get(f"/children/{world.own}/la-request")
    assert "Generic request (SEND Code of Practice)" in default.text  # offered
    # first shown: the profile the overview judges by (issue 16.5)
    assert '<option value="generic" selected>Readiness hints (built in)' in default.text


def test_parents_read_it_as_the_api_gives_it_and_outsiders_do_not(
    as_: Client, world: World
) -> None:
    # One permission table: a parent reads the LA readiness of their own child through
    # the API, so the page too (without the download, which is the SENCO's).
    page = as_("parent").get(f"/children/{world.own}/la-request")
    assert page.status_code == 200
    assert "Download the request" not in page.text
    hidden = as_("outsider").get(f"/children/{world.own}/la-request")
    assert hidden.status_code == 404


def test_a_senco_downloads_the_request_and_a_bad_page_limit_is_named(
    as_: Client, world: World
) -> None:
    senco = as_("senco")
    page = senco.get(f"/children/{world.own}/la-request?la=example-city-nospend")
    csrf = csrf_of(page.text)

    html = senco.post(
        f"/children/{world.own}/la-request",
        data={"csrf": csrf, "la": "example-city-nospend", "format": "html"},
    )
    bad = senco.post(
        f"/children/{world.own}/la-request",
        data={"csrf": csrf, "la": "example-city-nospend", "format": "pdf", "pages": "0"},
    )
    unknown = senco.post(
        f"/children/{world.own}/la-request",
        data={"csrf": csrf, "la": "zzmarker", "format": "pdf"},
    )

    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert "Tracking log" in html.text
    assert bad.status_code == 422
    assert "Page limit must be 1 or more" in bad.text
    assert unknown.status_code == 422
    assert "Choose a local authority from the list" in unknown.text
    assert "zzmarker" not in unknown.text


def test_a_practitioner_cannot_download_the_request(as_: Client, world: World) -> None:
    client = as_("practitioner")
    csrf = csrf_of(client.get(f"/children/{world.own}/la-request").text)
    refused = client.post(
        f"/children/{world.own}/la-request",
        data={"csrf": csrf, "la": "generic-cop", "format": "html"},
    )
    assert refused.status_code == 403


def test_an_export_from_the_page_can_carry_an_las_request(as_: Client, world: World) -> None:
    senco = as_("senco")
    page = senco.get(f"/children/{world.own}")
    assert 'name="la"' in page.text  # the export form offers the LA's request

    bundle = senco.post(
        f"/children/{world.own}/export",
        data={"csrf": csrf_of(page.text), "as_of": "2026-11-24", "la": "example-shire-apdr"},
    )

    assert bundle.status_code == 200
    summary = json.loads(zipfile.ZipFile(io.BytesIO(bundle.content)).read("data/bundle.json"))
    assert summary["la_request"]["profile"] == "example-shire-apdr"
    inspector = as_("inspector")
    checked = inspector.post(
        "/verify",
        data={"csrf": csrf_of(inspector.get("/verify").text)},
        files={"bundle": ("bundle.zip", bundle.content, "application/zip")},
    )
    assert "Verified: this bundle is genuine" in checked.text
    assert "Pre-filled for the profile <code>example-shire-apdr</code>" in checked.text
