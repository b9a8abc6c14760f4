"""The composition root: the one place that turns settings into wired-up objects."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast
from urllib.parse import parse_qs, unquote, urlparse
from uuid import UUID

from api.settings import Settings
from domain import commands as cmd
from domain.application import ChildRecords, Clock, utc_now
from domain.envelope import EnvelopeDraft, RecordedBy
from exporters.bundle import Bundle, ExportError, ExportKeys, build_bundle
from exporters.la_files import request_files
from exporters.report_files import report_files
from exporters.timestamp import request_token
from ledger.cipher import KEK_FILE, KEY_STORE_PATH
from ledger.documents import DocumentStore
from ledger.keys import EXPORTER_KEY, LOG_KEY, key_paths, load_private, load_public
from ledger.keystore import KeyStore
from ledger.leader import Leadership
from ledger.log import Ledger, LedgerBackend
from ledger.mapper import CommittingMapper
from ledger.pairing import open_paired_key_store
from ledger.sql import postgres_may_create
from projections.la_profile import LoadedProfile
from projections.views import ChildViews

if TYPE_CHECKING:
    from api.deps import Services

# The domain is configured with the ledger by topic, so neither imports the other.
# Recently used records stay in memory and are fast-forwarded from the store on each read,
# so a write loads only the events it has not seen (other processes' writes included).
# Payloads are sealed under each child's own data key; the mapper finds the key store
# through the cipher that eventsourcing's factory builds from these settings. Events are
# encoded once, as canonical JSON (orjson), by the ledger's transcoder.
LEDGER_TOPICS = {
    "TRANSCODER_TOPIC": "ledger.transcoder:CanonicalTranscoder",
    "MAPPER_TOPIC": "ledger.mapper:CommittingMapper",
    "CIPHER_TOPIC": "ledger.cipher:ChildKeyCipher",
    "AGGREGATE_CACHE_MAXSIZE": "500",
    "AGGREGATE_CACHE_FASTFORWARD": "y",
}


def key_env(settings: Settings) -> dict[str, str]:
    """Where the cipher finds the key store and the KEK file."""
    return {
        KEY_STORE_PATH: settings.key_store_name,
        KEK_FILE: str(settings.kek_path),
    }


def private_data_dir(settings: Settings) -> None:
    """The data folder readable only by the service (0700), and the SQLite store's files
    0600: they hold parents' names (users) and every child's event types. SQLite gives its
    WAL and shared-memory files the database file's mode, so making that file first, 0600,
    covers them; an older installation's looser files are tightened."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(settings.data_dir, 0o700)
    if settings.database_url is not None:
        return
    database = settings.sqlite_path
    if not database.exists():
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
    for path in (database, *(database.with_name(database.name + e) for e in ("-wal", "-shm"))):
        if path.exists():
            _tighten(path, 0o600)


def _tighten(path: Path, mode: int) -> None:
    # Only when looser: a read-only mount refuses even a chmod that changes nothing, and
    # must be told as "read-only" by the store's own open, not as a chmod's traceback.
    if stat.S_IMODE(path.stat().st_mode) != mode:
        path.chmod(mode)


def persistence_env(settings: Settings) -> dict[str, str]:
    """eventsourcing environment settings for the configured store."""
    private_data_dir(settings)
    if settings.database_url is None:
        return {
            **LEDGER_TOPICS,
            **key_env(settings),
            "APPLICATION_RECORDER_TOPIC": "ledger.sqlite_recorder:AuditedSQLiteRecorder",
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.sqlite_path),
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    url = urlparse(settings.database_url)
    if url.scheme not in ("postgresql", "postgres"):
        raise ValueError("SENDTRAIL_DATABASE_URL must start with postgresql://")
    env = {
        **LEDGER_TOPICS,
        **key_env(settings),
        "APPLICATION_RECORDER_TOPIC": "ledger.postgres_recorder:AuditedPostgresRecorder",
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        "PERSISTENCE_MODULE": "ledger.postgres_recorder:LedgerPostgresFactory",
        "POSTGRES_DBNAME": url.path.lstrip("/") or "postgres",
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_POOL_SIZE": "5",
        "POSTGRES_MAX_OVERFLOW": "10",
        "POSTGRES_LOCK_TIMEOUT": "10",
        # How long a request waits for a connection before it is told "unavailable" (503).
        "POSTGRES_CONNECT_TIMEOUT": str(settings.database_connect_timeout),
    }
    schema = parse_qs(url.query).get("schema")
    if schema:
        env["POSTGRES_SCHEMA"] = schema[0]
    # A role without CREATE on the schema (the application role of `sendtrail db grant`)
    # uses the tables its owner made (`sendtrail db init`) and never tries to make them.
    conninfo = settings.database_url.partition("?")[0]
    if not postgres_may_create(
        conninfo, env.get("POSTGRES_SCHEMA", "public"), timeout=settings.database_connect_timeout
    ):
        env["CREATE_TABLE"] = "n"
    return env


def open_records(settings: Settings, *, clock: Clock = utc_now) -> ChildRecords:
    """The application service on the configured store, with the key store that belongs
    to it (KeyStoreRefused, naming the file, when it is missing, empty or another's)."""
    records = ChildRecords(
        persistence_env(settings),
        clock=clock,
        skew=timedelta(seconds=settings.clock_skew_seconds),
        snapshot_interval=settings.snapshot_interval,
        extra_outcomes=settings.extra_discussion_outcomes,
    )
    try:
        attach_key_store(records, settings)
    except BaseException:
        records.close()
        raise
    return records


def attach_key_store(records: ChildRecords, settings: Settings) -> None:
    """Give the application's cipher the key store paired with its event store."""
    mapper = records.mapper
    if isinstance(mapper, CommittingMapper) and mapper.keys is not None:
        backend = cast(LedgerBackend, records.recorder)
        mapper.keys.attach(
            open_paired_key_store(backend, settings.key_store_location, settings.kek_path)
        )


def open_ledger(records: ChildRecords, settings: Settings) -> Ledger:
    """The audit ledger behind the application's recorder."""
    backend = records.recorder
    if not hasattr(backend, "ledger_cursor"):
        raise TypeError("the application is not configured with the audited recorder")
    return Ledger(cast(LedgerBackend, backend), origin=settings.log_origin)


def open_key_store(records: ChildRecords) -> KeyStore:
    """The key store behind the application's mapper (the same connection and cache)."""
    mapper = records.mapper
    if not isinstance(mapper, CommittingMapper) or mapper.keys is None:
        raise TypeError("the application is not configured with per-child keys")
    return mapper.keys.keys


def set_record_clock(records: ChildRecords, clock: Callable[[], datetime]) -> None:
    """Replace the ledger's record clock (demo data only: it lays out a history that was
    recorded over years). The ledger still never lets record time run backwards."""
    recorder = records.recorder
    if not hasattr(recorder, "clock"):
        raise TypeError("the application is not configured with the audited recorder")
    recorder.clock = clock


@dataclass(frozen=True)
class LaRequest:
    """Which LA's request to add to a bundle, and within how many pages."""

    profile: LoadedProfile
    pages: int | None = None
    tribunal: bool = False


class Exporter:
    """Wires the bundle writer to the store, the keys, the report renderer and, when asked,
    an RFC 3161 timestamp authority."""

    tsa_timeout_seconds = 30.0

    def __init__(self, records: ChildRecords, settings: Settings, *, pdf: bool) -> None:
        self.records = records
        self.settings = settings
        self.ledger = open_ledger(records, settings)
        self.views = ChildViews(records, self.ledger, readiness_profile=settings.overview_profile)
        log = key_paths(settings.keys_dir, LOG_KEY)
        self.keys = ExportKeys(
            exporter=load_private(key_paths(settings.keys_dir, EXPORTER_KEY).private),
            log_public=load_public(log.public),
            log_name=settings.log_origin,
            log_private=load_private(log.private) if log.private.exists() else None,
        )
        self.pdf = pdf

    def document_reader(self, child_id: UUID) -> Callable[[str], bytes]:
        """Reads the child's attached files (opened and checked against their digests)."""
        store = DocumentStore(cast(LedgerBackend, self.records.recorder))

        def read(digest: str) -> bytes:
            return store.read(
                child_id, digest, open_key_store(self.records).aead(child_id, create=False)
            )

        return read

    def export(
        self,
        child_id: UUID,
        *,
        as_of: date | None,
        known_at: datetime | None,
        reason: str | None,
        by: RecordedBy | None = None,
        tsa_url: str | None = None,
        subject_access: bool = False,
        la: LaRequest | None = None,
        deliver: Callable[[Bundle], None] | None = None,
    ) -> Bundle:
        """Build the bundle (timestamped by the TSA at `tsa_url`, if given), hand it to
        `deliver` (which writes it, whole, where it goes), then record on the child that it
        was exported: nothing is recorded if the bundle cannot be made or delivered, so a
        recorded export always has its file. With `subject_access`, a bundle for a parent:
        third-party entries withheld. With `la`, the LA's pre-filled request is added and
        signed with the rest."""
        if self.records.get_child(child_id, read_only=True).restricted:
            # ICO: while processing is restricted the record is kept, not passed on.
            raise ExportError(
                "processing of this record is restricted: export refused until "
                "the restriction is lifted"
            )
        timestamp = (
            partial(request_token, tsa_url, timeout=self.tsa_timeout_seconds) if tsa_url else None
        )
        bundle = build_bundle(
            self.records,
            self.ledger,
            self.views,
            child_id,
            # A SENCO exporting today wants overdue reviews judged as of today; the same
            # request on the same day still gives the same bytes.
            as_of=as_of or self.records.clock().date(),
            known_at=known_at,
            keys=self.keys,
            report=report_files(
                pdf=self.pdf,
                pages=self.settings.report_pages,
                setting_names=self.settings.setting_names,
            ),
            request_reason=reason,
            timestamp=timestamp,
            subject_access=subject_access,
            documents=self.document_reader(child_id),
            setting_names=self.settings.setting_names,
            exported_on=getattr(self.records.recorder, "clock", self.records.clock)().date(),
            la_request=(
                request_files(
                    la.profile,
                    pdf=self.pdf,
                    pages=la.pages,
                    tribunal=la.tribunal,
                    setting_names=self.settings.setting_names,
                )
                if la
                else None
            ),
        )
        if deliver is not None:
            deliver(bundle)
        child = self.records.get_child(child_id)
        who = by or RecordedBy("cli", "senco", child.setting_id)
        self.records.handle(
            child_id,
            cmd.NoteExport(
                bundle_sha256=bundle.sha256,
                as_of=bundle.as_of,
                known_at=bundle.known_at.isoformat(),
                purpose="subject_access" if subject_access else "ehc_request",
            ),
            EnvelopeDraft(self.records.clock(), who),
        )
        return bundle


def open_exporter(records: ChildRecords, settings: Settings, *, pdf: bool = True) -> Exporter:
    """The exporter for the configured store and key files."""
    return Exporter(records, settings, pdf=pdf)


def open_services(settings: Settings) -> Services:
    """Everything the HTTP API needs, wired once at start-up."""
    from api.deps import Services
    from api.invitations import InvitationStore
    from api.pending_erasures import finish_pending_erasures
    from api.session_store import WebSessions
    from api.signin_limits import SignInLimits
    from api.users import UserStore

    records = open_records(settings)
    # An erasure interrupted before its keys were destroyed is finished before serving.
    finish_pending_erasures(records, cast(LedgerBackend, records.recorder), open_key_store(records))
    ledger = open_ledger(records, settings)
    exporter = open_exporter(records, settings)
    backend = cast(LedgerBackend, records.recorder)
    users = UserStore(backend)
    return Services(
        settings=settings,
        records=records,
        ledger=ledger,
        views=exporter.views,
        exporter=exporter,
        users=users,
        sessions=WebSessions(cast(LedgerBackend, records.recorder), users),
        documents=DocumentStore(backend),
        invitations=InvitationStore(backend, users),
        limits=SignInLimits(backend),
    )


def leadership(settings: Settings, work: str) -> Leadership:
    """Who among this installation's servers does `work` (e.g. "checkpoints"): the holder
    of a PostgreSQL advisory lock, or of a file lock beside the SQLite store."""
    if settings.database_url is None:
        return Leadership.file(settings.data_dir / f".{work}.leader")
    conninfo, _, query = settings.database_url.partition("?")
    schema = parse_qs(query).get("schema", ["public"])[0]
    return Leadership.postgres(
        conninfo, f"sendtrail-{work}|{schema}", connect_timeout=settings.database_connect_timeout
    )
