"""What a verified bundle is, in plain words: whose record, from which setting, at which
dates, when it was made, who vouched for it. One text for the CLI, the API and the web.

A bundle carries only the day it was exported (the same request on the same day gives the
same bytes), as the setting says it; what the bundle itself proves is that it was made not
before its newest entry and its witnesses' cosignatures, and by its trusted timestamp
when it has one.
"""

from __future__ import annotations

from datetime import datetime

from exporters.verify import Verified
from projections.wording import format_day, format_moment


def exported_not_before(result: Verified) -> datetime:
    """The earliest the bundle can have been made: when the child's newest entry in it was
    recorded, or the latest witness cosignature it carries, whichever is later."""
    newest = result.newest_recorded_at or datetime.fromisoformat(result.known_at)
    return max([newest, *(when for _, when in result.witnessed_at)])


def exported_words(result: Verified) -> str:
    on = (
        f"on {format_day(result.exported_on)} ({result.exported_on}), as the setting's signed "
        "summary says; "
        if result.exported_on
        else ""
    )
    after = f"{on}not before {format_moment(exported_not_before(result))}"
    if result.timestamped_at is None:
        return f"{after} (its newest entry or cosignature; no trusted timestamp shows how late)"
    by = f" according to {result.timestamp_authority}" if result.timestamp_authority else ""
    return f"{after}, and by {format_moment(result.timestamped_at)}{by} (trusted timestamp)"


def described(result: Verified) -> list[tuple[str, str]]:
    """(what, in words) for each fact a reader of a verification wants named."""
    child = (
        f"{result.child_name} (record {result.child_id})"
        if result.child_name
        else f"record {result.child_id} (the bundle does not name the child at its dates)"
    )
    setting = (
        f"{result.setting_name} ({result.setting_id})"
        if result.setting_name and result.setting_name != result.setting_id
        else result.setting_id or "not named in the bundle"
    )
    withheld = (
        f", {result.entries_withheld} withheld as third-party information"
        if result.entries_withheld
        else ""
    )
    witnesses = (
        "; ".join(f"{name}, cosigned {format_moment(when)}" for name, when in result.witnessed_at)
        if result.witnessed_at
        else "no witness cosignature checked (none was asked for, or none has cosigned "
        "this checkpoint)"
    )
    return [
        ("Child", child),
        ("Setting", setting),
        (
            "Record",
            f"as it stood on {format_day(result.as_of)} (world time), as known at "
            f"{format_moment(result.known_at)} (record time)",
        ),
        ("Exported", exported_words(result)),
        (
            "Entries",
            f"{result.entries_admitted} of the {result.entries_listed} on the record shown "
            f"at those dates{withheld}; all in the signed log of {result.checkpoint_size} "
            f"entries ({result.origin})",
        ),
        (
            "Trust anchor",
            result.trust_anchor
            or "none: checked only with the keys the bundle carries, which a forger can replace",
        ),
        ("Witnesses", witnesses),
    ]


def described_lines(result: Verified) -> list[str]:
    """`described` as aligned lines of text."""
    return [f"  {what + ':':<14}{words}" for what, words in described(result)]
