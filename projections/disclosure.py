"""What a reader is given: one withholding rule for every channel (API, pages, subject
access bundle, exports).

Entries flagged `restricted` are for SENCOs and admins only. Entries flagged `third_party`
hold information about other people: staff read them, but a parent (the data subject's
side, on every channel a parent can reach) does not. What is said about a withheld entry
(its corrections, mistake marks, disputes) is withheld with it. Withheld entries are
listed as withheld, by version and kind, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

from projections.timeline import Entry, flagged

RESTRICTED = "restricted"
THIRD_PARTY = "third_party"
REASONS = {
    RESTRICTED: "withheld: restricted to the SENCO and admins",
    THIRD_PARTY: "withheld: third-party information",
}
# Which sensitivities each role does not receive. A role not named here receives neither.
WITHHOLDS: dict[str, tuple[str, ...]] = {
    "admin": (),
    "senco": (),
    "practitioner": (RESTRICTED,),
    "inspector": (RESTRICTED,),
    "parent": (RESTRICTED, THIRD_PARTY),
}
SUBJECT_ACCESS_ROLE = "parent"  # a subject access bundle is what a parent receives


def withheld(entries: Sequence[Entry], role: str) -> dict[int, str]:
    """The versions among `entries` that `role` does not receive, each with its reason."""
    found: dict[int, str] = {}
    for sensitivity in WITHHOLDS.get(role, (RESTRICTED, THIRD_PARTY)):
        for version in flagged(entries, sensitivity):
            found.setdefault(version, REASONS[sensitivity])
    return found


def listed(entries: Sequence[Entry], hidden: dict[int, str]) -> list[dict[str, object]]:
    """The withheld entries among `entries` as a reader sees them: version, kind, reason."""
    return [
        {"version": e.version, "kind": e.kind, "withheld": hidden[e.version]}
        for e in entries
        if e.version in hidden
    ]
