"""Ledger costs: audit speed over a large log, and proof times as the log grows.

    python -m bench.ledger [--audit-events 100000] [--proof-sizes 10000,100000,1000000]

Audit: events are written in batches through the real application (so every leaf, node
and head is the recorder's own), then `audit` re-derives everything; printed as events/s
beside the rate of simply reading the same rows back (the baseline of the same run).
Proofs: a tree of N leaves is stored in the ledger's node table on SQLite, and inclusion
and consistency proofs are read from it; the time should stay flat as N grows tenfold.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import psycopg
from psycopg.sql import SQL, Identifier

from api.bootstrap import open_ledger, open_records
from api.settings import Settings
from bench.stores import fresh_settings, kinds, write_child
from domain.envelope import RecordedBy
from ledger.audit import audit
from ledger.keys import LOG_KEY, create_key_pair, key_paths, load_private, load_public
from ledger.log import _ReadLog, _ReadNodes
from ledger.merkle import MemorySubtreeStore, MerkleLog, leaf_hash, verify_inclusion
from ledger.sql import Tables

BY = RecordedBy("bench-kp", "practitioner", "bench-setting")


def bench_audit(kind: str, events: int) -> None:
    with fresh_settings(kind) as settings:
        create_key_pair(settings.keys_dir, LOG_KEY)
        records = open_records(settings)
        started = time.perf_counter()
        per_child = 500
        for _ in range(events // per_child):
            write_child(records, per_child)
        write_s = time.perf_counter() - started
        ledger = open_ledger(records, settings)
        ledger.create_checkpoint(
            load_private(key_paths(settings.keys_dir, LOG_KEY).private), settings.log_origin
        )
        read_s = median_s(lambda: _read_rows(settings), 3)
        read_rate = events / read_s
        key = load_public(key_paths(settings.keys_dir, LOG_KEY).public)
        rates = {}
        for workers in (0, os.cpu_count() or 1):
            run = partial(audit, ledger, log_key=key, key_name=settings.log_origin, workers=workers)
            rates[workers] = events / median_s(run, 3)
        print(
            f"audit   {kind:8} {events} events (written batched at {events / write_s:6.0f} ev/s): "
            f"plain read of events+leaves {read_rate:8.0f} ev/s (baseline); audit "
            + "; ".join(
                f"{'in one process' if w == 0 else f'with {w} worker processes'} "
                f"{rate:7.0f} ev/s ({rate / read_rate:4.2f}x)"
                for w, rate in rates.items()
            )
        )
        records.close()


def _read_rows(settings: Settings) -> int:
    """Read every stored event and audit row with the driver alone: the baseline."""
    if settings.database_url is None:
        with sqlite3.connect(settings.sqlite_path) as conn:
            return sum(1 for _ in conn.execute("SELECT * FROM stored_events")) + sum(
                1 for _ in conn.execute("SELECT * FROM ledger_leaves")
            )
    url, _, schema = settings.database_url.partition("?schema=")
    rows = 0
    with psycopg.connect(url) as conn:
        for table in ("sendtrail_events", "ledger_leaves"):
            query = SQL("SELECT * FROM {}.{}").format(Identifier(schema), Identifier(table))
            with conn.cursor(name=f"bench-{table}") as cursor:  # server-side: streamed
                cursor.execute(query)
                while batch := cursor.fetchmany(5000):
                    rows += len(batch)
    return rows


def median_s(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_proofs(sizes: list[int], repeat: int = 200) -> None:
    rng = random.Random(5)
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            conn = sqlite3.connect(Path(tmp) / "nodes.db", isolation_level=None)
            conn.row_factory = sqlite3.Row
            tables = Tables.sqlite()
            for statement in tables.create_statements():
                conn.execute(statement)
            memory = MemorySubtreeStore()
            log = MerkleLog(memory)
            for n in range(size):
                log.append(leaf_hash(n.to_bytes(8, "big")))
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)",
                [(lv, ix, h) for (lv, ix), h in memory.nodes.items()],
            )
            conn.execute("COMMIT")
            cursor = conn.cursor()
            stored = _ReadLog(_ReadNodes(cursor, tables), size)
            root = stored.root()
            inclusion, consistency = [], []
            for _ in range(repeat):
                index = rng.randrange(size)
                started = time.perf_counter()
                proof = stored.inclusion_proof(index, size)
                inclusion.append(time.perf_counter() - started)
                verify_inclusion(leaf_hash(index.to_bytes(8, "big")), index, size, proof, root)
                old = rng.randrange(1, size)
                started = time.perf_counter()
                stored.consistency_proof(old, size)
                consistency.append(time.perf_counter() - started)
            print(
                f"proofs  {size:>9} leaves: inclusion {statistics.median(inclusion) * 1e3:6.3f} ms"
                f"   consistency {statistics.median(consistency) * 1e3:6.3f} ms (median of "
                f"{repeat}, read from SQLite)"
            )
            conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--audit-events", type=int, default=100_000)
    parser.add_argument("--proof-sizes", default="10000,100000,1000000")
    args = parser.parse_args()
    print("ledger (one run; audit ratio = audit rate / plain read rate, same store)")
    for kind in kinds():
        bench_audit(kind, args.audit_events)
    bench_proofs([int(s) for s in args.proof_sizes.split(",")])


if __name__ == "__main__":
    main()
