"""Long lists a page at a time: which page was asked for, and links to the others that
keep the list's filters (plain links: paging works without JavaScript)."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from urllib.parse import urlencode

from fastapi import Request


@dataclass(frozen=True)
class Paging:
    """Page `page` of `pages` (1-based), `size` items to a page, over `total` items."""

    page: int
    pages: int
    size: int
    total: int
    keep: tuple[tuple[str, str], ...] = ()  # the list's filters, kept on every link

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def first_shown(self) -> int:
        return min(self.total, self.offset + 1)

    @property
    def last_shown(self) -> int:
        return min(self.total, self.offset + self.size)

    def query(self, page: int) -> str:
        """The query string of page `page`, with the filters."""
        pairs = [*self.keep, *((("page", str(page)),) if page > 1 else ())]
        return f"?{urlencode(pairs)}" if pairs else "?"


def paging(request: Request, total: int, size: int, keep: dict[str, str]) -> Paging:
    """The page asked for in `?page=` (anything unreadable is page 1; past the end, the
    last page), over `total` items."""
    pages = max(1, ceil(total / size))
    raw = request.query_params.get("page", "")
    asked = int(raw) if raw.isdigit() and len(raw) < 7 else 1
    kept = tuple((k, v) for k, v in keep.items() if v)
    return Paging(min(max(asked, 1), pages), pages, size, total, kept)
