"""A report PDF that carries its own proof: the signed evidence bundle embedded in it as
an attached file (PDF/A-3 style), so an LA portal that takes only a PDF still receives
something anyone can check. `sendtrail verify report.pdf` takes the bundle out, verifies
it, and checks that the pages of the PDF are the pages of the bundle's own signed report."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

BUNDLE_NAME = "evidence-bundle.zip"


class PdfProofError(ValueError):
    """The PDF carries no bundle, or its pages are not the bundle's report."""


def with_bundle(report_pdf: bytes, bundle: bytes) -> bytes:
    """The report with the bundle attached (the pages unchanged)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(report_pdf)))
    writer.add_attachment(BUNDLE_NAME, bundle)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def bundle_of(pdf: bytes) -> bytes:
    """The bundle a report PDF carries (PdfProofError if none)."""
    try:
        found = PdfReader(io.BytesIO(pdf)).attachments.get(BUNDLE_NAME)
    except (PyPdfError, ValueError, KeyError) as error:
        raise PdfProofError(f"the PDF cannot be read ({type(error).__name__})") from None
    if not found:
        raise PdfProofError(f"the PDF carries no {BUNDLE_NAME}: it cannot be checked")
    return bytes(found[0])


def same_pages(pdf: bytes, signed_report: bytes) -> bool:
    """Whether the PDF shows exactly the text, page by page, of the signed report."""
    try:
        shown = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
        signed = [page.extract_text() for page in PdfReader(io.BytesIO(signed_report)).pages]
    except (PyPdfError, ValueError) as error:
        raise PdfProofError(f"the PDF cannot be read ({type(error).__name__})") from None
    return shown == signed
