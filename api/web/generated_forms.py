"""A page form for every row of the write catalogue that has no hand-made one, made from
the row's input model: one field per model field (a date box for a date, a list for a
closed vocabulary, a tick box per choice for a list of choices, one item a line for a list
of words, a few rows of boxes for a list of outcomes or recommendations), the path's own
ids as fields of their own, labels from the model's names and descriptions. A new kind of
write gets its page with no page code; the rules are the API's, word for word."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from api import schemas as s
from api.catalogue import WriteKind
from api.web.forms import lines
from domain import vocabulary

ROWS = 3  # blank rows offered for a list of outcomes or recommendations
LONG_TEXT = 300  # a text allowed longer than this gets a box of its own

# Words for field names that humanising alone would say badly.
LABELS = {
    "occurred_at": "Date it happened",
    "sen_status": "SEN status",
    "need_codes": "Need codes (DfE)",
    "primary_need": "Primary need",
    "ehc": "EHC",
    "id": "reference",
    "la": "LA",
    "senco_view": "SENCO's view",
}


@dataclass(frozen=True)
class FormField:
    """One field of a generated form."""

    name: str
    label: str
    kind: str  # text, textarea, date, number, yesno, select, checks, lines, rows, group
    required: bool = False
    hint: str = ""
    options: tuple[tuple[str, str], ...] = ()
    parts: tuple[FormField, ...] = ()  # a row's or a group's own fields
    rows: int = 0


@dataclass(frozen=True)
class GeneratedForm:
    """A form made from a catalogue row."""

    write: WriteKind
    fields: tuple[FormField, ...] = field(default_factory=tuple)

    @property
    def labels(self) -> dict[str, str]:
        """Every field's label by its form name (rows and groups included)."""
        found: dict[str, str] = {}
        for f in self.fields:
            found[f.name] = f.label
            for part in f.parts:
                if f.kind == "group":
                    found[f"{f.name}.{part.name}"] = f"{f.label}: {_lower(part.label)}"
                for i in range(f.rows):
                    found[f"{f.name}.{i}.{part.name}"] = f"{part.label} ({i + 1})"
        return found

    def shape(
        self, values: Mapping[str, str], _today: str
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The model's input from what was typed: blank fields left to the model."""
        data: dict[str, Any] = {}
        if values.get("expected_version", "").strip():
            data["expected_version"] = _number(values["expected_version"])
        for f in self.fields:
            if f.name in self.write.path_params:
                continue
            value = _value(f, values)
            if value is not None:
                data[f.name] = value
        return data, {}


def _value(f: FormField, values: Mapping[str, str]) -> Any:
    raw = values.get(f.name, "").strip()
    if f.kind == "checks":
        return [code for code, _ in f.options if values.get(f"{f.name}.{code}")]
    if f.kind == "lines":
        return lines(values.get(f.name, ""))
    if f.kind == "rows":
        found = []
        for i in range(f.rows):
            row = {p.name: _value(p, _within(values, f"{f.name}.{i}.")) for p in f.parts}
            kept = {k: v for k, v in row.items() if v is not None}
            if kept:
                found.append(kept)
        return found
    if f.kind == "group":
        group = {p.name: _value(p, _within(values, f"{f.name}.")) for p in f.parts}
        kept = {k: v for k, v in group.items() if v not in (None, [])}
        return kept or None  # nothing typed in the group: the group is not given
    if not raw:
        return None
    if f.kind == "number":
        return _number(raw)
    if f.kind == "yesno":
        return {"yes": True, "no": False}.get(raw, raw)
    return raw


def _within(values: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}


def _number(raw: str) -> Any:
    """A whole number as an int (the models take numbers strictly); else as typed, so the
    model names the field."""
    text = raw.strip()
    return int(text) if text.lstrip("-").isdigit() and len(text) < 13 else text


def _lower(label: str) -> str:
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def humanise(name: str) -> str:
    """'primary_need' -> 'Primary need'; 'report_id' -> 'Report reference'."""
    words = [LABELS.get(w, w) for w in name.split("_")]
    text = " ".join(words)
    return LABELS.get(name, text[:1].upper() + text[1:])


def _choices(codes: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Codes with their labels from the domain's vocabulary that holds them all."""
    for term in vars(vocabulary).values():
        if isinstance(term, vocabulary.Vocabulary) and set(codes) <= set(term.terms):
            return tuple((c, term.label(c)) for c in codes)
    return tuple((c, humanise(c)) for c in codes)


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The type inside Optional/Annotated, and whether None is allowed."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(annotation))
            annotation = args[0]
        else:
            return annotation, optional


def field_for(name: str, info: FieldInfo, *, label: str | None = None) -> FormField:
    """The form field for one model field."""
    annotation, optional = _unwrap(info.annotation)
    required = info.is_required() and not optional
    hint = (info.description or "").strip()
    shown = label or humanise(name)
    origin = typing.get_origin(annotation)
    common: dict[str, Any] = {"name": name, "label": shown, "required": required, "hint": hint}
    if origin is Literal:
        return FormField(kind="select", options=_choices(typing.get_args(annotation)), **common)
    if origin is list:
        (item,) = typing.get_args(annotation)
        item, _ = _unwrap(item)
        if typing.get_origin(item) is Literal:
            return FormField(kind="checks", options=_choices(typing.get_args(item)), **common)
        if isinstance(item, type) and issubclass(item, BaseModel):
            parts = tuple(field_for(n, i) for n, i in item.model_fields.items())
            return FormField(kind="rows", parts=parts, rows=ROWS, **common)
        return FormField(kind="lines", hint=hint or "One a line.", **_without(common, "hint"))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        parts = tuple(field_for(n, i) for n, i in annotation.model_fields.items())
        return FormField(kind="group", parts=parts, **common)
    if annotation is bool:
        return FormField(kind="yesno", options=(("yes", "Yes"), ("no", "No")), **common)
    if annotation is date:
        return FormField(kind="date", **common)
    if annotation is int:
        return FormField(kind="number", **common)
    if annotation is Decimal:
        return FormField(kind="text", **common)
    longest = max((getattr(m, "max_length", 0) or 0 for m in info.metadata), default=0)
    return FormField(kind="textarea" if longest > LONG_TEXT else "text", **common)


def _without(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}


def generated(write: WriteKind) -> GeneratedForm:
    """The form of one catalogue row: its path's ids, the date, then the model's fields."""
    fields = [FormField(name, humanise(name), "text", required=True) for name in write.path_params]
    fields.append(field_for("occurred_at", s.Entry.model_fields["occurred_at"]))
    for name, info in write.model.model_fields.items():
        if name not in s.Entry.model_fields:
            fields.append(field_for(name, info))
    return GeneratedForm(write, tuple(fields))
