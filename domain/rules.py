"""Small value rules shared by commands. Each names the field it refuses."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation

from domain.errors import InvalidValue
from domain.vocabulary import Vocabulary

SHORT = 200
LONG = 10_000

# Control, format, surrogate and private-use characters can hide or reorder what a reader
# sees (a bidi override makes "2024" read "4202"; NUL truncates in other tools). Newline and
# tab are text; the zero-width joiners are needed to write Persian, Urdu, the Indic scripts
# and emoji, and reorder nothing.
ALLOWED_SPECIALS = frozenset("\n\t\u200c\u200d")
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
# The refused characters of ASCII: its controls (all Cc) but newline and tab. ASCII has no
# Cf, Cs or Co character, so ASCII text is checked by this one search, in C.
ASCII_REFUSED = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def plain(value: str, field: str) -> str:
    """`value` with line endings made `\\n`, refused if it holds a character that could spoof."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if value.isascii() and ASCII_REFUSED.search(value) is None:
        return value  # the usual case, checked in C
    for char in value:
        if char not in ALLOWED_SPECIALS and unicodedata.category(char) in REFUSED_CATEGORIES:
            raise InvalidValue(
                f"{field} must not contain control or formatting characters "
                "(only newline and tab are allowed)",
                field=field,
            )
    return value


def text(value: str, field: str, *, limit: int = LONG, required: bool = True) -> str:
    """Stripped text, refused if empty (when required), longer than `limit`, or holding a
    control or formatting character."""
    stripped = plain(value, field).strip()
    if required and not stripped:
        raise InvalidValue(f"{field} must not be empty", field=field)
    if len(stripped) > limit:
        raise InvalidValue(f"{field} must be at most {limit} characters", field=field)
    return stripped


def texts(values: Iterable[str], field: str, *, limit: int = LONG, most: int = 50) -> list[str]:
    """A list of non-empty texts, at most `most` long."""
    items = [text(v, field, limit=limit) for v in values]
    if len(items) > most:
        raise InvalidValue(f"{field} must have at most {most} entries", field=field)
    return items


def terms(values: Iterable[str], vocab: Vocabulary, field: str) -> list[str]:
    """Distinct vocabulary codes in the order given."""
    seen: list[str] = []
    for value in values:
        vocab.check(value, field_name=field)
        if value not in seen:
            seen.append(value)
    return seen


def count(value: int, field: str, *, low: int = 0, high: int = 10_000) -> int:
    """An integer within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidValue(f"{field} must be a whole number from {low} to {high}", field=field)
    return value


def money(value: Decimal | str | int, field: str) -> Decimal:
    """A non-negative amount in pounds with at most two decimal places."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidValue(f"{field} must be an amount in pounds", field=field) from None
    if not amount.is_finite() or amount < 0 or amount > Decimal("10000000"):
        raise InvalidValue(f"{field} must be between 0 and 10,000,000", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidValue(f"{field} must have at most two decimal places", field=field)
    return amount.quantize(Decimal("0.01"))


def ident(value: str, field: str) -> str:
    """An opaque id: 1-64 characters of letters, digits, '-' or '_'."""
    if not value or len(value) > 64 or not all(c.isalnum() or c in "-_" for c in value):
        raise InvalidValue(f"{field} must be 1-64 letters, digits, '-' or '_'", field=field)
    return value


def not_before(later: date, earlier: date, field: str, rule: str) -> None:
    """Refuse `later` < `earlier`."""
    if later < earlier:
        raise InvalidValue(f"{field} {rule}", field=field)
