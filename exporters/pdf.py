"""HTML to PDF with WeasyPrint: offline, reproducible, and with the page count.

SOURCE_DATE_EPOCH is set only while rendering and restored afterwards (under a lock, as
the environment is process-wide), so the dates WeasyPrint and fontTools would otherwise
take from the clock come from `epoch`: the same HTML and epoch give the same bytes.
Nothing is fetched: stylesheets are inlined and charts are inline SVG.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_EPOCH_LOCK = threading.Lock()


# Where an element with an id landed: (page number from 0, top, bottom), the top and the
# bottom as fractions of the page's height.
Anchors = dict[str, tuple[int, float, float]]


@dataclass(frozen=True)
class Pdf:
    content: bytes
    pages: int
    anchors: Anchors = field(default_factory=dict)


def render(html: str, *, epoch: int) -> Pdf:
    """A tagged PDF of `html`, and how many pages it has."""
    document = layout(html, epoch=epoch)
    return Pdf(write(document, epoch=epoch), len(document.pages), anchors(document))


def anchors(document: Any) -> Anchors:
    """Where each element with an id landed in a laid-out document."""
    found: Anchors = {}
    for number, page in enumerate(document.pages):
        for name, box in page.anchors.items():
            found[name] = (number, box[1] / page.height, box[3] / page.height)
    return found


def layout(html: str, *, epoch: int) -> Any:
    """`html` laid out in pages (a WeasyPrint Document: its `pages` carry each page's
    anchors, so a caller can see where things landed before writing anything)."""
    from weasyprint import HTML

    with _EPOCH_LOCK, _source_date_epoch(epoch):
        return HTML(string=html, base_url=None, url_fetcher=_offline_fetcher()).render(
            pdf_tags=True
        )


def write(document: Any, *, epoch: int) -> bytes:
    """The tagged PDF of a laid-out document."""
    with _EPOCH_LOCK, _source_date_epoch(epoch):
        content: bytes = document.write_pdf(pdf_tags=True)
    return content


@contextmanager
def _source_date_epoch(epoch: int) -> Iterator[None]:
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(epoch))
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def _offline_fetcher() -> Any:
    """A URL fetcher that refuses everything: rendering never reaches the network."""
    from weasyprint.urls import URLFetcher

    class Offline(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"rendering fetches nothing (asked for {url[:60]})")

    return Offline()
