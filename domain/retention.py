"""When a child's SEN record may be disposed of.

The records-management toolkit keeps a SEN file until the child's date of birth + 31
years (some sector guides say + 25): the number of years is configurable. A record with
no date of birth has no such date, so the policy for it must be chosen explicitly: flag
it for review (the default), or count from its registration (later than birth, so never
earlier than the rule would be). A legal hold always keeps the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.errors import InvalidValue

UNKNOWN_DOB_POLICIES = ("review", "from_registration")


def anniversary(day: date, years: int) -> date:
    """`day` plus whole years. 29 February falls on 1 March in a common year, the day a
    person born on 29 February attains an age in England and Wales (and the later of
    the two candidates, so a record is never disposed of early)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return date(day.year + years, 3, 1)


@dataclass(frozen=True)
class RetentionPolicy:
    """Keep until date of birth + `years`; `unknown_dob` says what to do without one."""

    years: int = 31
    unknown_dob: str = "review"

    def __post_init__(self) -> None:
        if not 1 <= self.years <= 120:
            raise InvalidValue("retention years must be between 1 and 120", field="years")
        if self.unknown_dob not in UNKNOWN_DOB_POLICIES:
            raise InvalidValue(
                f"unknown_dob must be one of {', '.join(UNKNOWN_DOB_POLICIES)}",
                field="unknown_dob",
            )

    def retain_until(self, date_of_birth: date | None, registered_on: date | None) -> date | None:
        """The first day the record may be disposed of; None: a person must review it."""
        if date_of_birth is not None:
            return anniversary(date_of_birth, self.years)
        if self.unknown_dob == "from_registration" and registered_on is not None:
            return anniversary(registered_on, self.years)
        return None

    def basis(self, date_of_birth: date | None) -> str:
        """Which rule gave the date, as recorded on a disposal."""
        if date_of_birth is not None:
            return f"date_of_birth+{self.years}y"
        return f"{self.unknown_dob}+{self.years}y"
