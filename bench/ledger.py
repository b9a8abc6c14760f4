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
from pathlib import Path

from api.bootstrap import open_ledger, open_records
from api.settings import Settings
from bench.stores import write_child
from domain.envelope import RecordedBy
from ledger.audit import audit
from ledger.keys import LOG_KEY, create_key_pair, key_paths, load_private, load_public
from ledger.log import _ReadLog, _ReadNodes
from ledger.merkle import MemorySubtreeStore, MerkleLog, leaf_hash, verify_inclusion
from ledger.sql import Tables

BY = RecordedBy("bench-kp", "practitioner", "bench-setting")


def bench_audit(events: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
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
        started = time.perf_counter()
        with sqlite3.connect(settings.sqlite_path) as conn:
            rows = sum(1 for _ in conn.execute("SELECT * FROM stored_events")) + sum(
                1 for _ in conn.execute("SELECT * FROM ledger_leaves")
            )
        read_s = time.perf_counter() - started
        started = time.perf_counter()
        report = audit(
            ledger,
            log_key=load_public(key_paths(settings.keys_dir, LOG_KEY).public),
            key_name=settings.log_origin,
        )
        audit_s = time.perf_counter() - started
        size_mb = os.path.getsize(settings.sqlite_path) / 1e6
        print(
            f"audit   {report.leaves} events: write (batched) {events / write_s:8.0f} ev/s; "
            f"audit {report.leaves / audit_s:8.0f} ev/s; plain read of events+leaves "
            f"{rows / 2 / read_s:8.0f} ev/s (audit/read ratio "
            f"{(report.leaves / audit_s) / (rows / 2 / read_s):4.2f}x); db {size_mb:.1f} MB"
        )
        records.close()


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
    bench_audit(args.audit_events)
    bench_proofs([int(s) for s in args.proof_sizes.split(",")])


if __name__ == "__main__":
    main()
