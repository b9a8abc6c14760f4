"""A copy of a child's record that a command may change without touching the cached one.

The application keeps decoded records in a cache and hands each command a copy (the
command's event changes the copy; a refused or conflicting write leaves the cache as it
was). `copy.deepcopy` is generic: each date, string and number of the record goes through
its reduce protocol, so a copy cost 60 us for a ten-entry record and grew with every entry
(a record keeps each entry's date and kind). The record's state is plain data: dicts and
lists of strings, numbers, dates, booleans and None. Those containers are copied here,
keeping deepcopy's sharing (a container reached twice is copied once), and immutable
values are shared; anything else falls back to `copy.deepcopy` with the same memo.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

IMMUTABLE = frozenset({str, int, float, bool, type(None), bytes, date, datetime, Decimal, UUID})


def fresh(value: Any, memo: dict[int, Any]) -> Any:
    """`value` with every list and dict in it copied, as `copy.deepcopy` would."""
    kind = type(value)
    if kind in IMMUTABLE:
        return value
    if kind is list:
        found = memo.get(id(value))
        if found is None:
            found = memo[id(value)] = []
            found.extend([fresh(item, memo) for item in value])
        return found
    if kind is dict:
        found = memo.get(id(value))
        if found is None:
            found = memo[id(value)] = {}
            for key, item in value.items():
                found[key] = fresh(item, memo)
        return found
    if kind is tuple and all(type(item) in IMMUTABLE for item in value):
        return value
    return copy.deepcopy(value, memo)


def copy_state(source: object, twin: object, memo: dict[int, Any]) -> None:
    """Fill `twin` (a new instance of `source`'s class) with a copy of `source`'s state."""
    memo[id(source)] = twin
    state = twin.__dict__
    for name, value in source.__dict__.items():
        state[name] = fresh(value, memo)
