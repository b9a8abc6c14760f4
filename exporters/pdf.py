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
from dataclasses import dataclass
from typing import Any

_EPOCH_LOCK = threading.Lock()


@dataclass(frozen=True)
class Pdf:
    content: bytes
    pages: int


def render(html: str, *, epoch: int) -> Pdf:
    """A tagged PDF of `html`, and how many pages it has."""
    from weasyprint import HTML

    with _EPOCH_LOCK, _source_date_epoch(epoch):
        document = HTML(string=html, base_url=None, url_fetcher=_offline_fetcher()).render(
            pdf_tags=True
        )
        content: bytes = document.write_pdf(pdf_tags=True)
    return Pdf(content, len(document.pages))


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
