"""Small value rules shared by commands. Each names the field it refuses."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation

from domain.errors import InvalidValue
from domain.vocabulary import Vocabulary

SHORT = 200
LONG = 10_000


def text(value: str, field: str, *, limit: int = LONG, required: bool = True) -> str:
    """Stripped text, refused if empty (when required) or longer than `limit`."""
    stripped = value.strip()
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
