"""The pre-filled LA request as HTML and PDF, optionally within a page budget.

The request's content comes from `projections.la_request.fill_request`; this module lays
it out and, when a page budget is set (75 pages for a refusal-to-assess appeal, say),
keeps the most relevant statements first: tier 1 before 2 before 3, newest first within
a tier, and at least the most relevant statement of every field, so no field turns into a
false gap. What is left out is listed with its versions at the end, and stays in the
bundle's events. The budget is checked against the real PDF's page count, never guessed.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import orjson
from jinja2 import Environment

from exporters import pdf
from exporters.templating import environment
from projections.wording import format_day

TRIBUNAL_PAGES = 75  # SEND Tribunal practice direction: evidence in a refusal-to-assess appeal
FILL = 0.92  # of the room left by the fixed parts, what statements may take
STATEMENT_GAP = 0.004  # pages between two statements (list item spacing)
LINE = 0.017  # pages a line of the left-out table takes (9.5 pt, line-height 1.4, padding)
LEFT_OUT_CHARS_PER_LINE = 38  # of version ranges in that table's middle column
BUDGET_REASON = "left out to keep the document within {pages} pages (less relevant first)"

Renderer = Callable[[str], pdf.Pdf]


@dataclass(frozen=True)
class RequestDocument:
    """The filled request (JSON-ready, as fitted), its HTML, and its PDF if made."""

    request: dict[str, Any]
    html: str
    pdf: bytes | None
    pages: int | None

    def content(self, kind: str) -> bytes:
        """The document as 'pdf', 'html' or 'json' bytes."""
        if kind == "pdf":
            if self.pdf is None:
                raise ValueError("this request was laid out without its PDF")
            return self.pdf
        return self.html.encode() if kind == "html" else request_json(self.request)


def request_json(request: dict[str, Any]) -> bytes:
    """The filled request as JSON: every statement with the versions it comes from."""
    return orjson.dumps(request, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def ranges(versions: Iterable[int]) -> str:
    """Entries as a reader scans them, numbered as on the pages: 'entries 3, 7-9, 12' (with
    an en dash), 'entry 3'."""
    ordered = sorted(set(versions))
    runs: list[list[int]] = []
    for v in ordered:
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    listed = ", ".join(f"{r[0]}" if len(r) == 1 else f"{r[0]}\u2013{r[-1]}" for r in runs)
    return f"entry {listed}" if len(ordered) == 1 else f"entries {listed}"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return environment(day=format_day, ranges=ranges)


def _grouped(left_out: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for item in left_out:
        key = (item["section"], item["field"], item["reason"])
        group = groups.setdefault(
            key,
            {"section": key[0], "field": key[1], "reason": key[2], "count": 0, "versions": []},
        )
        group["count"] += 1
        group["versions"] += item["versions"]
    return list(groups.values())


def render_html(request: dict[str, Any], *, known_at: str | None = None) -> str:
    """The request as one self-contained HTML page."""
    return (
        _environment()
        .get_template("la_request.html.j2")
        .render(
            request=request,
            child_name=request["child_name"] or "the child",
            known_at=known_at,
            left_out=_grouped(request["left_out"]),
        )
    )


def _relevance(item: tuple[int, int, dict[str, Any]]) -> tuple[int, int, int, int]:
    field_no, index, s = item
    on = date.fromisoformat(s["on"]).toordinal() if s["on"] else 0
    return (s["tier"], -on, field_no, index)


def _fields(request: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(sec["title"], f) for sec in request["sections"] for f in sec["fields"]]


def _trimmed(request: dict[str, Any], keep: set[tuple[int, int]], pages: int) -> dict[str, Any]:
    """A copy of the request keeping only the (field, index) statements in `keep`."""
    fitted = copy.deepcopy(request)
    reason = BUDGET_REASON.format(pages=pages)
    for field_no, (section, f) in enumerate(_fields(fitted)):
        kept: list[dict[str, Any]] = []
        dropped: list[dict[str, Any]] = []
        for index, s in enumerate(f["statements"]):
            (kept if (field_no, index) in keep else dropped).append(s)
        f["statements"] = kept
        if dropped:
            f["more"] = f"{len(dropped)} more left out here to keep within {pages} pages."
            fitted["left_out"] += [
                {"section": section, "field": f["label"], **s, "reason": reason} for s in dropped
            ]
    return fitted


def _ranked(request: dict[str, Any]) -> list[tuple[int, int, dict[str, Any]]]:
    """Every statement as (field number, index in field, statement), most relevant first."""
    return sorted(
        (
            (field_no, index, s)
            for field_no, (_, f) in enumerate(_fields(request))
            for index, s in enumerate(f["statements"])
        ),
        key=_relevance,
    )


def fit_to_pages(
    request: dict[str, Any], pages: int, render: Renderer, html_of: Callable[[dict[str, Any]], str]
) -> tuple[dict[str, Any], pdf.Pdf]:
    """The request trimmed to `pages` (most relevant first) and its PDF, in at most two
    renders. The first, of the whole request, shows where every statement landed and how
    tall it is; the statements that fit (the most relevant of each field always, then by
    relevance) are chosen from those heights, with what the list of left-out evidence
    will take, and the second render lays them out. If even one statement per field does
    not fit, that is what is kept, and the budget says not met."""

    # The first render is the whole request as it stands (its page count is `pages_full`);
    # only a trimmed request says it was kept within the budget, which `_fitting` leaves
    # room for.
    body, made = request, render(html_of(request))
    full_pages = made.pages
    if full_pages > pages:
        keep = _fitting(request, made, pages)
        body = {**_trimmed(request, keep, pages), "page_budget": {"pages": pages}}
        made = render(html_of(body))
    # The page count only adds to the JSON: the laid-out pages stay exactly as rendered.
    body["page_budget"] = {
        "pages": pages,
        "pages_full": full_pages,
        "used": made.pages,
        "met": made.pages <= pages,
    }
    return body, made


BUDGET_NOTE = 0.1  # pages: the paragraph "Kept within N pages…" of a trimmed request


def _fitting(request: dict[str, Any], made: pdf.Pdf, pages: int) -> set[tuple[int, int]]:
    """Which statements to keep, from the heights the full render gave them (in pages)."""
    ranked = _ranked(request)
    height = {(f, i): _height(made.anchors, f, i) for f, i, _ in ranked}
    # Headings, checklist and page-break waste, and the note saying the request was kept
    # within the budget (not in the first render).
    fixed = made.pages - sum(height.values()) + BUDGET_NOTE
    pinned: set[tuple[int, int]] = set()
    for field_no, index, _ in ranked:  # the most relevant statement of each field
        if all(k[0] != field_no for k in pinned):
            pinned.add((field_no, index))
    room = (pages - fixed) * FILL
    while True:
        keep, used = set(pinned), sum(height[k] for k in pinned)
        for field_no, index, _ in ranked:
            key = (field_no, index)
            if key not in keep and used + height[key] <= room:
                keep.add(key)
                used += height[key]
        listing = _left_out_height(request, keep, pages)
        if used + listing <= (pages - fixed) * FILL or keep == pinned:
            return keep
        room -= listing / 2 + 0.05  # make room for the longer list of what is left out


def _height(anchors: pdf.Anchors, field_no: int, index: int) -> float:
    _, top, bottom = anchors.get(f"st-{field_no}-{index}", (0, 0.0, 0.0))
    return max(bottom - top, 0.0) + STATEMENT_GAP


def _left_out_height(request: dict[str, Any], keep: set[tuple[int, int]], pages: int) -> float:
    """What the table of left-out evidence will take, in pages (estimated from its text)."""
    groups = _grouped(_trimmed(request, keep, pages)["left_out"])
    lines = sum(
        max(2, math.ceil(len(ranges(g["versions"])) / LEFT_OUT_CHARS_PER_LINE)) for g in groups
    )
    return (lines * LINE + 0.1) if groups else 0.0


def request_document(
    request: dict[str, Any],
    *,
    known_at: str | None = None,
    pdf_wanted: bool,
    pages: int | None = None,
    epoch: int = 0,
) -> RequestDocument:
    """Lay out the filled request; with a page budget the PDF is made (to count pages)."""

    def html_of(body: dict[str, Any]) -> str:
        return render_html(body, known_at=known_at)

    def render(html: str) -> pdf.Pdf:
        return pdf.render(html, epoch=epoch)

    if pages is not None:
        fitted, made = fit_to_pages(request, pages, render, html_of)
        return RequestDocument(fitted, html_of(fitted), made.content, made.pages)
    html = html_of(request)
    if not pdf_wanted:
        return RequestDocument(request, html, None, None)
    made = render(html)
    return RequestDocument(request, html, made.content, made.pages)
