"""How dates and money read to a person in every human-readable output (reports, LA
requests): unambiguous, and with no locale involved."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from decimal import Decimal

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def format_day(value: str | date | None) -> str:
    """'2024-05-13' (or that date) -> '13 May 2024'."""
    if not value:
        return "—"
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def format_moment(value: str | datetime | None) -> str:
    """An ISO timestamp (or that moment) as '28 Nov 2023, 16:30 UTC'."""
    if not value:
        return "—"
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{format_day(moment.date().isoformat())}, {moment:%H:%M} UTC"


def format_money(value: str | Decimal | None) -> str:
    """'1234.5' -> '£1,234.50'."""
    return "—" if value is None else f"£{Decimal(value):,.2f}"


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (31 March less one month is 28 or
    29 February)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def age_in_months(born: date, on: date) -> int:
    """Whole months of age on a day."""
    return (on.year - born.year) * 12 + on.month - born.month - (on.day < born.day)
