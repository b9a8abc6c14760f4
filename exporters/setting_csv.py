"""The setting export's CSV summaries: one file per kind of entry, one row per entry, for
people and spreadsheets (the JSON Lines files are the record; these are a reading aid).

Columns: the child, the version, both times, who recorded it and on what basis, then the
kind's own fields in the order the event class declares them. Lists and objects are
written as JSON text; dates as ISO 8601; money with two decimals."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Any

import orjson

from projections.jsonable import jsonable
from projections.timeline import ENVELOPE_FIELDS

HEAD = [
    "child_id",
    "version",
    "occurred_at",
    "precision",
    "recorded_at",
    "recorded_by_user",
    "recorded_by_role",
    "recorded_by_setting",
    "basis",
    "sensitivity",
    "attachments",
]


def columns(cls: type) -> list[str]:
    """The kind's own fields, as the event class declares them."""
    return [name for name in vars(cls).get("__annotations__", {}) if name not in ENVELOPE_FIELDS]


def _cell(value: Any) -> str:
    value = jsonable(value)
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return str(value)


class KindTables:
    """One CSV file per kind under `folder`, opened at the kind's first entry and written
    row by row (UTF-8 with a BOM, so spreadsheets read it as UTF-8)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._tables: dict[str, tuple[list[str], IO[str], Any]] = {}
        self.counts: dict[str, int] = {}

    def add(
        self, cls: type, state: dict[str, Any], child_id: str, version: int, recorded_at: str
    ) -> None:
        name = cls.__name__
        if name not in self._tables:
            own = columns(cls)
            self.folder.mkdir(parents=True, exist_ok=True)
            handle = (self.folder / f"{name}.csv").open("w", encoding="utf-8-sig", newline="")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(HEAD + own + ["other"])
            self._tables[name] = (own, handle, writer)
        own, _, writer = self._tables[name]
        self.counts[name] = self.counts.get(name, 0) + 1
        by = state.get("recorded_by")
        rest = {
            k: v
            for k, v in state.items()
            if k not in own and k not in ENVELOPE_FIELDS and k != "timestamp"
        }
        writer.writerow(
            [
                child_id,
                version,
                _cell(state.get("occurred_at")),
                state.get("precision", ""),
                recorded_at,
                getattr(by, "user", ""),
                getattr(by, "role", ""),
                getattr(by, "setting", ""),
                state.get("basis", ""),
                state.get("sensitivity", ""),
                len(state.get("attachments") or []),
                *(_cell(state.get(k)) for k in own),
                _cell(rest) if rest else "",
            ]
        )

    def close(self) -> dict[str, int]:
        """Close every file; returns how many entries each kind has."""
        for _, handle, _ in self._tables.values():
            handle.close()
        return dict(sorted(self.counts.items()))
