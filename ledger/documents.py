"""Documents and photos attached to a child's entries: encrypted under the child's own data
key, kept content-addressed per child, in the same database as the events.

Why in the database: one store to back up, one transaction for a file and its description
(an upload is stored whole or not at all), the same access as the events on SQLite and on
PostgreSQL (where several app servers share it). A file is kept in chunks of 1 MiB, each
sealed with AES-256-GCM under the child's data key and bound to (child, digest, chunk
number, chunk count), so a chunk moved to another file, another child or another place in
the file does not open. Chunks keep rows small (SQLite pages, PostgreSQL TOAST) and let a
file be read a chunk at a time; a deployment with many GB per setting keeps the same rows
in PostgreSQL, where they are dumped, replicated and restored with the rest.

Erasure destroys the child's data key, so every chunk of every file of the child becomes
unreadable at once (crypto-shredding), and then deletes the rows as well.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.log import LedgerBackend
from ledger.sql import Cursor, Tables, create_tables, table_exists

CHUNK = 1024 * 1024
NONCE = 12
CREATE = [
    "CREATE TABLE IF NOT EXISTS {p}documents (child_id TEXT NOT NULL, sha256 TEXT NOT NULL, "
    "name TEXT NOT NULL, media_type TEXT NOT NULL, size BIGINT NOT NULL, "
    "metadata_stripped SMALLINT NOT NULL, chunks INTEGER NOT NULL, created_at TEXT NOT NULL, "
    "PRIMARY KEY (child_id, sha256))",
    "CREATE TABLE IF NOT EXISTS {p}document_chunks (child_id TEXT NOT NULL, "
    "sha256 TEXT NOT NULL, n INTEGER NOT NULL, sealed {blob} NOT NULL, "
    "PRIMARY KEY (child_id, sha256, n))",
]


class DocumentMissing(LookupError):
    """No document with this digest for this child."""


class DocumentDamaged(ValueError):
    """A stored document's bytes no longer match its digest (or do not open): never served."""


@dataclass(frozen=True)
class Document:
    """What is known of a stored file (and what an entry's event records of it)."""

    sha256: str
    name: str
    media_type: str
    size: int
    metadata_stripped: bool

    def as_attachment(self) -> dict[str, Any]:
        """The description an entry carries, bound into its leaf with the entry."""
        return {
            "sha256": self.sha256,
            "name": self.name,
            "media_type": self.media_type,
            "size": self.size,
        }


def _ad(child: str, digest: str, n: int, count: int) -> bytes:
    return f"sendtrail-document/1|{child}|{digest}|{n}|{count}".encode()


class DocumentStore:
    """Files of children, in the event store's database."""

    def __init__(self, backend: LedgerBackend) -> None:
        self.backend = backend
        self.tables = backend.tables
        with backend.ledger_cursor(commit=True) as cursor:
            create_tables(
                cursor, self.tables, [s.replace("{blob}", self.tables.blob) for s in CREATE]
            )

    def put(
        self,
        child_id: UUID,
        content: IO[bytes],
        *,
        name: str,
        media_type: str,
        metadata_stripped: bool,
        aead: AESGCM,
    ) -> tuple[Document, bool]:
        """Store `content` (read from its start) under the child's key; the same bytes
        stored twice are one document (the first description stands). Returns it, and
        whether this call stored it (False: it was there already)."""
        content.seek(0)
        digest, size = hashlib.sha256(), 0
        for block in iter(lambda: content.read(CHUNK), b""):
            digest.update(block)
            size += len(block)
        sha = digest.hexdigest()
        found = self.describe(child_id, sha)
        if found is not None:
            return found, False
        child, count = str(child_id), max(1, -(-size // CHUNK))
        q = self.tables.q
        content.seek(0)
        with self.backend.ledger_cursor(commit=True) as cursor:  # all of it, or nothing
            for n in range(count):
                block = content.read(CHUNK)
                nonce = secrets.token_bytes(NONCE)
                sealed = nonce + aead.encrypt(nonce, block, _ad(child, sha, n, count))
                cursor.execute(
                    q(
                        "INSERT INTO {p}document_chunks (child_id, sha256, n, sealed) "
                        "VALUES (?, ?, ?, ?)"
                    ),
                    [child, sha, n, sealed],
                )
            cursor.execute(
                q(
                    "INSERT INTO {p}documents (child_id, sha256, name, media_type, size, "
                    "metadata_stripped, chunks, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (child_id, sha256) DO NOTHING"
                ),
                [child, sha, name, media_type, size, int(metadata_stripped), count, _now()],
            )
        return Document(sha, name, media_type, size, metadata_stripped), True

    def describe(self, child_id: UUID, sha256: str) -> Document | None:
        """The stored document's description, or None."""
        with self.backend.ledger_cursor() as cursor:
            cursor.execute(
                self.tables.q(
                    "SELECT sha256, name, media_type, size, metadata_stripped FROM {p}documents "
                    "WHERE child_id = ? AND sha256 = ?"
                ),
                [str(child_id), sha256],
            )
            row = cursor.fetchone()
        if row is None:
            return None
        return Document(
            str(row["sha256"]),
            str(row["name"]),
            str(row["media_type"]),
            int(row["size"]),
            bool(row["metadata_stripped"]),
        )

    def documents(self, child_id: UUID) -> list[Document]:
        """Every document of the child, oldest first."""
        with self.backend.ledger_cursor() as cursor:
            cursor.execute(
                self.tables.q(
                    "SELECT sha256, name, media_type, size, metadata_stripped FROM {p}documents "
                    "WHERE child_id = ? ORDER BY created_at, sha256"
                ),
                [str(child_id)],
            )
            rows = cursor.fetchall()
        return [
            Document(
                str(r["sha256"]),
                str(r["name"]),
                str(r["media_type"]),
                int(r["size"]),
                bool(r["metadata_stripped"]),
            )
            for r in rows
        ]

    def read(self, child_id: UUID, sha256: str, aead: AESGCM) -> bytes:
        """The whole file, opened and checked against its digest."""
        child = str(child_id)
        with self.backend.ledger_cursor() as cursor:
            cursor.execute(
                self.tables.q(
                    "SELECT n, sealed FROM {p}document_chunks WHERE child_id = ? AND sha256 = ? "
                    "ORDER BY n"
                ),
                [child, sha256],
            )
            rows = cursor.fetchall()
        if not rows:
            raise DocumentMissing(f"no document {sha256[:12]} for this child")
        parts = []
        for expected, row in enumerate(rows):
            sealed = bytes(row["sealed"])
            if int(row["n"]) != expected:
                raise DocumentDamaged(f"document {sha256[:12]}: a chunk is missing")
            try:
                parts.append(
                    aead.decrypt(
                        sealed[:NONCE], sealed[NONCE:], _ad(child, sha256, expected, len(rows))
                    )
                )
            except Exception:  # InvalidTag: changed, moved or of another child
                raise DocumentDamaged(f"document {sha256[:12]}: a chunk does not open") from None
        data = b"".join(parts)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise DocumentDamaged(f"document {sha256[:12]}: bytes differ from the digest")
        return data

    def stored_before(self, moment: datetime) -> list[tuple[UUID, str]]:
        """(child, digest) of every document stored before `moment`."""
        with self.backend.ledger_cursor() as cursor:
            cursor.execute(
                self.tables.q(
                    "SELECT child_id, sha256 FROM {p}documents WHERE created_at < ? "
                    "ORDER BY child_id, sha256"
                ),
                [moment.astimezone(UTC).isoformat()],
            )
            return [(UUID(str(r["child_id"])), str(r["sha256"])) for r in cursor.fetchall()]

    def unlinked_before(self, moment: datetime) -> list[tuple[UUID, str]]:
        """(child, digest) of every document stored before `moment` that no entry's event
        was recorded as attaching (orphans, and files attached before links were kept)."""
        with self.backend.ledger_cursor() as cursor:
            return [(UUID(child), sha) for child, sha in unlinked(cursor, self.tables, moment)]

    def link(self, child_id: UUID, sha256: str, version: int) -> None:
        """Record that the child's entry `version` attaches the file (for files attached
        before links were written with the entry; new entries write their own)."""
        with self.backend.ledger_cursor(commit=True) as cursor:
            cursor.execute(
                self.tables.q(
                    "INSERT INTO {p}document_links (child_id, sha256, version) VALUES (?, ?, ?) "
                    "ON CONFLICT DO NOTHING"
                ),
                [str(child_id), sha256, version],
            )

    def delete(self, child_id: UUID, sha256: str) -> None:
        """Delete one document (an orphan: no entry attaches it)."""
        child = str(child_id)
        with self.backend.ledger_cursor(commit=True) as cursor:
            for table in ("document_chunks", "documents"):
                cursor.execute(
                    self.tables.q(f"DELETE FROM {{p}}{table} WHERE child_id = ? AND sha256 = ?"),
                    [child, sha256],
                )

    def purge(self, child_id: UUID) -> int:
        """Delete every document of the child (after its key was destroyed); returns how
        many."""
        child = str(child_id)
        with self.backend.ledger_cursor(commit=True) as cursor:
            cursor.execute(
                self.tables.q("DELETE FROM {p}document_chunks WHERE child_id = ?"), [child]
            )
            cursor.execute(
                self.tables.q("SELECT COUNT(*) AS n FROM {p}documents WHERE child_id = ?"), [child]
            )
            count = int(cursor.fetchone()["n"])
            cursor.execute(self.tables.q("DELETE FROM {p}documents WHERE child_id = ?"), [child])
            cursor.execute(
                self.tables.q("DELETE FROM {p}document_links WHERE child_id = ?"), [child]
            )
        return count


def unlinked(cursor: Cursor, tables: Tables, moment: datetime) -> list[tuple[str, str]]:
    """(child, digest) of documents stored before `moment` with no entry linked to them,
    read in the caller's transaction, changing nothing (the key-free audit's count); none
    where the store has no documents table yet."""
    if not table_exists(cursor, tables, "documents"):
        return []
    linked = (
        "AND NOT EXISTS (SELECT 1 FROM {p}document_links l "
        "WHERE l.child_id = d.child_id AND l.sha256 = d.sha256) "
        if table_exists(cursor, tables, "document_links")
        else ""  # a store from before links were kept, not opened for writing since
    )
    cursor.execute(
        tables.q(
            "SELECT d.child_id AS child_id, d.sha256 AS sha256 FROM {p}documents d "
            f"WHERE d.created_at < ? {linked}ORDER BY d.child_id, d.sha256"
        ),
        [moment.astimezone(UTC).isoformat()],
    )
    return [(str(r["child_id"]), str(r["sha256"])) for r in cursor.fetchall()]


def _now() -> str:
    return datetime.now(tz=UTC).isoformat()
