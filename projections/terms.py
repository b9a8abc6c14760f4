"""English school terms, for costs per term: autumn (Sep-Dec), spring (Jan-Mar),
summer (Apr-Aug). Named by academic year, e.g. 'autumn 2025/26'."""

from __future__ import annotations

from datetime import date


def term_of(day: date) -> str:
    """The term a day falls in."""
    start_year = day.year if day.month >= 9 else day.year - 1
    academic = f"{start_year}/{str(start_year + 1)[-2:]}"
    if day.month >= 9:
        return f"autumn {academic}"
    if day.month <= 3:
        return f"spring {academic}"
    return f"summer {academic}"


def term_key(name: str) -> tuple[int, int]:
    """Sort key: academic year, then autumn < spring < summer."""
    season, academic = name.split(" ")
    return int(academic[:4]), ["autumn", "spring", "summer"].index(season)
