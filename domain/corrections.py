"""What a correction may put right in the entry it corrects: its replacement values.

A correction is a statement beside an earlier entry; for the kinds below it may also carry
the corrected values of that entry's fields, checked by the entry's own rules, so that a
corrected SEN status or need reaches the plan, the readiness hints and the cohort without
marking the entry mistaken and recording it again. The original stays in the chronology.
Keyed by event class name; a kind without a row takes a statement only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from domain.errors import InvalidValue, StatusAgainstPlan
from domain.rules import terms
from domain.vocabulary import AREAS, CONCERN_LEVELS, NEED_CODES, SEN_STATUSES


def sen_classification(
    status: str, need_codes: list[str], primary_need: str | None, *, where: str = ""
) -> dict[str, Any]:
    """A SEN status with its need codes and primary need, as one consistent whole."""
    SEN_STATUSES.check(status, field_name=f"{where}status")
    codes = terms(need_codes, NEED_CODES, f"{where}need_codes")
    if status == "N":
        if codes:
            raise InvalidValue("status N takes no need codes", field=f"{where}need_codes")
        if primary_need:
            raise InvalidValue("status N takes no primary need", field=f"{where}primary_need")
    elif primary_need is None or primary_need not in codes:
        raise InvalidValue(
            "primary_need must be one of need_codes for status K or E",
            field=f"{where}primary_need",
        )
    return {"status": status, "need_codes": codes, "primary_need": primary_need}


def _status(values: Mapping[str, Any]) -> dict[str, Any]:
    # The three fields are one classification: a correction restates all of them.
    missing = [f for f in ("status", "need_codes", "primary_need") if f not in values]
    if missing:
        raise InvalidValue(
            "a corrected SEN status names status, need_codes and primary_need together",
            field=f"values.{missing[0]}",
        )
    if values["status"] == "E":
        raise StatusAgainstPlan(
            "status E follows from an issued EHC plan and is never given by a correction",
            field="values.status",
        )
    if not isinstance(values["need_codes"], list):
        raise InvalidValue("need_codes must be a list of need codes", field="values.need_codes")
    return sen_classification(
        str(values["status"]), values["need_codes"], values["primary_need"], where="values."
    )


def _concern(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "areas" in values:
        if not isinstance(values["areas"], list):
            raise InvalidValue("areas must be a list of areas", field="values.areas")
        out["areas"] = terms(values["areas"], AREAS, "values.areas")
        if not out["areas"]:
            raise InvalidValue("areas must name at least one area", field="values.areas")
    if "level" in values:
        out["level"] = CONCERN_LEVELS.check(str(values["level"]), field_name="values.level")
    return out


# Each correctable kind: the fields a correction may replace, and the entry's own rules.
CORRECTABLE: dict[str, tuple[frozenset[str], Callable[[Mapping[str, Any]], dict[str, Any]]]] = {
    "SenStatusChanged": (frozenset({"status", "need_codes", "primary_need"}), _status),
    "ConcernRaised": (frozenset({"areas", "level"}), _concern),
}


def replacement_values(kind: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` checked as the corrected fields of an entry of `kind` (InvalidValue naming
    the field otherwise)."""
    if not values:
        raise InvalidValue("values must name at least one field to replace", field="values")
    allowed = CORRECTABLE.get(kind)
    if allowed is None:
        raise InvalidValue(
            "a correction of this kind of entry carries a statement only, no values",
            field="values",
        )
    fields, check = allowed
    for name in values:
        if name not in fields:
            raise InvalidValue(
                "is not a field a correction of this kind of entry can replace",
                field=f"values.{name}",
            )
    return check(values)
