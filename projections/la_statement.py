"""The statements a pre-filled LA request is made of, and the record fillers read.

A statement names the versions it comes from, so every sentence of a request can be traced
to the entries behind it; a correction, a mistake mark or a parent's dispute of an entry
travels with every statement quoting that entry. Each statement has a tier (1 = most
relevant): a page budget keeps tier 1 first, then 2, then 3, newest first within a tier.
Anything older than 12 months drops a tier, unless it says how things stand now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from domain import events as ev
from projections.la_profile import Profile
from projections.support_plan import support_plan
from projections.timeline import Entry, Flags, effective, flags
from projections.wording import format_day, months_before


@dataclass(frozen=True)
class Statement:
    """One sentence of the request and the entries (versions) it comes from."""

    text: str
    versions: tuple[int, ...]
    on: date | None = None
    tier: int = 2

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "versions": list(self.versions),
            "on": self.on.isoformat() if self.on else None,
            "tier": self.tier,
        }


@dataclass
class Record:
    """What every filler reads: the effective entries by kind, their flags, the day."""

    entries: Sequence[Entry]
    today: date
    profile: Profile
    setting_names: Mapping[str, str] = field(default_factory=dict)  # id -> what it is called
    live: list[Entry] = field(init=False)
    marks: dict[int, Flags] = field(init=False)
    people: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.live = effective(self.entries)
        self.marks = flags(self.entries)
        self.people = {
            e.event.person_id: f"{e.event.name} ({e.event.relationship})"
            for e in self.of(ev.PersonLinked)
            if isinstance(e.event, ev.PersonLinked)
        }

    @cached_property
    def sen(self) -> dict[str, Any]:
        """The SEN status as the plan view derives it (E while an issued EHC plan counts)."""
        return dict(support_plan(self.entries, today=self.today)["sen_status"])

    def setting(self, setting_id: str) -> str:
        """A setting by its name, where the setting has given it one."""
        return self.setting_names.get(setting_id, setting_id)

    def of(self, *kinds: type) -> list[Entry]:
        found = [e for e in self.live if isinstance(e.event, kinds)]
        return sorted(found, key=lambda e: (e.occurred_at, e.version))

    def say(
        self, text: str, entries: Iterable[Entry], *, tier: int = 2, current: bool = False
    ) -> Statement:
        """A statement about these entries, with what later entries say about them. A
        statement of how things stand now (`current`) keeps its tier however old its
        entries are; any other drops a tier when older than 12 months."""
        cited = sorted({e.version for e in entries})
        extra: list[str] = []
        for version in cited:
            mark = self.marks.get(version)
            if mark is None:
                continue
            for c in mark.corrections:
                said = format_day(c["on"])
                extra.append(f"Corrected in entry {c['version']} on {said}: {c['statement']}")
                cited.append(c["version"])
            for d in mark.disputes:
                said, comment = format_day(d["on"]), d["comment"].strip()
                extra.append(f"A parent disputes this (entry {d['version']}, {said}): “{comment}”")
                cited.append(d["version"])
        days = [e.occurred_on for e in entries]
        on = max(days) if days else None
        if not current and on is not None and on < months_before(self.today, 12):
            tier += 1
        body = " ".join([stop(text), *(stop(x) for x in extra)])
        return Statement(body, tuple(sorted(set(cited))), on, min(tier, 3))

    def child_name(self) -> str | None:
        """The child's name as registered (None before registration)."""
        for e in self.of(ev.ChildRegistered):
            if isinstance(e.event, ev.ChildRegistered):
                return f"{e.event.given_name} {e.event.family_name}"
        return None

    def person(self, person_id: str) -> str:
        return self.people.get(person_id, "a parent or carer")


def stop(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "”")) else text + "."


def count(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def joined(items: Iterable[str]) -> str:
    return "; ".join(i for i in items if i)


def events_of(entries: Iterable[Entry], kind: type) -> Iterable[tuple[Entry, Any]]:
    for entry in entries:
        if isinstance(entry.event, kind):
            yield entry, entry.event
