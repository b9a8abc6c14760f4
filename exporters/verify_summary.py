"""What a bundle's signed summary claims, checked against what the bundle carries: its
counts and checkpoint, its setting and export day, its redactions and LA request; and the
witnesses whose cosignatures are on its checkpoint."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson

from exporters.timestamp import Stamp
from exporters.trust import Anchor
from exporters.verify_base import (
    PLAN_FILE,
    REQUEST_JSON,
    REQUEST_PREFIX,
    VerificationError,
    read_json,
)
from ledger import checkpoint as cp
from ledger.cosignature import Witness, cosigned_by
from projections.la_request import cited_versions


def exported_day(summary: dict[str, Any], newest: datetime, stamp: Stamp | None) -> str:
    """The export day the signed summary gives: a date, not before the child's newest entry
    in the bundle was recorded, and not after its trusted timestamp."""
    said = summary.get("exported_on")
    if said is None:
        return ""
    where = "data/bundle.json"
    try:
        day = date.fromisoformat(str(said))
    except ValueError:
        raise VerificationError(
            "the signed summary's exported_on is not a date", where=where
        ) from None
    if day < newest.astimezone(UTC).date():
        raise VerificationError(
            "the signed summary's export day is before the child's newest entry was recorded",
            where=where,
        )
    if stamp is not None and day > stamp.gen_time.astimezone(UTC).date():
        raise VerificationError(
            "the signed summary's export day is after its trusted timestamp", where=where
        )
    return day.isoformat()


def identity(files: dict[str, bytes], summary: dict[str, Any]) -> tuple[str, str, str]:
    """The child's name and setting as the signed support plan gives them, and the
    setting's name as the signed summary gives it (it must be the plan's setting)."""
    child: dict[str, Any] = {}
    plan = files.get("data/" + PLAN_FILE)
    if plan is not None:
        try:
            found = orjson.loads(plan).get("child")
        except (orjson.JSONDecodeError, AttributeError):
            raise VerificationError("not valid JSON", where="data/" + PLAN_FILE) from None
        child = found if isinstance(found, dict) else {}
    name = " ".join(
        part
        for part in (child.get("given_name"), child.get("family_name"))
        if isinstance(part, str) and part
    )
    planned = child.get("setting_id")
    setting = summary.get("setting")
    if setting is None:  # a bundle from before the summary named its setting
        return name, str(planned or ""), str(planned or "")
    if not isinstance(setting, dict) or not isinstance(setting.get("id"), str):
        raise VerificationError(
            "the signed summary's setting is unreadable", where="data/bundle.json"
        )
    if planned is not None and planned != setting["id"]:
        raise VerificationError(
            "the signed summary's setting differs from the support plan's",
            where="data/bundle.json",
        )
    return name, setting["id"], str(setting.get("name") or setting["id"])


def witnessed_at(
    note: str, witnesses: Sequence[Witness], covering: Anchor | None
) -> tuple[tuple[str, datetime], ...]:
    """When each witness whose cosignature checks out says it cosigned (its signed time)."""
    every = [*witnesses, *(covering.witness_policy() if covering else ())]
    times: dict[str, datetime] = {}
    for witness in every:
        when = cosigned_by(note, witness)
        if when is not None:
            times.setdefault(witness.name, datetime.fromtimestamp(when, UTC))
    return tuple(times.items())


def witnessed_by(note: str, witnesses: Sequence[Witness]) -> tuple[str, ...]:
    """The names of the witnesses that cosigned this checkpoint (C2SP tlog-cosignature)."""
    return tuple(w.name for w in witnesses if cosigned_by(note, w) is not None)


def check_claims(
    summary: dict[str, Any], head: cp.Checkpoint, listed: int, admitted: set[int]
) -> None:
    """What the signed summary says is what the bundle carries."""
    claims = {
        "checkpoint_size": head.size,
        "root": head.root.hex(),
        "events_listed": listed,
        "events_admitted": len(admitted),
    }
    for name, carried in claims.items():
        if summary.get(name) != carried:
            raise VerificationError(
                f"the signed summary's {name} differs from what the bundle carries",
                where="data/bundle.json",
            )


def check_redactions(files: dict[str, bytes], summary: dict[str, Any], listed: int) -> None:
    """A subject access bundle names what it withholds, the same in both places."""
    withheld = summary.get("withheld")
    if withheld is None:
        if "data/redactions.json" in files:
            raise VerificationError(
                "redactions without a signed list", where="data/redactions.json"
            )
        return
    where = "data/redactions.json"
    info = read_json(files, where)
    try:
        named = [int(item["version"]) for item in info["withheld"]]
    except (KeyError, TypeError, ValueError):
        raise VerificationError("unreadable", where=where) from None
    if named != withheld or any(not 1 <= v <= listed for v in withheld):
        raise VerificationError("the redactions listed differ from the signed summary", where=where)


def check_la_request(files: dict[str, bytes], summary: dict[str, Any], admitted: set[int]) -> None:
    """A pre-filled LA request states only what the bundle's own entries say: every version
    it cites must be an entry the bundle carries."""
    meta = summary.get("la_request")
    where = REQUEST_JSON
    if meta is None:
        if any(name.startswith(REQUEST_PREFIX) for name in files):
            raise VerificationError("an LA request without a signed summary", where=where)
        return
    try:
        named = [f"data/{name}" for name in meta["files"]]
        profile = (meta["profile"], meta["profile_sha256"])
    except (KeyError, TypeError):
        raise VerificationError("unreadable", where="data/bundle.json la_request") from None
    for name in named:
        if name not in files:
            raise VerificationError("missing: the signed summary lists it", where=name)
    request = read_json(files, where)
    try:
        stated = (request["profile"]["id"], request["profile"]["sha256"])
        cited = sorted(cited_versions(request))
    except (KeyError, TypeError, ValueError):
        raise VerificationError("unreadable", where=where) from None
    if stated != profile:
        raise VerificationError("the profile differs from the signed summary's", where=where)
    for version in cited:
        if version not in admitted:
            raise VerificationError(
                f"cites v{version}, which is not an entry this bundle carries", where=where
            )
