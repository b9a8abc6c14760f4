"""Plan an import (every row checked against the domain rules at its own date, nothing
written) and then write it, one child per transaction, only if no row was refused.

Idempotence: every row gets a stable key, sha256(mapping id, source id column) when the
mapping names one, else sha256(mapping id, the mapped values). The key is stored in the
entry's provenance; rows whose key is already stored are skipped and counted."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast
from uuid import UUID, uuid4

import orjson

from api.bootstrap import open_key_store
from api.importing.mapping import Mapping
from api.importing.sources import Row, SourceError, cell_text, file_sha256, read_rows
from domain import commands as cmd
from domain.application import ChildRecords
from domain.child import ChildRecord
from domain.envelope import EnvelopeDraft, RecordedBy
from domain.errors import DomainError
from ledger.documents import DocumentStore
from ledger.log import LedgerBackend

DATE = re.compile(r"^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})$")
MONTH = re.compile(r"^(?:(\d{1,2})[/.-](\d{4})|(\d{4})[/.-](\d{1,2}))$")


# Children stored per transaction: each child's entries always go in together (never split),
# and a batch of children shares one commit, which is what makes 10,000 rows quick.
SAVE_BATCH = 200


class RowRefused(ValueError):
    """A row that cannot become an entry: the field and the rule (never the value)."""

    def __init__(self, field: str, rule: str) -> None:
        self.field, self.rule = field, rule
        super().__init__(f"{field}: {rule}")


Made = type[cmd.Command] | type[cmd.RegisterChild]  # what a row becomes


@dataclass
class Entry:
    """One command to run for a row: the command and its fields."""

    row: Row
    key: str
    command: Made
    draft: EnvelopeDraft
    kwargs: dict[str, Any]


@dataclass
class ChildPlan:
    source_child: str
    child_id: UUID | None  # None: registered by this import
    entries: list[Entry] = field(default_factory=list)
    applied: ChildRecord | None = None  # the record with the entries, as checked by `plan`
    source_rows: bytes = b""  # this child's rows of the source file, kept as a document


@dataclass
class Outcome:
    """What an import did (or, dry, would do): counts and refusals by row and rule."""

    rows: int = 0
    skipped: int = 0
    refused: list[tuple[str, str, str]] = field(default_factory=list)  # where, field, rule
    children_created: int = 0
    entries: int = 0
    written: bool = False
    plans: dict[str, ChildPlan] = field(default_factory=dict)


def parse_date(value: str, order: str, name: str) -> tuple[date, str]:
    """A date and its precision; month-only dates (2024-03, 03/2024) stay month-precise."""
    text = value.strip()
    if not text:
        raise RowRefused(name, "is empty")
    try:
        return date.fromisoformat(text[:10]), "day"
    except ValueError:
        pass
    month = MONTH.match(text)
    if month:
        m1, y1, y2, m2 = month.groups()
        try:
            return date(int(y1 or y2), int(m1 or m2), 1), "month"
        except ValueError:
            raise RowRefused(name, "is not a real month") from None
    match = DATE.match(text)
    if not match:
        raise RowRefused(name, f"is not a date in the mapping's order ({order})")
    a, b, c = match.groups()
    try:
        parts = {"dmy": (c, b, a), "mdy": (c, a, b), "ymd": (a, b, c)}[order]
        year, month_no, day = (int(p) for p in parts)
        if year >= 100:
            return date(year, month_no, day), "day"
    except ValueError:
        raise RowRefused(name, f"is not a real date in the mapping's order ({order})") from None
    raise RowRefused(name, "needs a four-digit year")


class Importer:
    def __init__(
        self,
        records: ChildRecords,
        mapping: Mapping,
        source: Path,
        *,
        user: str,
        role: str = "senco",
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.records, self.mapping, self.source = records, mapping, source
        self.user, self.role = user, role
        self.now = now or records.clock
        self.sha256 = file_sha256(source)
        self.imported_at = self.now().isoformat()
        self.context = cmd.Context(discussion_outcomes=records.discussion_outcomes)

    # --- what is already stored -------------------------------------------------------

    def _stored(self) -> tuple[dict[str, UUID], set[str]]:
        """Source child id -> child id (from earlier imports), and row keys stored."""
        children: dict[str, UUID] = {}
        keys: set[str] = set()
        for child_id in self.records.child_ids():
            for event in self.records.history(child_id):
                prov = getattr(event, "provenance", None)
                if not prov:
                    continue
                keys.add(prov["row_key"])
                # Moved from another sendtrail (from_sendtrail): the row it was imported
                # from there still counts, so the same file is not imported twice.
                prov = prov.get("source_provenance") or prov
                keys.add(prov["row_key"])
                if prov.get("source_child") and prov.get("mapping_kind") == "pupil_list":
                    children.setdefault(
                        f"{prov['source_system']}\x00{prov['source_child']}", child_id
                    )
        return children, keys

    # --- one row ----------------------------------------------------------------------

    def _value(self, row: Row, name: str, required: bool = True) -> str:
        column = self.mapping.columns.get(name)
        if column is not None:
            if column not in row.values:
                raise RowRefused(column, f"the column for {name} is missing from the source")
            text = cell_text(row.values[column])
            if text:
                return text
        if name in self.mapping.defaults:
            return str(self.mapping.defaults[name])
        if required:
            raise RowRefused(column or name, f"{name} is required")
        return ""

    def _int(self, row: Row, name: str) -> int:
        text = self._value(row, name)
        try:
            return int(text)
        except ValueError:
            raise RowRefused(
                self.mapping.columns.get(name, name), "must be a whole number"
            ) from None

    def _key(self, row: Row) -> str:
        basis: Any
        if self.mapping.source_id_column:
            basis = cell_text(row.values.get(self.mapping.source_id_column))
            if not basis:
                raise RowRefused(self.mapping.source_id_column, "the source id is empty")
        else:
            basis = {
                name: cell_text(row.values.get(col)) for name, col in self.mapping.columns.items()
            }
        blob = orjson.dumps([self.mapping.id, basis], option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(blob).hexdigest()

    def _draft(
        self, row: Row, key: str, occurred: date, precision: str, child: str
    ) -> EnvelopeDraft:
        provenance = {
            "source_system": self.mapping.source_system,
            "source_file_sha256": self.sha256,
            "sheet": row.sheet,
            "row": row.number,
            "row_key": key,
            "source_child": child,
            "mapping": self.mapping.id,
            "mapping_kind": self.mapping.kind,
            "imported_by": self.user,
            "imported_at": self.imported_at,
        }
        return EnvelopeDraft(
            occurred_at=occurred,
            precision=precision,
            recorded_by=RecordedBy(self.user, self.role, self.mapping.setting_id),
            basis="imported",
            provenance=provenance,
        )

    def _entries(
        self, row: Row, key: str, child: str
    ) -> list[tuple[Made, EnvelopeDraft, dict[str, Any]]]:
        m, order = self.mapping, self.mapping.date_order
        if m.kind == "pupil_list":
            on_roll = self._value(row, "on_roll", required=False)
            when, precision = (
                parse_date(on_roll, order, m.columns.get("on_roll", "on_roll"))
                if on_roll
                else (self.now().date(), "day")
            )
            dob_text = self._value(row, "date_of_birth", required=False)
            dob = (
                parse_date(dob_text, order, m.columns.get("date_of_birth", "date_of_birth"))[0]
                if dob_text
                else None
            )
            draft = self._draft(row, key, when, precision, child)
            out: list[tuple[Made, EnvelopeDraft, dict[str, Any]]] = [
                (
                    cmd.RegisterChild,
                    draft,
                    {
                        "given_name": self._value(row, "given_name"),
                        "family_name": self._value(row, "family_name"),
                        "date_of_birth": dob,
                        "setting_id": m.setting_id,
                    },
                ),
            ]
            status = self._value(row, "sen_status", required=False).upper()
            if status and status != "N":
                need = self._value(row, "primary_need", required=False).upper() or None
                out.append(
                    (
                        cmd.ChangeSenStatus,
                        draft,
                        {
                            "status": status,
                            "need_codes": [need] if need else [],
                            "primary_need": need,
                            "reason": f"Imported from {m.source_system}",
                        },
                    )
                )
            return out
        if m.kind == "chronology":
            when, precision = parse_date(self._value(row, "date"), order, m.columns["date"])
            draft = self._draft(row, key, when, precision, child)
            raw = self._value(row, "category")
            kind = m.categories.get(raw) or m.categories.get(raw.lower())
            if kind is None:
                raise RowRefused(m.columns["category"], "is not one of the mapping's categories")
            text = self._value(row, "text")
            author = self._value(row, "author", required=False) or "unknown"
            if kind in ("observation", "note"):
                return [
                    (
                        cmd.RecordObservation,
                        draft,
                        {"area": self._value(row, "area"), "notes": text, "observer": author},
                    )
                ]
            if kind == "concern":
                areas = [a.strip() for a in self._value(row, "areas").split(";") if a.strip()]
                return [
                    (
                        cmd.RaiseConcern,
                        draft,
                        {
                            "concern_id": f"imp-{key[:16]}",
                            "areas": areas,
                            "level": self._value(row, "level"),
                            "description": text,
                        },
                    )
                ]
            return [
                (
                    cmd.RecordContact,
                    draft,
                    {
                        "professional": author,
                        "professional_role": self._value(row, "professional_role"),
                        "service": self._value(row, "service"),
                        "kind": self._value(row, "contact_kind"),
                        "summary": text,
                    },
                )
            ]
        start, precision = parse_date(self._value(row, "start"), order, m.columns["start"])
        named = f"{m.id}\x00{child}\x00{self._value(row, 'provision')}"
        provision_id = f"imp-{hashlib.sha256(named.encode()).hexdigest()[:12]}"
        cost_text = self._value(row, "cost")
        try:
            cost = Decimal(cost_text.lstrip("£"))
        except InvalidOperation:
            raise RowRefused(m.columns.get("cost", "cost"), "must be an amount") from None
        out = [
            (
                cmd.StartProvision,
                self._draft(row, key, start, precision, child),
                {
                    "provision_id": provision_id,
                    "description": self._value(row, "provision"),
                    "area": self._value(row, "area"),
                    "start_date": start,
                    "group_size": self._int(row, "group_size"),
                    "session_minutes": self._int(row, "minutes"),
                    "sessions_per_week": self._int(row, "sessions_per_week"),
                    "weeks": self._int(row, "weeks"),
                    "staff_grade": self._value(row, "staff_grade"),
                    "cost": str(cost),
                    "funding_source": self._value(row, "funding"),
                },
            )
        ]
        end_text = self._value(row, "end", required=False)
        if end_text:
            end, end_precision = parse_date(end_text, order, m.columns.get("end", "end"))
            out.append(
                (
                    cmd.EndProvision,
                    self._draft(row, key, end, end_precision, child),
                    {
                        "provision_id": provision_id,
                        "end_date": end,
                        "reason": self._value(row, "end_reason", required=False) or "Ended",
                    },
                )
            )
        return out

    # --- the import -------------------------------------------------------------------

    def plan(self, progress: Callable[[int], None] | None = None) -> Outcome:
        """Read and check every row; nothing is written."""
        outcome = Outcome()
        stored_children, stored_keys = self._stored()
        seen: set[str] = set()
        system = self.mapping.source_system
        try:
            for row in read_rows(self.source, self.mapping.sheet):
                outcome.rows += 1
                if progress:
                    progress(1)
                where = f"row {row.number}" + (f" ({row.sheet})" if row.sheet else "")
                try:
                    key = self._key(row)
                    if key in stored_keys or key in seen:
                        outcome.skipped += 1
                        continue
                    seen.add(key)
                    child = self._value(row, "child")
                    lookup = f"{system}\x00{child}"
                    plan = outcome.plans.get(child)
                    if self.mapping.kind == "pupil_list":
                        if plan is not None or lookup in stored_children:
                            raise RowRefused(
                                self.mapping.columns["child"], "this child is already listed"
                            )
                        plan = outcome.plans[child] = ChildPlan(child, None)
                    elif plan is None:
                        if lookup not in stored_children:
                            raise RowRefused(
                                self.mapping.columns["child"],
                                "no child with this source id was imported from this system",
                            )
                        plan = outcome.plans[child] = ChildPlan(child, stored_children[lookup])
                    for command, draft, kwargs in self._entries(row, key, child):
                        plan.entries.append(Entry(row, key, command, draft, kwargs))
                except RowRefused as refusal:
                    outcome.refused.append((where, refusal.field, refusal.rule))
        except SourceError as error:
            outcome.refused.append((error.where, "(file)", error.rule))
            return outcome
        for plan in outcome.plans.values():
            self._keep_source_rows(plan)
            try:
                plan.applied = self._apply(plan)
            except _Refused as refusal:
                outcome.refused.append(refusal.args)
        outcome.children_created = sum(p.child_id is None for p in outcome.plans.values())
        outcome.entries = sum(len(p.entries) for p in outcome.plans.values())
        return outcome

    @property
    def _source_rows_name(self) -> str:
        """What a child's rows of the source are called as a document."""
        return f"imported-{self.mapping.id}-rows.csv"[:200]

    def _keep_source_rows(self, plan: ChildPlan) -> None:
        """This child's rows of the source (never another child's: a bundle or a subject
        access export goes to the child's parents or an LA), as a CSV document on the
        child's first imported entry, so its bundle shows where the entries came from; the
        whole file is named by its SHA-256 in every entry's provenance."""
        if not plan.entries:
            return
        rows = list({id(e.row): e.row for e in plan.entries}.values())
        columns = list(dict.fromkeys(["source sheet", "source row", *(
            name for row in rows for name in row.values)]))  # fmt: skip
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            values = {name: cell_text(value) for name, value in row.values.items()}
            writer.writerow({"source sheet": row.sheet or "", "source row": row.number, **values})
        plan.source_rows = out.getvalue().encode()
        attachment = {
            "sha256": hashlib.sha256(plan.source_rows).hexdigest(),
            "name": self._source_rows_name,
            "media_type": "text/csv",
            "size": len(plan.source_rows),
        }
        first = plan.entries[0]
        first.draft = replace(first.draft, attachments=[*first.draft.attachments, attachment])

    def _store_source_rows(self, children: list[tuple[ChildPlan, ChildRecord]]) -> None:
        """Each child's source rows as its document, stored (under its own data key) before
        the entries that name it: a crash between leaves at most an orphan file."""
        keys = open_key_store(self.records)
        keys.create_keys([child.id for plan, child in children if plan.child_id is None])
        store = DocumentStore(cast(LedgerBackend, self.records.recorder))
        for plan, child in children:
            if plan.source_rows:
                store.put(
                    child.id,
                    io.BytesIO(plan.source_rows),
                    name=self._source_rows_name,
                    media_type="text/csv",
                    metadata_stripped=False,
                    aead=keys.aead(child.id, create=True),
                )

    def _apply(self, plan: ChildPlan) -> ChildRecord | None:
        """The child's record with the plan's entries applied in memory (domain rules run
        at each entry's own date); _Refused names the first row refused."""
        child: ChildRecord | None = None
        if plan.child_id is not None:
            child = self.records.get_child(plan.child_id)  # a copy of its own
        for entry in plan.entries:
            try:
                envelope = entry.draft.seal(now=self.records.clock(), skew=self.records.skew)
                if entry.command is cmd.RegisterChild:
                    child = ChildRecord.register(envelope, child_id=uuid4(), **entry.kwargs)
                    continue
                if child is None:
                    raise _Refused(f"row {entry.row.number}", "child", "no record to add to")
                command = cast(cmd.Command, entry.command(**entry.kwargs))
                command.apply(child, envelope, self.context)
            except DomainError as error:
                raise _Refused(
                    f"row {entry.row.number}", error.field or "(entry)", str(error)
                ) from None
        return child

    def write(self, outcome: Outcome) -> None:
        """Store each child's entries in one transaction (with other children's, SAVE_BATCH
        at a time). Call only on a clean plan."""
        if outcome.refused:
            raise ValueError("refusing to write an import with refused rows")
        batch: list[tuple[ChildPlan, ChildRecord]] = []
        for plan in outcome.plans.values():
            child = plan.applied or self._apply(plan)
            if child is not None:
                batch.append((plan, child))
            if len(batch) >= SAVE_BATCH:
                self._save(batch)
                batch = []
        if batch:
            self._save(batch)
        outcome.written = True

    def _save(self, batch: list[tuple[ChildPlan, ChildRecord]]) -> None:
        self._store_source_rows(batch)
        self.records.save(*[child for _, child in batch])


class _Refused(Exception):
    pass


def run_import(
    importer: Importer, *, dry_run: bool, progress: Callable[[int], None] | None = None
) -> Outcome:
    outcome = importer.plan(progress)
    if not dry_run and not outcome.refused:
        importer.write(outcome)
    return outcome


def summary_lines(outcome: Outcome) -> Iterable[str]:
    """The report: row numbers and rules only, never personal data."""
    for where, name, rule in outcome.refused:
        yield f"refused {where}: {name}: {rule}"
