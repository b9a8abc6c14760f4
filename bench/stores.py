"""Fresh stores for a benchmark run: a temporary SQLite file, or a throwaway PostgreSQL
schema (when SENDTRAIL_BENCH_POSTGRES or SENDTRAIL_TEST_POSTGRES names a server)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from uuid import UUID, uuid4

import psycopg

from api.settings import Settings
from domain.application import ChildRecords
from domain.child import ChildRecord
from domain.envelope import EnvelopeDraft, RecordedBy

BENCH_BY = RecordedBy("bench-kp", "practitioner", "bench-setting")


def postgres_url() -> str | None:
    url = os.environ.get("SENDTRAIL_BENCH_POSTGRES") or os.environ.get("SENDTRAIL_TEST_POSTGRES")
    if not url:
        return None
    try:
        with psycopg.connect(url, connect_timeout=3):
            return url
    except psycopg.OperationalError:
        return None


@contextmanager
def fresh_settings(kind: str) -> Iterator[Settings]:
    """Settings for an empty store of `kind` ('sqlite' or 'postgres'), removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "sqlite":
            yield Settings(data_dir=Path(tmp) / "data")
            return
        url = postgres_url()
        assert url, "no PostgreSQL server for benchmarks"
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield Settings(data_dir=Path(tmp) / "data", database_url=f"{url}?schema={schema}")
        finally:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}_keys" CASCADE')


def kinds() -> list[str]:
    """The stores this machine can benchmark."""
    return ["sqlite", "postgres"] if postgres_url() else ["sqlite"]


def write_child(
    records: ChildRecords, events: int, *, chunk: int | None = None, notes: str = "obs {n}"
) -> UUID:
    """A child with `events` events (registration plus observations), written through the
    aggregate in batches of `chunk` (one transaction each; all at once if None)."""
    envelope = EnvelopeDraft(date(2025, 2, 3), BENCH_BY).seal(
        now=records.clock(), skew=records.skew
    )
    child = ChildRecord.register(
        envelope,
        child_id=uuid4(),
        given_name="Bench",
        family_name="Mark",
        date_of_birth=date(2023, 1, 1),
        setting_id=BENCH_BY.setting,
    )
    for n in range(events - 1):
        child.record_observation(envelope, area="physical", notes=notes.format(n=n), observer="KP")
        if chunk and (n + 1) % chunk == 0:
            records.save(child)
    records.save(child)
    return child.id
