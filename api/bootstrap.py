"""The composition root: the one place that turns settings into wired-up objects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast
from urllib.parse import parse_qs, unquote, urlparse

from api.settings import Settings
from domain.application import ChildRecords, Clock, utc_now
from ledger.log import Ledger, LedgerBackend

# The domain is configured with the ledger by topic, so neither imports the other.
LEDGER_TOPICS = {"MAPPER_TOPIC": "ledger.mapper:CommittingMapper"}


def persistence_env(settings: Settings) -> dict[str, str]:
    """eventsourcing environment settings for the configured store."""
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return {
            **LEDGER_TOPICS,
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
        "APPLICATION_RECORDER_TOPIC": "ledger.postgres_recorder:AuditedPostgresRecorder",
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.path.lstrip("/") or "postgres",
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_POOL_SIZE": "5",
        "POSTGRES_MAX_OVERFLOW": "10",
        "POSTGRES_LOCK_TIMEOUT": "10",
    }
    schema = parse_qs(url.query).get("schema")
    if schema:
        env["POSTGRES_SCHEMA"] = schema[0]
    return env


def open_records(settings: Settings, *, clock: Clock = utc_now) -> ChildRecords:
    """The application service on the configured store."""
    return ChildRecords(
        persistence_env(settings),
        clock=clock,
        skew=timedelta(seconds=settings.clock_skew_seconds),
        snapshot_interval=settings.snapshot_interval,
        extra_outcomes=settings.extra_discussion_outcomes,
    )


def open_ledger(records: ChildRecords, settings: Settings) -> Ledger:
    """The audit ledger behind the application's recorder."""
    backend = records.recorder
    if not hasattr(backend, "ledger_cursor"):
        raise TypeError("the application is not configured with the audited recorder")
    return Ledger(cast(LedgerBackend, backend), origin=settings.log_origin)


def set_record_clock(records: ChildRecords, clock: Callable[[], datetime]) -> None:
    """Replace the ledger's record clock (demo data only: it lays out a history that was
    recorded over years). The ledger still never lets record time run backwards."""
    recorder = records.recorder
    if not hasattr(recorder, "clock"):
        raise TypeError("the application is not configured with the audited recorder")
    recorder.clock = clock
