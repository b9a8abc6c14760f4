"""Attaching a photo or a document from the observation form (multipart, CSRF-checked):
stored stripped and attached to the new entry; a refused file or entry keeps nothing."""

from __future__ import annotations

import io

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from api.deps import Services
from tests.web.conftest import Client
from tests.web.world import World, csrf_of


def jpeg_with_gps(green: int = 200) -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (24, 16), (10, green, 90)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def services(app: FastAPI) -> Services:
    found: Services = app.state.services
    return found


def post_observation(
    client: TestClient, world: World, app: FastAPI, photo: tuple[str, bytes], **data: str
) -> httpx.Response:
    form = client.get(f"/children/{world.own}/record/observation")
    assert 'enctype="multipart/form-data"' in form.text
    assert 'capture="environment"' in form.text
    version = services(app).records.get_child(world.own).version
    posted: httpx.Response = client.post(
        f"/children/{world.own}/record/observation",
        data={
            "csrf": csrf_of(form.text),
            "expected_version": str(version),
            "occurred_at": "2026-11-20",
            "area": "physical",
            "notes": "Built a tower of six bricks.",
            "observer": "Key person",
            **data,
        },
        files={"photo": (photo[0], photo[1], "image/jpeg")},
    )
    return posted


def test_a_photo_from_the_form_is_stored_stripped_and_attached(
    app: FastAPI, as_: Client, world: World
) -> None:
    client = as_("senco")
    before = {d.sha256 for d in services(app).documents.documents(world.own)}
    posted = post_observation(client, world, app, ("IMG_1.jpg", jpeg_with_gps()))
    assert posted.status_code == 303, posted.text
    svc = services(app)
    added = [d for d in svc.documents.documents(world.own) if d.sha256 not in before]
    assert [(d.name, d.media_type, d.metadata_stripped) for d in added] == [
        ("IMG_1.jpg", "image/jpeg", True)
    ]
    last = svc.records.history(world.own)[-1]
    assert [a["sha256"] for a in last.attachments] == [added[0].sha256]  # type: ignore[index]


def test_a_file_that_is_not_a_picture_is_refused_beside_the_field(
    app: FastAPI, as_: Client, world: World
) -> None:
    client = as_("senco")
    version = services(app).records.get_child(world.own).version
    count = len(services(app).documents.documents(world.own))
    posted = post_observation(client, world, app, ("holiday.jpg", b"MZ\x90\x00not a photo" * 20))
    assert posted.status_code == 422
    assert "Photo or document" in posted.text
    assert services(app).records.get_child(world.own).version == version
    assert len(services(app).documents.documents(world.own)) == count


def test_a_refused_entry_keeps_no_file(app: FastAPI, as_: Client, world: World) -> None:
    client = as_("senco")
    count = len(services(app).documents.documents(world.own))
    posted = post_observation(
        client, world, app, ("IMG_2.jpg", jpeg_with_gps()), occurred_at="2099-01-01"
    )
    assert posted.status_code == 422
    assert len(services(app).documents.documents(world.own)) == count


def test_the_chronology_links_the_file_for_whoever_may_read_the_entry(
    app: FastAPI, as_: Client, world: World
) -> None:
    posted = post_observation(as_("senco"), world, app, ("IMG_3.jpg", jpeg_with_gps(green=30)))
    assert posted.status_code == 303
    digest = services(app).records.history(world.own)[-1].attachments[0]["sha256"]  # type: ignore[index]
    link = f"/children/{world.own}/documents/{digest}"
    page = as_("parent").get(f"/children/{world.own}/chronology")
    assert link in page.text
    assert "IMG_3.jpg" in page.text
    opened = as_("parent").get(link)
    assert opened.status_code == 200
    assert opened.headers["content-type"] == "image/jpeg"
    assert as_("parent").get(f"/children/{world.sibling}/documents/{digest}").status_code == 404


def test_a_photo_shows_as_a_small_picture_in_the_chronology(
    app: FastAPI, as_: Client, world: World
) -> None:
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), (200, 40, 40)).save(out, format="JPEG")
    posted = post_observation(as_("senco"), world, app, ("IMG_big.jpg", out.getvalue()))
    assert posted.status_code == 303, posted.text
    digest = services(app).records.history(world.own)[-1].attachments[0]["sha256"]  # type: ignore[index]
    thumb = f"/children/{world.own}/documents/{digest}?size=thumb"
    page = as_("parent").get(f"/children/{world.own}/chronology")
    assert thumb in page.text
    small = as_("parent").get(thumb)
    assert small.status_code == 200
    assert small.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(small.content)) as picture:
        assert max(picture.size) == 320
    assert (
        as_("parent").get(f"/children/{world.sibling}/documents/{digest}?size=thumb").status_code
        == 404
    )
