"""What a download is called on the user's own machine: the child and the date, so a SENCO
finds it again in their downloads ('amelia-smith-2026-12-04-bundle.zip').

The child's name is in the file name only (the Content-Disposition header of an answer
that carries the name anyway), never in a URL or a log."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote

from domain.child import ChildRecord
from projections.search import folded

NOT_SLUG = re.compile(r"[^a-z0-9]+")


def download_name(child: ChildRecord, day: date, what: str) -> str:
    """'given-family-YYYY-MM-DD-what' (letters without accents; 'child' for a name with
    no Latin letters)."""
    slug = NOT_SLUG.sub("-", folded(f"{child.given_name} {child.family_name}")).strip("-")
    return f"{slug or 'child'}-{day.isoformat()}-{what}"


def attachment(filename: str) -> str:
    """A Content-Disposition value for `filename` (an ASCII name, as `download_name` makes)."""
    return f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
