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

from typing import Any

import orjson
import rfc8785

_CONTAINERS = (dict, list, tuple)


def _simple(value: Any, *, ascii_keys: bool) -> bool:
    """Whether `value` holds no float and (if `ascii_keys` is asked) only ASCII object
    keys: one walk over the containers, far cheaper than parsing the output again."""
    if not isinstance(value, _CONTAINERS):
        return not isinstance(value, float)
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if ascii_keys and not all(key.isascii() for key in item):
                return False
            item = list(item.values())
        for member in item:
            if isinstance(member, float):
                return False
            if isinstance(member, _CONTAINERS):
                stack.append(member)
    return True


def canonical(value: Any) -> bytes:
    """The RFC 8785 bytes of a JSON value (strings, numbers, booleans, null, lists and
    dicts with string keys, as a JSON parser gives them)."""
    try:
        # Strict integers: orjson refuses beyond 53 bits, exactly RFC 8785's safe range.
        encoded = orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER)
        if _simple(value, ascii_keys=not encoded.isascii()):
            return encoded
    except (TypeError, orjson.JSONEncodeError):
        pass
    return rfc8785.dumps(value)


def canonical_strings_and_ints(value: dict[str, str | int]) -> bytes:
    """RFC 8785 of a flat object of ASCII-keyed strings and small integers (our audit
    leaves): no check needed, so it is fast enough to run for every event."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
