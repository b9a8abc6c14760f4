"""Form handling shared by every page form: keep what was typed, validate it with the
API's own pydantic models, and put each refusal (pydantic's or the domain's) beside the
field it names, in plain words that never repeat the value."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from starlette.datastructures import FormData

from domain.errors import DomainError, VersionConflict

Model = TypeVar("Model", bound=BaseModel)
WHOLE_NUMBER = re.compile(r"^\s*-?[0-9]{1,12}\s*$")
MAX_KEPT = 100_000  # a field longer than this is not kept for re-display (nor accepted)


@dataclass
class FormState:
    """What the form shows: the values as typed, and any problems with them."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    problems: list[tuple[str | None, str]] = field(default_factory=list)
    conflict: int | None = None  # the record's version, when someone wrote meanwhile

    def add(self, name: str | None, message: str) -> None:
        """A problem with field `name` (None: with the form as a whole)."""
        if name is not None and name in self.errors:
            return
        if name is not None:
            self.errors[name] = message
        self.problems.append((name, message))

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    @property
    def failed(self) -> bool:
        return bool(self.problems) or self.conflict is not None


def typed(form: FormData) -> dict[str, str]:
    """The text fields of a POSTed form, exactly as typed (the CSRF token left out)."""
    return {
        key: value[:MAX_KEPT]
        for key, value in form.items()
        if key != "csrf" and isinstance(value, str)
    }


def filled(values: Mapping[str, str], *names: str) -> dict[str, Any]:
    """The named fields that were filled in (blank ones left to the model's defaults)."""
    return {n: values[n] for n in names if values.get(n, "").strip()}


def whole_numbers(data: dict[str, Any], *names: str) -> dict[str, Any]:
    """Whole numbers as ints (the API's models take numbers strictly); anything else is
    left as typed, so the model names the field."""
    for name in names:
        value = data.get(name)
        if isinstance(value, str) and WHOLE_NUMBER.match(value):
            data[name] = int(value)
    return data


def lines(text: str) -> list[str]:
    """A box with one item a line, as a list (blank lines dropped)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _name(loc: str) -> str:
    """'outcome_progress[0].progress' and 'outcome_progress.0.progress' name one field."""
    return re.sub(r"\[(\d+)\]", r".\1", loc)


def validate(
    model: type[Model],
    data: Mapping[str, Any],
    state: FormState,
    labels: Mapping[str, str],
    where: Mapping[str, str] | None = None,
) -> Model | None:
    """The model, or None with every problem added to `state`."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as error:
        for detail in error.errors(include_input=False, include_url=False):
            raw = _name(".".join(str(p) for p in detail["loc"]))
            name = _field(raw, labels, where)
            state.add(name, _message(detail, name or raw, labels))
        return None


def refused(
    error: DomainError,
    state: FormState,
    labels: Mapping[str, str],
    where: Mapping[str, str] | None = None,
) -> None:
    """A domain refusal beside the field it names (or at the top if it names none here)."""
    if isinstance(error, VersionConflict):
        state.conflict = error.actual
        return
    name = _field(_name(error.field), labels, where) if error.field else None
    state.add(name, readable(error.message, labels, name))


def _field(name: str, labels: Mapping[str, str], where: Mapping[str, str] | None) -> str | None:
    """The form field a model or domain field name stands for, if the form has it (an
    item of a one-a-line list, 'actions.3', is the list's own box)."""
    name = (where or {}).get(name, name)
    if name not in labels:
        name = re.sub(r"\.[0-9]+$", "", name)
    return name if name in labels else None


def readable(message: str, labels: Mapping[str, str], field: str | None = None) -> str:
    """A domain message with field names said as the form's labels: identifiers such as
    key_person_view anywhere, and the field the message is about where it starts."""
    for name in sorted(labels, key=len, reverse=True):
        if "_" in name:
            message = re.sub(rf"\b{re.escape(name)}\b", _lower_first(labels[name]), message)
        elif name == field:
            message = re.sub(rf"^{re.escape(name)}\b", _lower_first(labels[name]), message)
    return message[:1].upper() + message[1:]


def _lower_first(label: str) -> str:
    """'Key person's view' -> 'key person's view', but 'SENCO's view' stays."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def _message(detail: ErrorDetails, name: str, labels: Mapping[str, str]) -> str:
    """pydantic's error in words a person would use (the value itself never repeated)."""
    label = labels.get(name, name.replace("_", " "))
    what = _lower_first(label)
    kind, ctx = detail["type"], detail.get("ctx") or {}
    if kind in ("missing", "too_short") or (
        kind == "string_too_short" and ctx.get("min_length") == 1
    ):
        return f"Enter {what}" if not name.endswith(CHOICES) else f"Choose {what}"
    if kind == "string_too_long":
        return f"{label} must be {ctx.get('max_length')} characters or fewer"
    if kind == "too_long":
        return f"{label}: at most {ctx.get('max_length')} items"
    if kind in ("literal_error", "enum"):
        return f"Choose {what} from the list"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{label} must be a whole number"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = ctx.get("ge", ctx.get("le"))
        if isinstance(bound, date):
            side = "on or after" if kind == "greater_than_equal" else "on or before"
            return f"{label} must be {side} {bound:%d %B %Y}"
        side = "or more" if kind == "greater_than_equal" else "or less"
        return f"{label} must be {bound} {side}"
    if kind in ("date", "date_parsing", "date_from_datetime_parsing", "occurred_at", "date_type"):
        return f"Enter a real date for {what}"
    return f"{label}: {detail['msg']}"


# Fields chosen from a list rather than typed (so "Choose", not "Enter").
CHOICES = (
    "area",
    "outcome",
    "provision_id",
    "delivered",
    "decision",
    "person_id",
    "progress",
    "impact",
)
