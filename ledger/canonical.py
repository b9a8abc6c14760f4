"""RFC 8785 (JCS) canonical JSON, fast for the documents we write.

For JSON made of strings, integers, booleans, null, arrays and objects with ASCII keys,
RFC 8785 output is exactly orjson's (and Python's compact, sorted, non-ASCII `json.dumps`)
UTF-8: the same escapes (\\b \\f \\n \\r \\t \\" \\\\ and lower-case
\\u00xx for other control characters), key order by code point equals JCS's UTF-16 order
for ASCII keys, and integers print the same. Anything else (a float, a non-ASCII key, a
lone surrogate) goes to the `rfc8785` reference library. The equivalence is tested
against that library on random documents.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import rfc8785

MAX_SAFE_INTEGER = 2**53 - 1


class _NotSimple(Exception):
    pass


def _refuse_float(_text: str) -> Any:
    raise _NotSimple


def _safe_int(text: str) -> int:
    number = int(text)
    if abs(number) > MAX_SAFE_INTEGER:
        raise _NotSimple
    return number


def _ascii_keys(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if not all(key.isascii() for key in item):
                return False
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def canonical(value: Any) -> bytes:
    """The RFC 8785 bytes of a JSON value."""
    try:
        encoded = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        # The C parser finds floats and unsafe integers far faster than a Python walk.
        json.loads(encoded, parse_float=_refuse_float, parse_int=_safe_int)
        if not encoded.isascii() and not _ascii_keys(value):
            raise _NotSimple
        return encoded
    except (_NotSimple, TypeError, ValueError, orjson.JSONEncodeError):
        return rfc8785.dumps(value)


def canonical_strings_and_ints(value: dict[str, str | int]) -> bytes:
    """RFC 8785 of a flat object of ASCII-keyed strings and small integers (our audit
    leaves): no check needed, so it is fast enough to run for every event."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
