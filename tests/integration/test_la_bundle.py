"""The pre-filled LA request on a real store: within its page budget (counted in the real
PDF), signed inside the evidence bundle, and checked by the verifier, which refuses a
request that cites an entry the bundle does not carry."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import bagit
import pytest
from pypdf import PdfReader

from api import la_requests
from api.bootstrap import Exporter, open_records
from api.settings import Settings
from domain import commands as cmd
from domain.application import ChildRecords
from exporters import pdf
from exporters.archive import read_zip, write_zip
from exporters.la_document import TRIBUNAL_PAGES, fit_to_pages
from exporters.la_document import render_html as render_request_html
from exporters.verify import VerificationError, verify_bundle
from ledger.keys import EXPORTER_KEY, LOG_KEY, create_key_pair, key_paths, load_private
from projections.la_profile import BUILTIN_DIR, LoadedProfile, load_profile, scan_profiles
from projections.la_request import cited_versions
from tests.factories import TODAY, fixed_clock, on
from tests.la_history import Known, on_store, register_known_child
from tests.support.bundles import resign

CASE_FILE = """\
schema = "sendtrail/la-profile/v1"
id = "case-file"
name = "Case file: everything observed"
local_authority = "Example Council (fictional)"
source = "test"
updated = 2026-11-01

[[expectations]]
id = "reviews"
kind = "reviewed_cycles"
title = "Two reviews"

[[sections]]
id = "all"
title = "The case file"
fields = [
  { label = "Name", fill = "child.name" },
  { label = "Observations", fill = "observations" },
  { label = "Reviews", fill = "plans.reviews" },
  { label = "Parents' views", fill = "views.parent" },
  { label = "Signed", fill = "signature.parent" },
]
"""


def pdf_pages(content: bytes, tmp: Path) -> int:
    """Pages of a PDF, by poppler's pdfinfo when present, else by pypdf (WeasyPrint may put
    the page objects in compressed object streams, where no regex can count them)."""
    if shutil.which("pdfinfo"):
        path = tmp / "count.pdf"
        path.write_bytes(content)
        out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
        return int(re.search(r"^Pages:\s+(\d+)", out.stdout, re.M).group(1))  # type: ignore[union-attr]
    return len(PdfReader(io.BytesIO(content)).pages)


@dataclass
class World:
    settings: Settings
    records: ChildRecords
    exporter: Exporter
    child: UUID
    known: Known
    profiles: dict[str, LoadedProfile]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("la") / "data")
    for name in (LOG_KEY, EXPORTER_KEY):
        create_key_pair(settings.keys_dir, name)
    records = open_records(settings, clock=fixed_clock)
    child, known = register_known_child(records)
    yield World(
        settings,
        records,
        Exporter(records, settings, pdf=False),
        child,
        known,
        scan_profiles([BUILTIN_DIR]).profiles,
    )
    records.close()


@pytest.fixture(scope="module")
def long_child(world: World) -> UUID:
    """A child with two years of weekly observations and many reviews: a long request."""
    records = world.records
    child, _ = register_known_child(records, "Longer")
    add = on_store(records, child)
    for n in range(300):  # Mondays, Wednesdays and Fridays for 100 weeks
        week = n // 3
        day = date(2024, 9, 9) + timedelta(weeks=week, days=2 * (n % 3))
        add(
            cmd.RecordObservation,
            day,
            by=on(day).recorded_by,
            basis="fact",
            area="communication_language",
            notes=f"Week {week}: joined the group for {week % 7 + 2} minutes; named "
            "three objects with a model; left when the room grew loud.",
            observer="Key person",
        )
    return child


@pytest.mark.slow  # real PDF renders
@pytest.mark.parametrize("share", [2, 3])
def test_fitting_to_a_budget_takes_at_most_two_renders(
    world: World, long_child: UUID, tmp_path: Path, share: int
) -> None:
    """The first render (of the whole request) shows how tall each statement is, so the
    second already fits: never a third."""
    (tmp_path / "case-file.toml").write_text(CASE_FILE)
    loaded = load_profile(tmp_path / "case-file.toml")
    full = la_requests.request(world.exporter.views, long_child, loaded, as_of=TODAY)
    renders: list[int] = []

    def render(html: str) -> pdf.Pdf:
        made = pdf.render(html, epoch=0)
        renders.append(made.pages)
        return made

    budget = max(4, pdf_pages(full.pdf or b"", tmp_path) // share)
    fitted, made = fit_to_pages(full.request, budget, render, render_request_html)
    assert len(renders) == 2
    assert pdf_pages(made.content, tmp_path) <= budget
    assert fitted["page_budget"]["met"] is True


@pytest.mark.slow  # a real PDF render
def test_the_page_budget_is_respected_in_the_real_pdf(
    world: World, long_child: UUID, tmp_path: Path
) -> None:
    """Given a request that runs longer than the budget, when it is laid out within it,
    then the PDF has no more pages than asked, the most relevant statements stay, and
    what was left out is listed with its versions."""
    (tmp_path / "case-file.toml").write_text(CASE_FILE)
    loaded = load_profile(tmp_path / "case-file.toml")
    full = la_requests.request(world.exporter.views, long_child, loaded, as_of=TODAY)
    assert full.pdf is not None
    full_pages = pdf_pages(full.pdf, tmp_path)
    budget = full_pages // 2
    assert budget >= 4, "the test needs a request several pages long"

    fitted = la_requests.request(
        world.exporter.views, long_child, loaded, as_of=TODAY, pages=budget
    )

    assert fitted.pdf is not None
    assert pdf_pages(fitted.pdf, tmp_path) <= budget
    assert fitted.request["page_budget"] == {
        "pages": budget,
        "pages_full": full_pages,
        "used": fitted.pages,
        "met": True,
    }
    trimmed = [i for i in fitted.request["left_out"] if "within" in i["reason"]]
    assert trimmed
    assert all(i["tier"] >= 2 for i in trimmed)  # only less relevant evidence went
    kept = {
        f["label"]: f["statements"] for sec in fitted.request["sections"] for f in sec["fields"]
    }
    dropped = [i["on"] for i in trimmed if i["field"] == "Observations"]
    assert dropped
    assert max(dropped) < min(s["on"] for s in kept["Observations"])  # the newest stay
    assert len(kept["Reviews"]) == 3  # tier 1: every review kept
    assert "Evidence left out of this document" in fitted.html
    cited = cited_versions(fitted.request)
    assert cited == cited_versions(full.request)  # left out, still cited and listed


@pytest.mark.slow  # a real PDF render
def test_tribunal_mode_uses_the_tribunal_page_limit(world: World) -> None:
    loaded = world.profiles["generic-cop"]
    document = la_requests.request(
        world.exporter.views, world.child, loaded, as_of=TODAY, tribunal=True
    )

    assert document.request["tribunal"] is True
    assert document.request["page_budget"]["pages"] == TRIBUNAL_PAGES
    assert document.request["page_budget"]["met"] is True
    assert "SEND Tribunal evidence limit" in document.html


@pytest.fixture(scope="module")
def la_bundle(world: World) -> bytes:
    request = la_requests.la_request(world.profiles["example-shire-apdr"], pages=6)
    bundle = world.exporter.export(world.child, as_of=TODAY, known_at=None, reason=None, la=request)
    return bundle.content


def test_a_bundle_with_the_request_verifies_and_carries_it_signed(
    world: World, la_bundle: bytes, tmp_path: Path
) -> None:
    verified = verify_bundle(la_bundle)
    files = read_zip(la_bundle)
    summary = json.loads(files["data/bundle.json"])
    request = json.loads(files["data/la-request.json"])
    admitted = {
        json.loads(line)["leaf"]["version"]
        for line in files["data/events.jsonl"].splitlines()
        if json.loads(line)["admitted"]
    }

    assert verified.entries_admitted == len(admitted)
    assert summary["la_request"]["profile"] == "example-shire-apdr"
    assert summary["la_request"]["files"] == [
        "la-request.html",
        "la-request.json",
        "la-request.pdf",
    ]
    assert request["profile"]["sha256"] == summary["la_request"]["profile_sha256"]
    assert cited_versions(request) <= admitted
    assert pdf_pages(files["data/la-request.pdf"], tmp_path) <= 6
    target = tmp_path / "bag"
    with_bag = tmp_path / "bundle.zip"
    with_bag.write_bytes(la_bundle)
    shutil.unpack_archive(with_bag, target)
    assert bagit.Bag(str(target)).is_valid()


def test_the_request_is_made_from_the_bundles_own_view_of_the_past(world: World) -> None:
    """As of 1 May 2025 no review had been held: the request in that bundle cites no
    review and still verifies."""
    request = la_requests.la_request(world.profiles["generic-cop"])
    bundle = world.exporter.export(
        world.child, as_of=date(2025, 5, 1), known_at=None, reason=None, la=request
    )
    files = read_zip(bundle.content)
    filled = json.loads(files["data/la-request.json"])

    verify_bundle(bundle.content)
    assert not set(world.known.reviews) & cited_versions(filled)
    reviews = next(
        f for s in filled["sections"] for f in s["fields"] if f["fill"] == "plans.reviews"
    )
    assert reviews["gap"] == "Hold and record a review of the support plan."


def test_a_changed_request_fails_verification(la_bundle: bytes) -> None:
    files = read_zip(la_bundle)
    files["data/la-request.html"] = files["data/la-request.html"].replace(b"Reviews", b"Revues")

    with pytest.raises(VerificationError) as failed:
        verify_bundle(write_zip(files))

    assert failed.value.where == "data/la-request.html"


def test_a_resigned_request_citing_an_entry_the_bundle_does_not_carry_fails(
    world: World, la_bundle: bytes
) -> None:
    """Even someone holding the exporter key cannot make the request claim evidence that
    is not in the bundle: the verifier checks every cited version."""
    files = read_zip(la_bundle)
    request = json.loads(files["data/la-request.json"])
    listed = len(files["data/events.jsonl"].splitlines())
    request["sections"][0]["fields"][0]["statements"][0]["versions"].append(listed + 40)
    files["data/la-request.json"] = json.dumps(request).encode()
    key = load_private(key_paths(world.settings.keys_dir, EXPORTER_KEY).private)

    with pytest.raises(VerificationError) as failed:
        verify_bundle(resign(files, key))

    assert failed.value.where == "data/la-request.json"
    assert f"cites v{listed + 40}" in failed.value.reason


def test_a_request_removed_with_its_files_fails_against_the_signed_summary(
    world: World, la_bundle: bytes
) -> None:
    files = read_zip(la_bundle)
    for name in ("data/la-request.json", "data/la-request.html", "data/la-request.pdf"):
        del files[name]
    key = load_private(key_paths(world.settings.keys_dir, EXPORTER_KEY).private)

    with pytest.raises(VerificationError) as failed:
        verify_bundle(resign(files, key))

    assert failed.value.reason == "missing: the signed summary lists it"


def test_on_each_store_an_export_with_the_request_verifies(settings: Settings) -> None:
    """The same export on SQLite and on PostgreSQL: the request cites only what the
    bundle carries, and the bundle verifies."""
    for name in (LOG_KEY, EXPORTER_KEY):
        create_key_pair(settings.keys_dir, name)
    records = open_records(settings, clock=fixed_clock)
    try:
        child, known = register_known_child(records)
        profile = scan_profiles([BUILTIN_DIR]).profiles["example-borough-notional"]
        bundle = Exporter(records, settings, pdf=False).export(
            child, as_of=TODAY, known_at=None, reason=None, la=la_requests.la_request(profile)
        )
    finally:
        records.close()
    request = json.loads(read_zip(bundle.content)["data/la-request.json"])

    assert verify_bundle(bundle.content).entries_admitted == bundle.admitted
    assert known.provisions[1] in cited_versions(request)
