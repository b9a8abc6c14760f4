"""Raw-SQL access to a store, for tamper tests (what an attacker with DB access can do)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlparse

import psycopg

from api.settings import Settings


class RawStore:
    """Executes SQL with `?` placeholders and `{p}` table prefixes on either backend."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.database_url
        if self.url:
            url = urlparse(self.url)
            self.schema = parse_qs(url.query)["schema"][0]
            self.dsn = self.url.split("?")[0]

    @property
    def is_sqlite(self) -> bool:
        return self.url is None

    def sql(self, text: str) -> str:
        if self.is_sqlite:
            return text.replace("{events}", "stored_events").replace("{p}", "")
        events = f'"{self.schema}".sendtrail_events'
        return (
            text.replace("{events}", events).replace("{p}", f'"{self.schema}".').replace("?", "%s")
        )

    def child_key(self, child_id: str) -> Any:
        """How the events table stores an originator id."""
        from uuid import UUID

        return UUID(child_id).hex if self.is_sqlite else UUID(child_id)

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        if self.is_sqlite:
            conn = sqlite3.connect(self.settings.sqlite_path)
            conn.row_factory = sqlite3.Row
            try:
                yield conn.cursor()
                conn.commit()
            finally:
                conn.close()
        else:
            with psycopg.connect(self.dsn, autocommit=False) as pg:
                with pg.cursor(row_factory=psycopg.rows.dict_row) as cur:
                    yield cur
                pg.commit()

    def run(self, text: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.cursor() as cur:
            cur.execute(self.sql(text), list(params))
            try:
                return list(cur.fetchall())
            except (psycopg.ProgrammingError, sqlite3.ProgrammingError):
                return []
