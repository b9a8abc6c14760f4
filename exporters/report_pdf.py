"""The report as a PDF a person reads: the same sections as report.html, within a page
budget, with the complete chronology left to report.html and data/events.jsonl.

WeasyPrint lays out one long table very slowly (33 s for a 2,000-entry chronology, minutes
for long real records), and nobody reads 300 pages of it. So the PDF keeps every section
but shows, of each kind of entry that can grow without bound (parents' views, contacts,
tracking rows, ...), the most recent ones, says how many earlier ones there are and where
they are, and replaces the appendix by a summary of the chronology (how many entries of
each kind, first and latest) and its key entries (status, plans, reviews, provision,
referrals, reports, EHC steps, consents, and anything corrected, marked or disputed).

Fitting: the first layout shows up to `FIRST_SHOWN` entries of each such kind (fewer for a
smaller budget), which fits 40 pages for every record we have measured (a 2,000-entry
record shaped like the demo's: 24 pages, laid out and written in about 2 s). If it does
not fit, the anchors WeasyPrint reports give the height each list took, the lists are cut
in proportion to what must go, and the document is laid out a second time. Only if that
still overflows (the fixed sections alone too long) is a third layout made with no entries
listed at all. The PDF is written once, from the last layout.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from exporters import pdf
from exporters.report import SECTIONS, ReportInput, render_context, report_context
from exporters.report_files import DEFAULT_PAGES

FIRST_SHOWN = 20  # entries of each kind in a first 40-page layout; key entries twice that
MARGIN = 1.2  # cut this much more than the overflow: reflow and page breaks are not exact
CAPPED_KINDS = (  # lists of one kind of entry that grow with the record
    "SenStatusChanged",
    "ProgressCheckAtTwoRecorded",
    "AttendanceRecorded",
    "ReferralMade",
    "ProfessionalContact",
    "ParentViewRecorded",
    "ChildViewRecorded",
    "EntryDisputed",
    "ParentNotified",
    "EhcAdviceReceived",
)
CAPPED_LISTS = {  # and the other lists that do: list name -> context key
    "steps": "steps",  # concerns and discussions
    "consents": "consent_entries",
    "points": "points",  # tracking assessments (the chart keeps them all)
}
KEY_KINDS = frozenset(
    {
        "ChildRegistered",
        "ChildEnrolled",
        "ChildTransferred",
        "ChildLeft",
        "ConcernRaised",
        "DiscussionHeld",
        "ParentNotified",
        "SenStatusChanged",
        "ConsentGiven",
        "ConsentRefused",
        "ConsentWithdrawn",
        "SupportPlanIssued",
        "SupportPlanRevised",
        "ProvisionStarted",
        "ProvisionChanged",
        "ProvisionEnded",
        "ReviewHeld",
        "ReferralMade",
        "ReportReceived",
        "RecommendationActioned",
        "EhcRequestSubmitted",
        "EhcDecisionRecorded",
        "EhcAdviceReceived",
        "EhcDraftIssued",
        "EhcPlanFinalised",
        "EhcAnnualReviewHeld",
        "EhcPlanCeased",
        "RecordCorrected",
        "EntryMarkedMistaken",
        "EntryDisputed",
    }
)
KEY_FLAGS = frozenset({"corrected", "mistaken", "disputed"})
LISTS = (*CAPPED_KINDS, *CAPPED_LISTS, "key")
PDF_TITLE = "Chronology: summary and key entries"


@dataclass(frozen=True)
class ReportPdf:
    """The PDF, its page count, the budget it was fitted to and how many layouts it took."""

    content: bytes
    pages: int
    budget: int
    layouts: int


def render_report_pdf(data: ReportInput, *, epoch: int, pages: int = DEFAULT_PAGES) -> ReportPdf:
    """The report as a PDF of at most `pages` pages (if its fixed sections allow)."""
    if pages < 1:
        raise ValueError("the page budget must be at least 1 page")
    context = report_context(data)
    lengths = list_lengths(context)
    shown = first_shown(pages)
    document = _layout(context, shown, epoch)
    layouts = 1
    if len(document.pages) > pages:
        shown = fitted(shown, lengths, document, pages)
        document = _layout(context, shown, epoch)
        layouts += 1
    if len(document.pages) > pages and any(shown.values()):
        shown = dict.fromkeys(shown, 0)
        document = _layout(context, shown, epoch)
        layouts += 1
    return ReportPdf(pdf.write(document, epoch=epoch), len(document.pages), pages, layouts)


def _layout(context: dict[str, Any], shown: dict[str, int], epoch: int) -> Any:
    return pdf.layout(render_context(pdf_context(context, shown)), epoch=epoch)


def first_shown(pages: int) -> dict[str, int]:
    """How many entries of each list a first layout shows for a budget of `pages`."""
    each = max(2, FIRST_SHOWN * pages // DEFAULT_PAGES)
    return {name: each * 2 if name == "key" else each for name in LISTS}


def list_lengths(context: dict[str, Any]) -> dict[str, int]:
    """How many entries each list has in full."""
    lengths = {kind: len(context["kinds"].get(kind, [])) for kind in CAPPED_KINDS}
    lengths |= {name: len(context[key]) for name, key in CAPPED_LISTS.items()}
    lengths["key"] = len(key_rows(context["chronology"]))
    return lengths


def fitted(
    shown: dict[str, int], lengths: dict[str, int], document: Any, pages: int
) -> dict[str, int]:
    """Fewer entries per list, cut in proportion to each list's height on the page, so
    that the layout loses the pages it is over by (and a margin)."""
    heights = list_heights(pdf.anchors(document))
    over = (len(document.pages) - pages) * MARGIN + 0.5
    total = sum(heights.values())
    keep = max(0.0, 1 - over / total) if total > 0 else 0.0
    return {
        name: math.floor(min(cap, lengths[name]) * keep) if name in heights else cap
        for name, cap in shown.items()
    }


def list_heights(anchors: pdf.Anchors) -> dict[str, float]:
    """Height of each list in pages (page gaps included), from its start and end anchors."""
    found: dict[str, list[float]] = {}
    for anchor, (page, top, _) in anchors.items():
        match = re.fullmatch(r"list-(\w+)-(start|end)", anchor)
        if match:
            found.setdefault(match[1], [0.0, 0.0])[match[2] == "end"] = page + top
    return {name: max(0.0, end - start) for name, (start, end) in found.items()}


def key_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chronology's key entries: the steps that matter, and anything corrected,
    marked as a mistake or disputed."""
    return [
        row
        for row in rows
        if row["entry"]["kind"] in KEY_KINDS or any(k in KEY_FLAGS for k, _ in row["flags"])
    ]


def pdf_context(context: dict[str, Any], shown: dict[str, int]) -> dict[str, Any]:
    """The report's context for the PDF: of each list, the `shown[name]` most recent
    entries (kept in their order), how many are left out, and the chronology's summary."""
    hidden: dict[str, int] = {}

    def recent(name: str, items: list[Any]) -> list[Any]:
        keep = min(shown.get(name, len(items)), len(items))
        hidden[name] = len(items) - keep
        return items[len(items) - keep :]

    kinds = {
        kind: recent(kind, items) if kind in CAPPED_KINDS else items
        for kind, items in context["kinds"].items()
    }
    lists = {key: recent(name, context[key]) for name, key in CAPPED_LISTS.items()}
    key = key_rows(context["chronology"])
    title = {**context["title"], "chronology": PDF_TITLE}
    return {
        **context,
        **lists,
        "pdf": True,
        "kinds": kinds,
        "key_entries": recent("key", key),
        "key_total": len(key),
        "hidden": hidden,
        "summary": chronology_summary(context["chronology"]),
        "title": title,
        "sections": tuple((k, title[k]) for k, _ in SECTIONS),
    }


def chronology_summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each kind of entry with how many there are, the first and the latest (by when they
    happened), most numerous first."""
    counts = Counter(row["entry"]["kind"] for row in rows)
    first: dict[str, str] = {}
    last: dict[str, str] = {}
    for row in rows:
        kind, on = row["entry"]["kind"], str(row["entry"]["occurred_at"])[:10]
        first[kind] = min(first.get(kind, on), on)
        last[kind] = max(last.get(kind, on), on)
    return [
        {
            "kind": kind,
            "label": kind_label(kind),
            "count": n,
            "first": first[kind],
            "last": last[kind],
        }
        for kind, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def kind_label(kind: str) -> str:
    """A kind of entry as the summary names it."""
    return KIND_LABELS.get(kind) or re.sub(r"(?<!^)(?=[A-Z])", " ", kind).capitalize()


# The chronology summary's name for each kind of entry the report describes (a test keeps
# it level with `exporters.report.SENTENCES`).
KIND_LABELS = {
    "ChildRegistered": "Child registered",
    "PersonLinked": "Person linked",
    "ChildEnrolled": "Enrolled",
    "RecordShared": "Record shared",
    "ShareWithdrawn": "Sharing ended",
    "ProcessingRestricted": "Processing restricted",
    "ProcessingRestrictionLifted": "Restriction lifted",
    "LegalHoldPlaced": "Legal hold placed",
    "LegalHoldLifted": "Legal hold lifted",
    "RecordErased": "Record erased",
    "RetentionDisposed": "Disposed of after retention",
    "ChildTransferred": "Transferred",
    "ChildLeft": "Left the setting",
    "ObservationRecorded": "Observation",
    "TrackingAssessed": "Tracking assessment",
    "ProgressCheckAtTwoRecorded": "Progress check at two",
    "AttendanceRecorded": "Attendance",
    "ConcernRaised": "Concern raised",
    "DiscussionHeld": "Discussion (key person and SENCO)",
    "ParentNotified": "Parents formally told",
    "SenStatusChanged": "SEN status changed",
    "ConsentGiven": "Consent given",
    "ConsentRefused": "Consent refused",
    "ConsentWithdrawn": "Consent withdrawn",
    "SupportPlanIssued": "Support plan issued",
    "SupportPlanRevised": "Support plan revised",
    "ProvisionStarted": "Provision started",
    "ProvisionChanged": "Provision changed",
    "ProvisionEnded": "Provision ended",
    "SessionDelivered": "Session delivered",
    "SessionMissed": "Session missed",
    "ReviewHeld": "Review held",
    "ReferralMade": "Referral",
    "ProfessionalContact": "Contact with a professional",
    "ReportReceived": "Professional report received",
    "RecommendationActioned": "Recommendation acted on",
    "ParentViewRecorded": "Parent's view",
    "ChildViewRecorded": "Child's view",
    "EhcRequestSubmitted": "EHC needs assessment requested",
    "EhcDecisionRecorded": "LA decision on assessment",
    "EhcAdviceReceived": "EHC advice received",
    "EhcDraftIssued": "Draft EHC plan issued",
    "EhcPlanFinalised": "EHC plan decision",
    "EhcAnnualReviewHeld": "EHC annual review",
    "EhcPlanCeased": "EHC plan ceased",
    "ChildPlaced": "Room and key person",
    "EvidenceBundleExported": "Evidence bundle exported",
    "RecordCorrected": "Correction",
    "EntryMarkedMistaken": "Entry marked as a mistake",
    "EntryDisputed": "Entry disputed by a parent",
}
