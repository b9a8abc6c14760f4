"""One settings object, read once at start-up from SENDTRAIL_* variables (or a .env file)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.retention import RetentionPolicy
from ledger.keys import log_origin
from ledger.keystore_pg import PostgresKeys, key_schema
from projections.la_profile import BUILTIN_DIR, LoadedProfile, readiness_profile


class Settings(BaseSettings):
    """Everything configurable about a sendtrail installation."""

    model_config = SettingsConfigDict(
        env_prefix="SENDTRAIL_", env_file=".env", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(
        default=Path("sendtrail-data"),
        validation_alias="SENDTRAIL_DATA",
        description="Folder for the SQLite file, key files and the key store.",
    )
    database_url: str | None = Field(
        default=None,
        description="postgresql://user:password@host:port/dbname[?schema=NAME]; "
        "unset means the embedded SQLite file in data_dir.",
    )
    database_connect_timeout: int = Field(
        default=5,
        ge=1,
        le=300,
        description="Seconds to wait for a PostgreSQL connection before answering "
        "'database unreachable' (HTTP 503, CLI exit 5) instead of hanging.",
    )
    snapshot_interval: int = Field(default=200, ge=2, description="Snapshot every N events.")
    clock_skew_seconds: int = Field(
        default=300, ge=0, le=3600, description="How far occurred_at may lie in the future."
    )
    extra_discussion_outcomes: dict[str, str] = Field(
        default_factory=dict,
        description="Setting-specific discussion outcomes, code -> label (JSON).",
    )

    kek_file: Path | None = Field(
        default=None,
        description="The key-encryption key file (0600) that wraps every child's data key; "
        "default data_dir/keys/kek.json. Keep it (and its backups) apart from the data.",
    )
    key_store: Path | None = Field(
        default=None,
        description="The key store (SQLite file) of wrapped per-child data keys; default "
        "data_dir/keystore.db, or, with SENDTRAIL_DATABASE_URL, tables in PostgreSQL (schema "
        "<schema>_keys) that every app server shares. Set it to keep a file with PostgreSQL.",
    )

    witnesses: str | None = Field(
        default=None,
        description="Witnesses each new checkpoint is submitted to (C2SP tlog-witness): "
        "'NAME URL PUBLIC-KEY-BASE64' entries separated by ';' (see `sendtrail witness key`).",
    )
    trust_store: Path | None = Field(
        default=None,
        description="The verifier's trust anchors (JSON; `sendtrail trust add`): whose "
        "exporter and log keys `verify` accepts; default data_dir/trust.json.",
    )

    retention_years: int = Field(
        default=31,
        ge=1,
        le=120,
        description="Keep a SEN record until date of birth + this many years (toolkit: 31).",
    )
    retention_unknown_dob: Literal["review", "from_registration"] = Field(
        default="review",
        description="Without a date of birth: 'review' (a person decides; never due by "
        "itself) or 'from_registration' (registration date + retention_years).",
    )

    retention_dispose: Literal["manual", "auto"] = Field(
        default="manual",
        description="'manual': records past retention are disposed of only by `sendtrail "
        "retention dispose` (an admin confirms). 'auto': the serving installation's "
        "housekeeping disposes of them once a day (legal holds excepted), recording "
        "RetentionDisposed for each.",
    )
    housekeeping_interval: float = Field(
        default=60.0,
        ge=0,
        description="Seconds between `serve`'s housekeeping, done by one server of an "
        "installation at a time: finishing erasures another server left unfinished, "
        "catching the cohort tables up, and (retention_dispose=auto) disposal. 0: never.",
    )

    la_profiles: Path | None = Field(
        default=None,
        description="A folder of this setting's own LA request profiles (TOML), read beside "
        "the built-in ones on every use; default data_dir/la-profiles.",
    )

    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="The largest request body (JSON writes, forms) in bytes; larger is 413, "
        "refused before any of it is read.",
    )
    max_bundle_upload_bytes: int = Field(
        default=50 * 1024 * 1024,
        ge=1024,
        description="The largest evidence bundle that may be uploaded to be checked, in bytes.",
    )
    verify_inflate_bytes: int = Field(
        default=100 * 1024 * 1024,
        ge=1024,
        description="The most an uploaded bundle may inflate to while it is checked (all its "
        "entries together), in bytes; checked first against the zip's own claims.",
    )
    verify_concurrency: int = Field(
        default=2,
        ge=1,
        le=32,
        description="How many uploaded bundles are checked at once (off the event loop); "
        "more at the same time are answered 503 with Retry-After.",
    )
    checkpoint_interval: float = Field(
        default=60.0,
        ge=0,
        description="Seconds between `serve`'s checks whether the log grew; when it did, a "
        "new checkpoint is signed, stored and sent to the witnesses. 0: never (then only "
        "`sendtrail checkpoint` signs). Reads never sign.",
    )
    max_document_bytes: int = Field(
        default=25 * 1024 * 1024,
        ge=1024,
        description="The largest file that may be attached to a child's record, in bytes.",
    )
    readiness_profile: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
        description="The LA profile (its id) every child's overview, the dashboard, reports "
        "and bundles judge readiness by, and the LA tab shows first; unset means the built-in "
        "generic hints (`generic`). A profile that is missing or broken falls back to those.",
    )
    setting_names: dict[str, str] = Field(
        default_factory=dict,
        description="What each setting is called, by its id, as parents, LAs and reports read "
        'it (JSON, e.g. {"oak-nursery": "Oak Tree Nursery"}); an id without a name is shown as '
        "it is.",
    )
    report_pages: int = Field(
        default=40,
        ge=4,
        le=500,
        description="Page budget of a bundle's PDF report; the complete chronology is always "
        "in report.html and events.jsonl.",
    )

    origin: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SENDTRAIL_LOG_ORIGIN", "log_origin"),
        description="Name of this installation's log in checkpoints (a schema-less URL); "
        "default: the unique origin made with the log key (keys/log-origin.txt), or "
        "sendtrail.local/log for an installation made before origins were unique.",
    )

    smtp_url: str | None = Field(
        default=None,
        description="Where invitation emails are sent: smtp://[user:password@]host[:port], "
        "smtp+starttls://... or smtps://...; unset: no email, the admin passes the link on.",
    )
    smtp_from: str = Field(
        default="sendtrail@localhost", description="The From address of invitation emails."
    )
    require_totp: bool = Field(
        default=False,
        description="Admins and SENCOs must turn on a second factor (TOTP) before they can "
        "use the pages (the API's bearer tokens are not affected).",
    )

    test_crash_at: str | None = Field(
        default=None,
        description="Tests only: the named step of a long command at which the process "
        "kills itself (SIGKILL), to prove that a rerun finishes what was interrupted.",
    )

    @property
    def keys_dir(self) -> Path:
        """Where the Ed25519 key files live."""
        return self.data_dir / "keys"

    @property
    def kek_path(self) -> Path:
        """Where the key-encryption key file lives."""
        return self.kek_file or self.keys_dir / "kek.json"

    @property
    def key_store_path(self) -> Path:
        """Where the key store of wrapped data keys lives."""
        return self.key_store or self.data_dir / "keystore.db"

    @property
    def key_store_in_database(self) -> bool:
        """Whether the key store lives in PostgreSQL beside the events: the default with
        SENDTRAIL_DATABASE_URL (what several app servers share), unless
        SENDTRAIL_KEY_STORE names a file."""
        return self.database_url is not None and self.key_store is None

    @property
    def key_store_location(self) -> Path | PostgresKeys:
        """The key store: its file, or its schema in PostgreSQL."""
        if not self.key_store_in_database or self.database_url is None:
            return self.key_store_path
        conninfo, _, query = self.database_url.partition("?")
        schema = parse_qs(query).get("schema", [None])[0]
        return PostgresKeys(conninfo, key_schema(schema), self.database_connect_timeout)

    @property
    def key_store_name(self) -> str:
        """How messages and `keys status` name the key store."""
        where = self.key_store_location
        return where.name if isinstance(where, PostgresKeys) else str(where)

    @property
    def log_origin(self) -> str:
        """The origin of this installation's log (read when asked: `keys init` may make it
        after these settings were read)."""
        return self.origin or log_origin(self.keys_dir)

    @property
    def trust_store_path(self) -> Path:
        """The verifier's named trust anchors (`sendtrail trust add`)."""
        return self.trust_store or self.data_dir / "trust.json"

    @property
    def la_profile_dirs(self) -> list[Path]:
        """Where LA request profiles are read from: the built-in ones, then the setting's
        own (which replace a built-in profile of the same id)."""
        return [BUILTIN_DIR, self.la_profiles or self.data_dir / "la-profiles"]

    def overview_profile(self) -> LoadedProfile:
        """The profile readiness is judged by on overviews (see `readiness_profile`)."""
        return readiness_profile(self.la_profile_dirs, self.readiness_profile)

    @property
    def sqlite_path(self) -> Path:
        """Where the embedded store lives."""
        return self.data_dir / "sendtrail.db"

    @property
    def retention(self) -> RetentionPolicy:
        """The retention policy these settings describe."""
        return RetentionPolicy(self.retention_years, self.retention_unknown_dob)
