"""Local-authority request profiles: data, not code.

Each local authority asks for a slightly different set of evidence in its own request
form. A profile (one TOML file per LA) names the form's sections in order, how each field
is filled from the record, and the evidence the LA expects. Profiles are validated against
the schema below; a broken one is refused with its file and field named. They are read
from the built-in folder and from a setting's own folder on every use, so a setting adds
its LA by dropping a file in, without code or a restart.

No expectation ever blocks an export: the legal test for an EHC needs assessment is low
(CFA 2014 s.36(8)). `projections.la_readiness` says so beside each one.
"""

from __future__ import annotations

import hashlib
import logging
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from domain.vocabulary import CONSENT_PURPOSES

logger = logging.getLogger(__name__)
SCHEMA = "sendtrail/la-profile/v1"
BUILTIN_DIR = Path(__file__).parent / "la_profiles"
# The built-in profile of the readiness hints every child's overview shows, unless the
# installation names another (Settings.readiness_profile).
GENERIC = "generic"
SUFFIX = ".toml"
MAX_PROFILE_BYTES = 256 * 1024

# How a field of the request form is filled from the record. projections.la_request holds
# one filler per code (a test keeps the two in step).
FILLS: dict[str, str] = {
    "child.name": "The child's name",
    "child.date_of_birth": "Date of birth and age",
    "child.setting": "The setting attended and since when",
    "people.parents": "Parents and carers with parental responsibility",
    "sen.status": "Current SEN status, need codes and primary need",
    "sen.history": "Every change of SEN status",
    "needs.areas": "Needs by the four broad areas, with the concerns raised",
    "request.reasons": "Why a request is made: the reasons recorded in the record",
    "discussions": "Discussions between key person and SENCO, with their outcomes",
    "plans.outcomes": "Support plans: the outcomes agreed, with target dates",
    "plans.reviews": "Reviews of the plans: progress, impact, decision",
    "provision.map": "The costed provision map, provision by provision",
    "provision.totals": "Cost of provision to date, by funding source",
    "provision.notional_budget": "Spend in the profile's period against its notional budget",
    "provision.fidelity": "Sessions delivered against planned",
    "progress.tracking": "Tracking assessments: band against chronological age",
    "progress.check_at_two": "The progress check at two",
    "observations": "Observations of the child",
    "reports.summaries": "External professional reports, summarised",
    "reports.recommendations": "Each recommendation and what was done with it",
    "agencies.involved": "Outside agencies involved: referrals, contacts, reports",
    "views.parent": "The parents' views",
    "views.child": "The child's own views",
    "consents": "Consents given, refused or withdrawn",
    "consent.share_with_la": "Parental consent to share the record with the LA",
    "parent.notified": "When the parents were formally told SEN provision started",
    "attendance": "Attendance over the period recorded",
    "chronology.contacts": "Tracking log: calls, visits, meetings, referrals, reports",
    "ehc.history": "Earlier EHC requests and decisions",
    "signature.parent": "A parent's signature (left blank, to be signed on the form)",
    "signature.setting": "The SENCO's signature (left blank, to be signed on the form)",
}

Ident = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Text = Annotated[str, Field(min_length=1, max_length=300)]
LongText = Annotated[str, Field(max_length=2000)]
Months = Annotated[int, Field(ge=1, le=120)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Expectation(_Strict):
    id: Ident
    title: Text = Field(description="What the LA asks for, in its own words.")
    guidance: LongText = Field(default="", description="Where the LA says so.")


class SenSupport(_Expectation):
    kind: Literal["sen_support"]


class ParentNotified(_Expectation):
    kind: Literal["parent_notified"]


class ReviewedCycles(_Expectation):
    kind: Literal["reviewed_cycles"]
    min: int = Field(default=2, ge=1, le=12, description="Reviewed plan cycles expected.")
    within_months: Months | None = Field(
        default=None, description="The latest review no older than this."
    )


class SupportDuration(_Expectation):
    kind: Literal["support_duration"]
    min_months: Months = Field(description="Months of SEN support before a request.")


class ProgressData(_Expectation):
    kind: Literal["progress_data"]
    min_assessments: int = Field(default=2, ge=1, le=50)
    within_months: Months | None = None


class ProvisionMap(_Expectation):
    kind: Literal["provision_map"]


class NotionalBudget(_Expectation):
    kind: Literal["notional_budget"]
    amount: Decimal = Field(gt=0, le=1_000_000, description="The notional SEN budget, £.")
    period_months: Months = 12


class ProfessionalAdvice(_Expectation):
    kind: Literal["professional_advice"]
    roles: list[Text] = Field(
        default_factory=list,
        max_length=10,
        description="Any of these (matched in the author's role or service, ignoring "
        "case); empty means any outside professional.",
    )
    max_age_months: Months = 12
    acted_on: bool = Field(default=False, description="Each recommendation has an action.")


class RecommendationsActioned(_Expectation):
    kind: Literal["recommendations_actioned"]


class ParentView(_Expectation):
    kind: Literal["parent_view"]
    max_age_months: Months = 12


class ChildView(_Expectation):
    kind: Literal["child_view"]
    max_age_months: Months = 12


class Consent(_Expectation):
    kind: Literal["consent"]
    purpose: str = "share_with_la"
    signature_on_form: bool = Field(
        default=False, description="The LA's form must also be signed by a parent."
    )

    @field_validator("purpose")
    @classmethod
    def _known_purpose(cls, purpose: str) -> str:
        if purpose not in CONSENT_PURPOSES:
            raise ValueError(f"purpose must be one of {', '.join(CONSENT_PURPOSES)}")
        return purpose


class Attendance(_Expectation):
    kind: Literal["attendance"]
    months: Months = 24
    min_share: float = Field(default=0.8, gt=0, le=1, description="Share of days covered.")


class AgenciesInvolved(_Expectation):
    kind: Literal["agencies_involved"]
    min: int = Field(default=1, ge=1, le=20)


Expectation = Annotated[
    SenSupport
    | ParentNotified
    | ReviewedCycles
    | SupportDuration
    | ProgressData
    | ProvisionMap
    | NotionalBudget
    | ProfessionalAdvice
    | RecommendationsActioned
    | ParentView
    | ChildView
    | Consent
    | Attendance
    | AgenciesInvolved,
    Field(discriminator="kind"),
]
EXPECTATION_KINDS = frozenset(
    model.model_fields["kind"].annotation.__args__[0]  # type: ignore[union-attr]
    for model in _Expectation.__subclasses__()
)


class FormField(_Strict):
    label: Text
    fill: str = Field(
        description="Where the field's content comes from.",
        json_schema_extra={"enum": list[Any](sorted(FILLS))},
    )
    required: bool = Field(default=True, description="A blank is shown as a gap to fill.")
    needed: LongText = Field(default="", description="What to add when it is blank.")
    limit: int | None = Field(default=None, ge=1, le=500, description="At most N statements.")

    @field_validator("fill")
    @classmethod
    def _known_fill(cls, fill: str) -> str:
        if fill not in FILLS:
            raise ValueError(f"fill must be one of {', '.join(sorted(FILLS))}")
        return fill


class Section(_Strict):
    id: Ident
    title: Text
    intro: LongText = ""
    fields: list[FormField] = Field(min_length=1, max_length=60)


class Profile(_Strict):
    schema_: Literal["sendtrail/la-profile/v1"] = Field(alias="schema")
    id: Ident
    name: Text
    local_authority: Text
    source: LongText = Field(description="The published guidance this profile follows.")
    updated: date
    notes: list[LongText] = Field(default_factory=list, max_length=20)
    page_budget: int | None = Field(default=None, ge=1, le=500)
    expectations: list[Expectation] = Field(default_factory=list, max_length=60)
    sections: list[Section] = Field(min_length=1, max_length=40)

    @model_validator(mode="after")
    def _unique_ids(self) -> Profile:
        for name, ids in (
            ("expectations", [e.id for e in self.expectations]),
            ("sections", [s.id for s in self.sections]),
        ):
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            if repeated:
                raise ValueError(f"{name} ids must be unique (repeated: {', '.join(repeated)})")
        return self


class ProfileError(ValueError):
    """A profile file breaks the schema: names the file, the field and the rule."""

    def __init__(self, path: Path, field: str, rule: str) -> None:
        self.path, self.field, self.rule = path, field, rule
        super().__init__(f"{path}: {field}: {rule}")


@dataclass(frozen=True)
class LoadedProfile:
    """A valid profile, with the file it came from and that file's SHA-256."""

    profile: Profile
    path: Path
    sha256: str

    def summary(self) -> dict[str, str]:
        """Which profile a readiness check or a request followed, and its file's digest."""
        p = self.profile
        return {
            "id": p.id,
            "name": p.name,
            "local_authority": p.local_authority,
            "source": p.source,
            "updated": p.updated.isoformat(),
            "sha256": self.sha256,
        }


def _location(loc: Sequence[int | str]) -> str:
    """pydantic's error location as a profile author reads it: `expectations[2].min`
    (the union's tag, which pydantic inserts after an index, is dropped)."""
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif i > 0 and isinstance(loc[i - 1], int) and part in EXPECTATION_KINDS:
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "(profile)"


def parse_profile(path: Path, raw: bytes) -> LoadedProfile:
    """Validate one profile file's bytes; ProfileError names the field and rule."""
    if len(raw) > MAX_PROFILE_BYTES:
        raise ProfileError(path, "(file)", f"a profile is at most {MAX_PROFILE_BYTES} bytes")
    try:
        data: dict[str, Any] = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProfileError(path, "(file)", "must be UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(path, "(syntax)", f"not valid TOML: {error}") from None
    try:
        profile = Profile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        rule = str(first["msg"]).removeprefix("Value error, ")
        raise ProfileError(path, _location(first["loc"]), rule) from None
    if profile.id != path.stem:
        raise ProfileError(path, "id", f"must be the file's name without {SUFFIX} ({path.stem})")
    return LoadedProfile(profile, path, hashlib.sha256(raw).hexdigest())


def load_profile(path: Path) -> LoadedProfile:
    """Read and validate one profile file."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ProfileError(path, "(file)", f"cannot be read ({error.strerror})") from None
    return parse_profile(path, raw)


def profile_files(folders: Iterable[Path]) -> list[Path]:
    """The profile files in these folders, folder by folder, sorted by name."""
    return [
        path
        for folder in folders
        if folder.is_dir()
        for path in sorted(folder.glob(f"*{SUFFIX}"))
        if path.is_file()
    ]


@dataclass(frozen=True)
class ProfileSet:
    """What the folders hold: the valid profiles by id, and every broken file's error."""

    profiles: dict[str, LoadedProfile]
    errors: list[ProfileError]


def scan_profiles(folders: Iterable[Path]) -> ProfileSet:
    """Every profile in these folders. A later folder's profile of the same id replaces an
    earlier one (a setting's own copy of a built-in profile wins). A broken file is kept
    out and reported, so one bad file never hides the others."""
    found: dict[str, LoadedProfile] = {}
    errors: list[ProfileError] = []
    for path in profile_files(folders):
        try:
            loaded = load_profile(path)
        except ProfileError as error:
            found.pop(path.stem, None)  # never fall back to an older copy silently
            errors.append(error)
            continue
        found[loaded.profile.id] = loaded
    return ProfileSet(found, errors)


class UnknownProfile(LookupError):
    """No profile has this id."""

    def __init__(self, profile_id: str, known: Iterable[str]) -> None:
        self.profile_id = profile_id
        super().__init__(
            f"no LA profile named {profile_id!r}; known: {', '.join(sorted(known)) or 'none'}"
        )


def find_profile(folders: Iterable[Path], profile_id: str) -> LoadedProfile:
    """One profile by id: its ProfileError if its file is broken, UnknownProfile if none."""
    scanned = scan_profiles(folders)
    for error in scanned.errors:
        if error.path.stem == profile_id:
            raise error
    if profile_id not in scanned.profiles:
        raise UnknownProfile(profile_id, scanned.profiles)
    return scanned.profiles[profile_id]


@lru_cache(maxsize=64)
def _load_unchanged(path: Path, _stamp: tuple[int, int]) -> LoadedProfile:
    return load_profile(path)


def current_profile(folders: Sequence[Path], profile_id: str) -> LoadedProfile:
    """The profile of this id as find_profile finds it (the last folder holding the file
    wins; a broken file raises its ProfileError), read again only when the file changes:
    readiness is read for every child on an overview or a dashboard."""
    for folder in reversed(folders):
        path = folder / f"{profile_id}{SUFFIX}"
        try:
            found = path.stat()
        except OSError:
            continue
        return _load_unchanged(path, (found.st_mtime_ns, found.st_size))
    raise UnknownProfile(profile_id, scan_profiles(folders).profiles)


def readiness_profile(folders: Sequence[Path], chosen: str | None = None) -> LoadedProfile:
    """The profile every child's overview is judged by: the one the installation chose,
    else `generic`. A chosen profile that is missing or broken falls back to the built-in
    generic hints (logged), so an overview never fails for a profile file."""
    try:
        return current_profile(folders, chosen or GENERIC)
    except (ProfileError, UnknownProfile) as error:
        logger.warning(
            "readiness profile %r not used, the built-in generic one is: %s",
            chosen or GENERIC,
            error,
        )
        return current_profile([BUILTIN_DIR], GENERIC)


def json_schema() -> dict[str, Any]:
    """The profile schema as JSON Schema (for editors and other tools)."""
    schema = Profile.model_json_schema(by_alias=True)
    schema["$id"] = SCHEMA
    return schema
