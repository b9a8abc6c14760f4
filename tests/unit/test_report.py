"""The human report: given real views of demo children, the HTML and PDF a caseworker reads."""

from __future__ import annotations

import http.server
import io
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from pypdf import PdfReader

from api.bootstrap import open_ledger, open_records
from api.demo import build_demo_cohort
from api.settings import Settings
from domain import commands as cmd
from domain.application import ChildRecords
from exporters.report import SECTIONS, SENTENCES, ReportInput, render_html, render_pdf
from exporters.report_pdf import KIND_LABELS, render_report_pdf
from projections.views import VIEWS, ChildViews
from tests.factories import (
    PARENT,
    PRACTITIONER,
    TODAY,
    fixed_clock,
    register,
    with_parent,
    with_provision,
)

EHC_CHILD = 4  # api.demo.ARCHETYPES: the fifth child of a cohort is the EHC-request one
MONITOR_CHILD = 1  # ... and the second a short "agreed concern: monitor" record
EPOCH = 1_764_000_000
ROOT = "5d2c" * 16


@dataclass
class Store:
    records: ChildRecords
    views: ChildViews
    children: list[UUID]

    def report(self, child_id: UUID, reason: str | None = "Needs exceed SEN support.") -> str:
        return render_html(self.input(child_id, reason))

    def input(self, child_id: UUID, reason: str | None = None) -> ReportInput:
        views = {name: self.views.view(name, child_id, as_of=TODAY) for name in VIEWS}
        return ReportInput(
            views=views,
            as_of=TODAY.isoformat(),
            known_at=None,
            checkpoint_size=321,
            root_hex=ROOT,
            signer_key_id="ed25519:0a1b2c3d4e5f6071",
            files=[("events.jsonl", 40_960), ("chronology.json", 12_345)],
            request_reason=reason,
        )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A demo cohort of five children (one per archetype) in a SQLite store."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("report") / "d")
    records = open_records(settings, clock=fixed_clock)
    children = build_demo_cohort(records, children=5, seed=7, today=TODAY)
    yield Store(records, ChildViews(records, open_ledger(records, settings)), children)
    records.close()


@pytest.fixture(scope="module")
def ehc_html(store: Store) -> str:
    return store.report(store.children[EHC_CHILD])


@pytest.fixture(scope="module")
def ehc_pdf(ehc_html: str) -> bytes:
    return render_pdf(ehc_html, epoch=EPOCH)


def chronology_of(store: Store, child_id: UUID, kind: str) -> list[dict[str, Any]]:
    entries = store.views.view("chronology", child_id, as_of=TODAY)["entries"]
    return [e for e in entries if e["kind"] == kind]


class TestWhatTheCaseworkerReads:
    def test_every_section_heading_appears_in_the_order_of_the_brief(self, ehc_html: str) -> None:
        positions = [ehc_html.find(f'<h2 id="{key}">') for key, _ in SECTIONS]
        assert -1 not in positions
        assert positions == sorted(positions)
        for _, title in SECTIONS:
            assert title in ehc_html

    def test_the_need_code_a_provision_cost_a_parents_view_and_the_root_are_shown(
        self, store: Store, ehc_html: str
    ) -> None:
        child = store.children[EHC_CHILD]
        view = chronology_of(store, child, "ParentViewRecorded")[0]
        provision = store.views.view("provision-map", child, as_of=TODAY)["provisions"][0]
        assert '<span class="code">SLCN</span>' in ehc_html
        assert f"£{provision['cost']}" in ehc_html
        assert view["details"]["view"] in ehc_html
        assert ROOT in ehc_html

    def test_statements_name_the_entry_they_come_from(self, store: Store, ehc_html: str) -> None:
        child = store.children[EHC_CHILD]
        status = store.views.view("plan", child, as_of=TODAY)["sen_status"]
        request = chronology_of(store, child, "EhcRequestSubmitted")[0]
        assert f'<span class="ref">entry {status["version"]}</span>' in ehc_html
        assert f'<span class="ref">entry {request["version"]}</span>' in ehc_html
        assert "never block a request" in ehc_html

    def test_the_same_input_gives_the_same_html(self, store: Store, ehc_html: str) -> None:
        assert store.report(store.children[EHC_CHILD]) == ehc_html


class TestRecordTextIsEscaped:
    def test_a_script_in_an_observation_is_shown_as_text(self, store: Store) -> None:
        child = with_parent(register(store.records))
        child.do(
            cmd.RecordObservation,
            date(2025, 3, 3),
            PRACTITIONER,
            area="physical",
            notes="Climbed <script>alert('x')</script> & smiled",
            observer="Key person",
        )
        html = store.report(child.child_id)
        assert "<script>" not in html
        assert "Climbed &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; smiled" in html

    def test_a_provision_past_its_planned_end_says_so_and_readiness_says_why_absent(
        self, store: Store
    ) -> None:
        child = with_provision(with_parent(register(store.records)))  # 10 weeks from 6 Jan 2025
        html = " ".join(store.report(child.child_id).split())
        assert "planned to end 16 Mar 2025" in html
        assert "past its planned end</span>, no end recorded" in html
        assert "No readiness hints: No concern, SEN support or EHC" in html
        assert "0 of 0" not in html

    def test_a_provision_change_names_its_units_and_splits_at_its_date(self, store: Store) -> None:
        child = with_parent(register(store.records))
        child.do(
            cmd.StartProvision,
            date(2025, 1, 6),
            provision_id="talk",
            description="Talk group",
            area="communication_language",
            start_date=date(2025, 1, 6),
            group_size=4,
            session_minutes=20,
            sessions_per_week=3,
            weeks=10,
            staff_grade="practitioner",
            cost="300.00",
            funding_source="core",
        )
        child.do(
            cmd.ChangeProvision,
            date(2025, 2, 5),
            provision_id="talk",
            changes={"sessions_per_week": 4, "cost": "400.00"},
            reason="A fourth session",
        )
        html = store.report(child.child_id)
        assert "cost to £400.00 for the whole block, sessions to 4 a week" in html
        assert "6 Jan 2025 to 9 Feb 2025: 3 sessions a week of 20 min, £30.00 a week" in html
        assert "From 10 Feb 2025 (changed 5 Feb 2025): 4 sessions a week" in html
        assert "0 of 20 planned delivered" in html
        assert "0 of 35 planned" in html


class TestProgressChart:
    def test_the_chart_and_its_table_show_the_same_points(self, store: Store) -> None:
        child = register(store.records, born=date(2023, 1, 10))
        for day, area, low, high, age in [
            (date(2024, 10, 1), "communication_language", 8, 12, 20),
            (date(2025, 3, 1), "communication_language", 11, 16, 25),
            (date(2025, 3, 1), "physical", 16, 22, 25),
        ]:
            child.do(
                cmd.AssessTracking,
                day,
                PRACTITIONER,
                area=area,
                band=f"{low}-{high} months",
                months_low=low,
                months_high=high,
                chronological_months=age,
            )
        html = store.report(child.child_id)
        svg = re.search(r"<svg.*?</svg>", html, flags=re.S)
        assert svg is not None
        bars = re.findall(r"<g><title>", svg.group(0))
        rows = re.findall(r'<tr class="point">', html)
        assert len(bars) == len(rows) == 3
        assert "Chronological age (months)" in svg.group(0)
        assert "Communication and language" in svg.group(0)  # the legend

    def test_without_tracking_the_report_says_so_and_draws_no_chart(self, store: Store) -> None:
        child = with_parent(register(store.records))
        child.do(
            cmd.RecordParentView,
            date(2025, 1, 6),
            PARENT,
            person_id="parent-1",
            view="Settling in well.",
        )
        html = store.report(child.child_id, reason=None)
        assert "<svg" not in html
        assert "No tracking assessments are on the record" in html
        assert "No EHC needs assessment request is on the record" in html


@pytest.mark.slow  # WeasyPrint renders real PDFs
class TestPdf:
    def test_two_renders_with_the_same_epoch_are_byte_identical(self, store: Store) -> None:
        # A short record (chart, tables and every font included) keeps this test quick.
        html = store.report(store.children[MONITOR_CHILD])
        before = os.environ.get("SOURCE_DATE_EPOCH")
        first = render_pdf(html, epoch=EPOCH)
        second = render_pdf(html, epoch=EPOCH)
        assert first.startswith(b"%PDF")
        assert second == first
        assert os.environ.get("SOURCE_DATE_EPOCH") == before  # restored after rendering

    def test_the_pdf_text_has_the_childs_name_and_how_to_verify(
        self, store: Store, ehc_pdf: bytes, tmp_path: Path
    ) -> None:
        if shutil.which("pdftotext") is None:
            pytest.skip("pdftotext (poppler-utils) is not installed: apt-get install poppler-utils")
        child = store.views.view("plan", store.children[EHC_CHILD], as_of=TODAY)["child"]
        pdf = tmp_path / "report.pdf"
        pdf.write_bytes(ehc_pdf)
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert f"{child['given_name']} {child['family_name']}" in text
        assert "How to verify this bundle" in text

    def test_rendering_fetches_nothing_even_when_the_html_names_urls(self) -> None:
        hits: list[str] = []

        class Recorder(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(404)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            pdf = render_pdf(
                f'<link rel="stylesheet" href="{url}/s.css"><p>Hello</p><img src="{url}/i.png">',
                epoch=EPOCH,
            )
        finally:
            server.shutdown()
            server.server_close()
        assert pdf.startswith(b"%PDF")
        assert hits == []


LONG_VIEW = (
    "We see him trying new words at home every evening, and bath time is calmer now that we "
    "use the same now-and-next pictures as the nursery. Mornings are still hard when the "
    "routine changes, and he asks for the key person by name on the way in."
)


@pytest.fixture(scope="module")
def long_child(store: Store) -> UUID:
    """A record whose parents' views, contacts and tracking alone run to many pages."""
    child = with_parent(register(store.records, born=date(2022, 1, 10)))
    child.do(
        cmd.GiveConsent,
        date(2024, 9, 3),
        consent_id="c1",
        purpose="contact_professional",
        service="Speech and language therapy",
        given_by="parent-1",
    )
    for n in range(90):
        day = date(2024, 9, 9) + timedelta(days=7 * n)
        child.do(cmd.RecordParentView, day, PARENT, person_id="parent-1", view=f"{n}: {LONG_VIEW}")
        child.do(
            cmd.RecordContact,
            day,
            professional="Demo Therapist",
            professional_role="Speech and language therapist",
            service="Speech and language therapy",
            kind="call",
            summary=LONG_VIEW,
        )
        child.do(
            cmd.AssessTracking,
            day,
            area="communication_language",
            band="16-26 months",
            months_low=16,
            months_high=26,
            chronological_months=32 + n // 4,
        )
    return child.child_id


def pdf_text(content: bytes) -> str:
    return " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.slow  # WeasyPrint renders real PDFs
class TestThePdfKeepsToItsPageBudget:
    """The PDF is a summary within a page budget; report.html keeps every entry."""

    @pytest.mark.parametrize("budget", [8, 40])  # 8: the first layout overflows
    def test_the_budget_holds_and_the_pdf_sends_the_reader_to_the_full_chronology(
        self, store: Store, long_child: UUID, budget: int
    ) -> None:
        made = render_report_pdf(store.input(long_child), epoch=EPOCH, pages=budget)
        counted = len(PdfReader(io.BytesIO(made.content)).pages)
        assert counted == made.pages <= budget
        text = " ".join(pdf_text(made.content).split())
        assert "See the full chronology in report.html." in text
        assert "not shown in this PDF: see the full chronology in report.html" in text
        assert "Chronology: summary and key entries" in text

    def test_a_smaller_budget_shows_fewer_entries_the_html_shows_them_all(
        self, store: Store, long_child: UUID
    ) -> None:
        small = render_report_pdf(store.input(long_child), epoch=EPOCH, pages=8)
        large = render_report_pdf(store.input(long_child), epoch=EPOCH, pages=40)
        assert small.pages < large.pages
        views = [
            re.findall(r"\b(\d+): We see him", pdf_text(made.content)) for made in (small, large)
        ]
        assert 0 < len(views[0]) < len(views[1]) < 90
        assert views[1][-1] == "89", "the PDF keeps the most recent entries"
        html = store.report(long_child)
        assert all(f"{n}: We see him" in html for n in range(90))
        assert "not shown in this PDF" not in html

    def test_every_kind_the_report_describes_has_a_name_in_the_summary(self) -> None:
        assert set(KIND_LABELS) == set(SENTENCES)

    def test_the_same_input_gives_the_same_pdf(self, store: Store, long_child: UUID) -> None:
        first = render_report_pdf(store.input(long_child), epoch=EPOCH, pages=12)
        second = render_report_pdf(store.input(long_child), epoch=EPOCH, pages=12)
        assert first.content == second.content


def test_a_moved_entry_late_there_counts_its_lag_from_when_it_was_recorded_there() -> None:
    from exporters.report import _chronology_row, _Record
    from projections.chronology import chronology
    from tests.story import Story, stamp

    story = Story()
    story.add(
        cmd.RecordObservation,
        date(2025, 2, 1),
        recorded=stamp(date(2025, 6, 1)),  # taken in here on 1 June
        basis="imported",
        provenance={
            "source_system": "sendtrail",
            "row_key": "k1",
            "source_recorded_at": "2025-03-01T09:00:00.000000Z",  # typed up there
        },
        area="physical",
        notes="Typed up a month later",
        observer="KP",
    )
    rows = chronology(story.entries)["entries"]
    record = _Record(
        {"chronology": {"entries": rows}, "plan": {}, "provision-map": {"provisions": []}}
    )
    assert _chronology_row(rows[-1], record)["flags"] == [
        ("late", "Recorded late, 28 days after it happened")
    ]
