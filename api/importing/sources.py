"""Streaming readers: rows of CSV, XLSX (openpyxl, read-only) and JSON Lines, each with
its sheet and row number; bad files are refused naming the row and the rule."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any


class SourceError(ValueError):
    """A source file that cannot be read as rows: where and why (never its content)."""

    def __init__(self, where: str, rule: str) -> None:
        self.where, self.rule = where, rule
        super().__init__(f"{where}: {rule}")


@dataclass(frozen=True)
class Row:
    sheet: str | None
    number: int  # 1-based, counting the header row as row 1
    values: dict[str, Any]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def read_rows(path: Path, sheet: str | None = None) -> Iterator[Row]:
    """The file's rows as header -> value, streaming."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _csv_rows(path)
    elif suffix == ".xlsx":
        yield from _xlsx_rows(path, sheet)
    elif suffix in (".jsonl", ".ndjson"):
        yield from _jsonl_rows(path)
    else:
        raise SourceError(path.name, "must be .csv, .xlsx or .jsonl")


def _csv_rows(path: Path) -> Iterator[Row]:
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        try:
            header = next(reader, None)
            if not header:
                raise SourceError(f"{path.name} row 1", "the header row is missing")
            for number, cells in enumerate(reader, start=2):
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) != len(header):
                    raise SourceError(
                        f"{path.name} row {number}",
                        f"has {len(cells)} cells; the header has {len(header)}",
                    )
                yield Row(None, number, dict(zip(header, cells, strict=True)))
        except UnicodeDecodeError:
            raise SourceError(path.name, "must be UTF-8 text (save the CSV as UTF-8)") from None


def _xlsx_rows(path: Path, sheet: str | None) -> Iterator[Row]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        book = load_workbook(path, read_only=True, data_only=False)
    except Exception:
        raise SourceError(path.name, "is not a readable XLSX workbook") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise SourceError(path.name, f"has no sheet named {sheet!r}")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = [str(cell) if cell is not None else "" for cell in next(rows, ())]
        if not any(header):
            raise SourceError(f"{path.name} {ws.title} row 1", "the header row is missing")
        for number, cells in enumerate(rows, start=2):
            if all(cell is None or cell == "" for cell in cells):
                continue
            values: dict[str, Any] = {}
            for column, cell in zip(header, cells, strict=False):
                if isinstance(cell, str) and cell.startswith("="):
                    raise SourceError(
                        f"{path.name} {ws.title} row {number} column {column}",
                        "holds a formula; save the values, not formulas",
                    )
                if isinstance(cell, datetime):
                    cell = cell.date() if cell.time() == datetime.min.time() else cell
                values[column] = "" if cell is None else cell
            yield Row(ws.title, number, values)
    finally:
        book.close()


def _jsonl_rows(path: Path) -> Iterator[Row]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except (ValueError, UnicodeDecodeError):
                raise SourceError(f"{path.name} line {number}", "is not JSON") from None
            if not isinstance(value, dict):
                raise SourceError(f"{path.name} line {number}", "must be a JSON object")
            yield Row(None, number, value)


def cell_text(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return "" if value is None else str(value).strip()
