"""Import mappings: data, not code (like the LA profiles). A mapping says which column
becomes which field of which kind of entry; a broken one is refused naming file, field
and rule. `json_schema()` publishes the schema."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SCHEMA = "sendtrail/import-mapping/v1"
BUILTIN_DIR = Path(__file__).parent / "mappings"
MAX_MAPPING_BYTES = 64 * 1024

# The fields each kind of import fills, and which of them a row must give.
KIND_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    "pupil_list": (
        {"child", "given_name", "family_name"},
        {"date_of_birth", "upn", "year_group", "sen_status", "primary_need", "on_roll"},
    ),
    "chronology": (
        {"child", "date", "category", "text"},
        {"author", "area", "areas", "level", "service", "professional_role", "contact_kind"},
    ),
    "provision_map": (
        {"child", "provision", "start"},
        {
            "end",
            "area",
            "group_size",
            "sessions_per_week",
            "minutes",
            "weeks",
            "staff_grade",
            "cost",
            "funding",
            "end_reason",
        },
    ),
}
CATEGORIES = ("observation", "concern", "contact", "note")


class MappingError(ValueError):
    """A mapping file that cannot be used: its path, the field and the rule."""

    def __init__(self, path: Path, field: str, rule: str) -> None:
        self.path, self.field, self.rule = path, field, rule
        super().__init__(f"{path.name}: {field}: {rule}")


class Mapping(BaseModel):
    """One import mapping (TOML)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: Literal["sendtrail/import-mapping/v1"] = Field(alias="schema")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    kind: Literal["pupil_list", "chronology", "provision_map"]
    source_system: str = Field(min_length=1, max_length=200)
    setting_id: str = Field(min_length=1, max_length=100)
    date_order: Literal["dmy", "mdy", "ymd"] = Field(
        description="How the source writes dates like 03/04/2024 (required: never guessed)."
    )
    sheet: str | None = Field(default=None, description="XLSX only: the sheet to read.")
    source_id_column: str | None = Field(
        default=None, description="The column holding the source's stable id of a row."
    )
    columns: dict[str, str] = Field(description="Field -> column header in the source.")
    defaults: dict[str, str | int] = Field(
        default_factory=dict, description="Field -> value used when no column gives it."
    )
    categories: dict[str, Literal["observation", "concern", "contact", "note"]] = Field(
        default_factory=dict,
        description="Chronology only: the source's category -> the kind of entry.",
    )

    @model_validator(mode="after")
    def _fields_known(self) -> Mapping:
        required, optional = KIND_FIELDS[self.kind]
        for table in ("columns", "defaults"):
            for name in getattr(self, table):
                if name not in required | optional:
                    raise ValueError(
                        f"{table}.{name}: not a field of a {self.kind} import "
                        f"(known: {', '.join(sorted(required | optional))})"
                    )
        missing = sorted(required - set(self.columns) - set(self.defaults))
        if missing:
            raise ValueError(f"columns: must map {', '.join(missing)}")
        if self.kind == "chronology" and not self.categories:
            raise ValueError("categories: a chronology mapping must map its categories")
        return self


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(mapping)"


def parse_mapping(path: Path, raw: bytes) -> Mapping:
    """Validate a mapping file's bytes; MappingError names the field and the rule."""
    if len(raw) > MAX_MAPPING_BYTES:
        raise MappingError(path, "(file)", f"a mapping is at most {MAX_MAPPING_BYTES} bytes")
    try:
        data: dict[str, Any] = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise MappingError(path, "(file)", "must be UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise MappingError(path, "(syntax)", f"not valid TOML: {error}") from None
    try:
        return Mapping.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        rule = str(first["msg"]).removeprefix("Value error, ")
        raise MappingError(path, _location(first["loc"]), rule) from None


def load_mapping(name_or_path: str) -> Mapping:
    """A mapping by file path, or a built-in one by id (e.g. `pupil-list`)."""
    path = Path(name_or_path)
    if not path.suffix:
        path = BUILTIN_DIR / f"{name_or_path}.toml"
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise MappingError(path, "(file)", f"cannot be read ({error.strerror})") from None
    return parse_mapping(path, raw)


def json_schema() -> dict[str, Any]:
    """The mapping schema as JSON Schema (for editors and other tools)."""
    schema = Mapping.model_json_schema(by_alias=True)
    schema["$id"] = SCHEMA
    return schema
