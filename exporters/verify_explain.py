"""What a verification failure means, in plain words for an inspector or caseworker.

`exporters.verify` names the first failure and where it is; this says what that kind of
failure means and what to do about it. The first rule whose words appear in the reason
(or, for a few, in where it is) wins.
"""

from __future__ import annotations

from exporters.verify import VerificationError

ASK = "Ask the setting for a fresh copy of the bundle, sent directly from sendtrail."
RULES: tuple[tuple[str, str, str], ...] = (
    (
        "zip",
        "The file is not a readable bundle",
        "It is not a complete zip archive: it may be cut short, damaged in transit, or a "
        "different kind of file altogether. " + ASK,
    ),
    (
        "file changed",
        "A file in the bundle was changed after it was signed",
        "Its contents no longer match the fingerprint (SHA-256) recorded when the bundle "
        "was made. Someone edited it, or it was damaged. Do not rely on this copy. " + ASK,
    ),
    (
        "file added",
        "Something was added to the bundle after it was signed",
        "The bundle holds a file that was not in it when it was signed. Do not rely on "
        "this copy. " + ASK,
    ),
    (
        "missing",
        "Part of the bundle is missing",
        "A file that every genuine bundle carries is not there, so the bundle cannot be "
        "checked. " + ASK,
    ),
    (
        "signature",
        "The bundle was not signed by this installation",
        "Its signature does not verify with this setting's sendtrail key: it was signed "
        "elsewhere, re-signed by someone else, or its signature was altered. Check that "
        "you are using the right installation, or ask the setting for its public key.",
    ),
    (
        "checkpoint",
        "The record's log checkpoint does not check out",
        "The signed summary of the whole tamper-evident log in the bundle is not signed by "
        "this installation's log key, or is malformed. " + ASK,
    ),
    (
        "chain",
        "The entries were reordered or some removed",
        "Each entry points at the one before it; here that chain is broken, so entries "
        "were removed, added or put in another order. Do not rely on this copy.",
    ),
    (
        "entries missing",
        "The entries were reordered or some removed",
        "The entries are not numbered one after another, so some were removed, added or "
        "reordered. Do not rely on this copy.",
    ),
    (
        "signed log",
        "An entry is not in the setting's signed log",
        "The entry cannot be found in the tamper-evident log the setting signed: it was "
        "added or rewritten afterwards. Do not rely on this copy.",
    ),
    (
        "content changed",
        "An entry's content was changed",
        "The text of an entry differs from what was stored and sealed when it was "
        "recorded. Do not rely on this copy.",
    ),
    (
        "tail",
        "The bundle leaves out the latest entries",
        "The child's record goes on beyond the last entry in this bundle, but the bundle "
        "claims to be complete. " + ASK,
    ),
    (
        "timestamp",
        "The trusted timestamp does not check out",
        "The independent timestamp on the bundle is missing or does not match it.",
    ),
)
DEFAULT = (
    "The bundle failed a check",
    "One of the checks that show a bundle is genuine did not pass, so it cannot be relied "
    "on as it stands. " + ASK,
)


def explain(error: VerificationError) -> dict[str, str]:
    """A heading and a paragraph for this failure."""
    text = f"{error.reason} {error.where}".lower()
    heading, meaning = next(
        ((heading, meaning) for words, heading, meaning in RULES if words in text), DEFAULT
    )
    return {"heading": heading, "meaning": meaning}
