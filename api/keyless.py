"""The event store opened from the settings without any key: for `audit` and `backup`."""

from __future__ import annotations

from urllib.parse import urlparse, urlunparse

from api.settings import Settings
from domain.application import ChildRecords
from ledger.keyless import KeylessPostgres, KeylessSQLite
from ledger.sql import Tables

# eventsourcing names the PostgreSQL events table after the application.
EVENTS_TABLE = f"{ChildRecords.name}_events"


def postgres_conninfo(settings: Settings) -> tuple[str, str]:
    """(libpq URL without our ?schema= parameter, schema) of the configured PostgreSQL."""
    if settings.database_url is None:
        raise ValueError("no PostgreSQL is configured (SENDTRAIL_DATABASE_URL)")
    url = urlparse(settings.database_url)
    schema = "public"
    for part in url.query.split("&"):
        key, _, value = part.partition("=")
        if key == "schema" and value:
            schema = value
    Tables.postgres(schema, EVENTS_TABLE)  # refuses a schema that is not a plain identifier
    return urlunparse(url._replace(query="")), schema


def open_keyless(settings: Settings, *, read_only: bool = True) -> KeylessSQLite | KeylessPostgres:
    """The configured event store, opened without the mapper (no key needed), never
    created; read-only unless asked. StoreUnavailable names the file and the cause."""
    if settings.database_url is None:
        return KeylessSQLite(settings.sqlite_path, read_only=read_only)
    conninfo, schema = postgres_conninfo(settings)
    return KeylessPostgres(
        conninfo,
        schema=schema,
        events_table=EVENTS_TABLE,
        connect_timeout=settings.database_connect_timeout,
        read_only=read_only,
    )


def store_name(settings: Settings) -> str:
    """How a message names the event store: its file, or the PostgreSQL server."""
    if settings.database_url is None:
        return str(settings.sqlite_path)
    url = urlparse(settings.database_url)
    return f"PostgreSQL at {url.hostname or '127.0.0.1'}:{url.port or 5432}"
