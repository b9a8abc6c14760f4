"""Finding entries on the chronology page: by kind, by who wrote them and by words in what
a reader sees (title, sentence, flags). The words searched for are never logged."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from exporters.report import kind_name, recorder_role
from projections.chronology import KINDS
from projections.search import finds

MAX_TEXT = 200


@dataclass(frozen=True)
class ChronologySearch:
    kind: str = ""
    author: str = ""
    text: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.kind or self.author or self.text)

    @property
    def keep(self) -> dict[str, str]:
        """The search as query parameters (kept on the links between pages)."""
        return {"kind": self.kind, "author": self.author, "q": self.text}

    def admits(self, entry: dict[str, Any]) -> bool:
        """Whether a chronology entry is of the kind and by the author asked for."""
        if self.kind and entry["kind"] != self.kind:
            return False
        return not self.author or entry["recorded_by"]["user"] == self.author

    def reads(self, row: dict[str, Any]) -> bool:
        """Whether an entry, as a reader sees it, holds every word searched for."""
        seen = (row["title"], row["text"], row["who"], *(text for _, text in row["flags"]))
        return finds(self.text, seen)


def chronology_search(request: Request) -> ChronologySearch:
    """The search in the page's query; a value that breaks a rule is named and left out."""
    asked = request.query_params
    kind, author, text = (asked.get(k, "").strip() for k in ("kind", "author", "q"))
    errors = {}
    if kind and kind not in KINDS:
        errors["kind"] = "Choose a kind of entry from the list"
        kind = ""
    if len(author) > 100:
        errors["author"] = "Choose who wrote it from the list"
        author = ""
    if len(text) > MAX_TEXT:
        errors["q"] = f"Enter at most {MAX_TEXT} characters"
        text = ""
    return ChronologySearch(kind, author, text, errors)


def kind_choices(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The kinds of entry this chronology holds, by name."""
    kinds = {entry["kind"] for entry in entries}
    return sorted(((k, kind_name(k)) for k in kinds), key=lambda choice: choice[1])


def author_choices(entries: list[dict[str, Any]], names: dict[str, str]) -> list[tuple[str, str]]:
    """Who wrote this chronology's entries: each by name and role (a user no longer on
    this server by role alone)."""
    found: dict[str, str] = {}
    for entry in entries:
        user = entry["recorded_by"]["user"]
        if user not in found:
            role = recorder_role(entry)
            found[user] = f"{names[user]} ({role})" if user in names else role
    return sorted(found.items(), key=lambda choice: choice[1])
