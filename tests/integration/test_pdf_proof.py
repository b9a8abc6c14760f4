"""The PDF carries its proof (issue 18.7): a report PDF with the signed bundle inside it is
checked by `sendtrail verify report.pdf`; a PDF whose pages are not the signed report, or
that carries no bundle, is not verified."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.bootstrap import Exporter
from exporters.archive import read_zip
from exporters.pdf_proof import bundle_of, with_bundle
from tests.support.bundles import Store, make_store, verify_pinned

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    made = make_store(tmp_path_factory.mktemp("pdfproof") / "data")
    yield made
    made.records.close()


def bundle(store: Store, child: int) -> bytes:
    exporter = Exporter(store.records, store.settings, pdf=True)
    return exporter.export(store.children[child], as_of=None, known_at=None, reason=None).content


def verify(store: Store, path: Path) -> tuple[int, str]:
    code, output = verify_pinned(store, path)
    return code, " ".join(output.split())


def test_a_report_pdf_carries_and_is_checked_by_its_bundle(store: Store, tmp_path: Path) -> None:
    content = bundle(store, 4)
    report = read_zip(content)["data/report.pdf"]
    carried = with_bundle(report, content)
    assert bundle_of(carried) == content
    path = tmp_path / "report.pdf"
    path.write_bytes(carried)
    code, said = verify(store, path)
    assert code == 0, said
    assert "VERIFIED" in said


def test_pages_that_are_not_the_signed_report_fail(store: Store, tmp_path: Path) -> None:
    genuine = bundle(store, 4)
    other_report = read_zip(bundle(store, 1))["data/report.pdf"]  # another child's pages
    path = tmp_path / "swapped.pdf"
    path.write_bytes(with_bundle(other_report, genuine))
    code, said = verify(store, path)
    assert code == 1
    assert "pages are not the report signed" in said


def test_a_pdf_without_its_bundle_cannot_be_checked(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "bare.pdf"
    path.write_bytes(read_zip(bundle(store, 4))["data/report.pdf"])
    code, said = verify(store, path)
    assert code == 1
    assert "carries no evidence-bundle.zip" in said
