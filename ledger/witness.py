"""A transparency-log witness (C2SP tlog-witness `add-checkpoint`), for an LA, a trust or
governors to run beside a setting's log: it cosigns a checkpoint only if it is consistent
with the last one it cosigned for that log, so a log rolled back or forked after being
witnessed can never be cosigned again.

State: the latest cosigned checkpoint per origin, in a SQLite file written with a full
fsync; the check of the old size and the update are one write transaction (SQLite's writer
lock), so two concurrent requests cannot roll the state back, and a witness killed at any
moment keeps either the old state or the new one.
"""

from __future__ import annotations

import base64
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger import checkpoint as cp
from ledger.cosignature import body_of, cosign
from ledger.merkle import ConsistencyProofError, verify_consistency

MAX_PROOF_LINES = 63
SIZE_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, body, content type."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


class WitnessState:
    """The witness's own record of each log: the size and root it last cosigned."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS witnessed (origin TEXT PRIMARY KEY, size INTEGER NOT "
            "NULL, root BLOB NOT NULL, note TEXT NOT NULL, cosigned_at INTEGER NOT NULL)"
        )
        self._lock = threading.Lock()

    def latest(self, origin: str) -> tuple[int, bytes]:
        row = self._db.execute(
            "SELECT size, root FROM witnessed WHERE origin = ?", (origin,)
        ).fetchone()
        return (0, b"") if row is None else (int(row[0]), bytes(row[1]))

    def close(self) -> None:
        self._db.close()


class WitnessService:
    """add-checkpoint, as the spec says, for the logs this witness knows."""

    def __init__(
        self,
        name: str,
        key: Ed25519PrivateKey,
        logs: Mapping[str, Ed25519PublicKey],
        state: WitnessState,
        clock: object = time.time,
        step: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.name, self.key, self.logs, self.state = name, key, dict(logs), state
        self.clock = clock
        # Named points a test can make the process die at (api.crash_points): once the
        # request is checked, before the write; once the write is durable, before answering.
        self.step = step

    def add_checkpoint(self, request: bytes) -> Answer:
        try:
            text = request.decode("utf-8")
            head, sep, note = text.partition("\n\n")
            if not sep:
                raise ValueError("no empty line before the checkpoint")
            lines = head.split("\n")
            word, _, old_text = lines[0].partition(" ")
            if word != "old" or not old_text.isdigit() or (old_text != "0" and old_text[0] == "0"):
                raise ValueError("the first line must be 'old <size>'")
            old = int(old_text)
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
            if len(proof) > MAX_PROOF_LINES:
                raise ValueError("too many proof lines")
            parsed, _ = cp.parse(note)
        except (UnicodeDecodeError, ValueError, cp.CheckpointError) as error:
            return Answer(400, f"malformed request: {error}\n")
        log_key = self.logs.get(parsed.origin)
        if log_key is None:
            return Answer(404, "unknown log origin\n")
        try:
            checkpoint = cp.verify(note, log_key, parsed.origin)
        except cp.CheckpointError:
            return Answer(403, "the checkpoint is not signed by the log's key\n")
        if old > checkpoint.size:
            return Answer(400, "old size is larger than the checkpoint's\n")
        with self.state._lock, self.state._db:  # one write transaction: check, then store
            self.state._db.execute("BEGIN IMMEDIATE")
            size, root = self.state.latest(checkpoint.origin)
            if old != size:
                return Answer(409, f"{size}\n", SIZE_TYPE)
            if old == checkpoint.size:
                if size and root != checkpoint.root:
                    return Answer(409, f"{size}\n", SIZE_TYPE)
                if proof:
                    return Answer(422, "the proof must be empty for equal sizes\n")
            elif old == 0:
                if proof:
                    return Answer(422, "the proof must be empty from size 0\n")
            else:
                try:
                    verify_consistency(old, checkpoint.size, root, checkpoint.root, proof)
                except ConsistencyProofError:
                    return Answer(422, "the consistency proof does not verify\n")
            now = int(self.clock())  # type: ignore[operator]
            self.step("witness-checked")
            self.state._db.execute(
                "INSERT INTO witnessed (origin, size, root, note, cosigned_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET size = excluded.size, "
                "root = excluded.root, note = excluded.note, cosigned_at = excluded.cosigned_at",
                (checkpoint.origin, checkpoint.size, checkpoint.root, note, now),
            )
        self.step("witness-stored")
        return Answer(200, cosign(body_of(note), self.key, self.name, now))
