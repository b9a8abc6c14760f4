"""Readiness hints for an EHC needs assessment request, as a child's overview, the
dashboard, reports and bundles (data/readiness.json) show them (DOMAIN.md, CoP 9.14).

No engine of its own: the hints are a profile (la_profiles/generic.toml, or the profile
the installation chose) judged by projections.la_readiness, so the overview and the LA tab
give one answer for the same child, date and profile. This module only keeps the hints'
shape: each hint met / missing / stale, with the versions of the entries behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from projections.la_profile import BUILTIN_DIR, LoadedProfile, readiness_profile
from projections.la_readiness import la_readiness
from projections.timeline import Entry


def hints_of(result: dict[str, Any]) -> dict[str, Any]:
    """An engine result (la_readiness) in the hints' shape."""
    return {
        "as_of": result["as_of"],
        "profile": result["profile"],
        "applies": result["applies"],
        "absent_because": result["absent_because"],
        "hints": [
            {
                "id": x["id"],
                "kind": x["kind"],
                "title": x["title"],
                "status": x["status"],
                "detail": x["detail"],
                "evidence": sorted(e["version"] for e in x["evidence"]),
            }
            for x in result["expectations"]
        ],
        "met": result["met"],
        "total": result["total"],
        "blocks_export": result["blocks_export"],
        "note": result["note"],
    }


def readiness(
    entries: Sequence[Entry], profile: LoadedProfile | None = None, *, today: date
) -> dict[str, Any]:
    """The hints as of `today` against `profile` (default: the built-in generic hints);
    none (`applies` false, `absent_because` saying why) for a child with no concern, no
    SEN support and no EHC process."""
    chosen = profile or readiness_profile([BUILTIN_DIR])
    return hints_of(la_readiness(entries, chosen, today=today))
