"""Scale on PostgreSQL: a large caseload across many settings, served by 1-3 app servers.

    python -m bench.scale [--events 1000000] [--children 5000] [--settings 200]
                          [--seconds 10] [--clients 16]
    python -m bench.scale --events 10000000 --children 50000   # the issue's full run

Needs SENDTRAIL_BENCH_POSTGRES or SENDTRAIL_TEST_POSTGRES. Prints, from one run:
load time through the real recorder (batched) and disk bytes per event (tables, indexes
and TOAST of the events and the keys); cohort catch-up and query p95 at that size; child
load and as-of view p95 beside the same on a store holding only that child's history (the
baseline of the same run; each child read once before, as that one child was just
written), and the p95 of each child's first read (its rows fetched from disk, on a store
larger than memory); the key-free audit's rate; and HTTP writes per second with 1, 2
and 3 `sendtrail serve` processes on the one database and `--clients` concurrent clients.
The ledger's global order is one serial stream (one advisory/table lock per append), so
the writes/s with 3 servers says how far one log goes on this machine.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from typing import cast
from uuid import UUID

import httpx
import psycopg
from psycopg.sql import SQL, Identifier

import bench.cohort as cohort_bench
from api.bootstrap import open_ledger, open_records
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore
from bench.stores import fresh_settings, kinds, postgres_url
from domain import commands as cmd
from domain.envelope import EnvelopeDraft, RecordedBy
from ledger.audit import audit
from ledger.audit_since import audit_since
from ledger.keys import LOG_KEY, key_paths, load_private, load_public
from ledger.log import LedgerBackend
from projections.cohort import CohortProjection
from projections.views import ChildViews

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 1, 15)  # within every history: the record as it stood then


def p95_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.quantiles(times, n=20)[18]


def disk_bytes(settings: Settings) -> int:
    url = str(settings.database_url)
    conninfo, _, query = url.partition("?schema=")
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname IN (%s, %s) AND c.relkind = 'r'",
            [query, f"{query}_keys"],
        ).fetchone()
    return int(row[0]) if row else 0


def analyze(settings: Settings) -> None:
    """Gather the planner's statistics for every table of the store, as autovacuum does on
    a server with PostgreSQL's defaults. Without them (a server run with autovacuum off,
    as this machine's is) a child's history read at ten million events was planned as a
    parallel bitmap scan with JIT compilation: 30-130 ms instead of 0.1-2.6 ms."""
    conninfo, _, schema = str(settings.database_url).partition("?schema=")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname IN (%s, %s)",
            [schema, f"{schema}_keys"],
        ).fetchall()
        for where, table in tables:
            conn.execute(SQL("ANALYZE {}.{}").format(Identifier(where), Identifier(table)))


def setting_p95_ms(cohort: CohortProjection, settings: list[str], repeat: int) -> dict[str, float]:
    """p95 of each cohort question for one setting (a different one each time), and of
    all of them together: what a setting's dashboard asks."""
    today = cohort_bench.TODAY
    questions: dict[str, Callable[[str], object]] = {
        "overdue": lambda s: cohort.overdue_reviews(today, setting_id=s),
        "status/need": lambda s: cohort.by_status_and_need(setting_id=s),
        "high-concern": lambda s: cohort.high_concern_without_plan(setting_id=s),
        "no-notice": lambda s: cohort.plans_without_parent_notification(setting_id=s),
        "ehc-30d": lambda s: cohort.ehc_deadlines_due(today, setting_id=s),
        "past-end": lambda s: cohort.provisions_past_planned_end(today, setting_id=s),
        "cost": lambda s: cohort.cost_by_funding_source(setting_id=s),
    }
    rng = random.Random(11)
    found = {
        name: p95_ms(lambda ask=ask: ask(rng.choice(settings)), repeat)  # type: ignore[misc]
        for name, ask in questions.items()
    }

    def everything() -> None:
        setting = rng.choice(settings)
        for ask in questions.values():
            ask(setting)

    found["all together"] = p95_ms(everything, repeat)
    return found


@contextmanager
def kept_settings(folder: Path) -> Iterator[Settings]:
    """A store that outlives the run: `folder` for the keys, a schema named for the folder
    (bench_kept_ and 8 hex digits of its path: another folder's keys cannot open it)."""
    url = postgres_url()
    assert url, "no PostgreSQL server for benchmarks"
    schema = "bench_kept_" + hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:8]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    print(f"kept in {folder} and PostgreSQL schema {schema}", file=sys.stderr)
    yield Settings(data_dir=folder, database_url=f"{url}?schema={schema}")


@contextmanager
def serving(settings: Settings, folder: Path) -> Iterator[str]:
    """`sendtrail serve` on its own data folder (a copy of the key files), one database."""
    if folder != settings.data_dir:
        shutil.copytree(settings.keys_dir, folder / "keys", dirs_exist_ok=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SENDTRAIL_")},
        "SENDTRAIL_DATA": str(folder),
        "SENDTRAIL_DATABASE_URL": str(settings.database_url),
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("sendtrail serve did not start")
            try:
                httpx.get(f"{base}/v1/children", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def http_writes(
    bases: list[str], token: str, children: list[str], seconds: float, clients: int
) -> float:
    """Observations per second posted by `clients` threads, each on its own child, to
    servers chosen at random."""
    stop = time.monotonic() + seconds
    done = [0] * clients

    def client(n: int) -> None:
        rng = random.Random(n)
        child, version = children[n], None
        with ExitStack() as stack:
            sessions = [
                stack.enter_context(
                    httpx.Client(base_url=b, headers={"Authorization": f"Bearer {token}"})
                )
                for b in bases
            ]
            version = int(sessions[0].get(f"/v1/children/{child}/events").json()["count"])
            while time.monotonic() < stop:
                answer = rng.choice(sessions).post(
                    f"/v1/children/{child}/observations",
                    json={
                        "expected_version": version,
                        "occurred_at": "2026-10-01",
                        "area": "physical",
                        "notes": "Climbed the frame.",
                        "observer": "KP",
                    },
                )
                if answer.status_code == 201:
                    version = int(answer.json()["version"])
                    done[n] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--children", type=int, default=1000)
    parser.add_argument("--settings", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep the store (data folder DIR, PostgreSQL schema bench_kept_<hash of DIR>) for "
        "later runs; a later run with the same DIR skips loading",
    )
    args = parser.parse_args()
    if "postgres" not in kinds():
        raise SystemExit("set SENDTRAIL_BENCH_POSTGRES or SENDTRAIL_TEST_POSTGRES")
    cohort_bench.SETTINGS[:] = [f"bench-setting-{n}" for n in range(args.settings)]
    rng = random.Random(2026)
    per_child = max(20, args.events // args.children)
    with kept_settings(args.keep) if args.keep else fresh_settings("postgres") as settings:
        ensure_keys(settings)
        records = open_records(settings)
        started = time.perf_counter()
        chunk = 1000
        loaded = int(records.recorder.max_notification_id() or 0)
        for first in range(0, args.children if loaded == 0 else 0, chunk):
            cohort_bench.write_children(records, rng, min(chunk, args.children - first), per_child)
            done = (first + chunk) * per_child
            print(f"  loaded {min(done, args.events):>10} events", file=sys.stderr, end="\r")
        load_s = time.perf_counter() - started
        print(file=sys.stderr)
        started = time.perf_counter()
        analyze(settings)
        print(f"  statistics gathered (ANALYZE) in {time.perf_counter() - started:.0f} s")
        total = int(records.recorder.max_notification_id() or 0)
        size = disk_bytes(settings)
        how = (
            f"loaded in {load_s:.0f} s ({total / load_s:.0f} ev/s, batched through the recorder)"
            if loaded == 0
            else f"kept from an earlier run in {args.keep}"
        )
        print(
            f"postgresql: {total} events, {args.children} children, {args.settings} settings; "
            f"{how}; disk {size / total:.0f} bytes/event ({size / 2**20:.0f} MiB)"
        )
        backend = cast(LedgerBackend, records.recorder)
        cohort = CohortProjection(records, backend)
        started = time.perf_counter()
        folded = cohort.catch_up()
        fold_s = time.perf_counter() - started
        p95 = cohort_bench.query_p95_ms(cohort, args.repeat)
        caught = f"catch-up {folded / fold_s:.0f} ev/s" if folded else "already caught up"
        print(
            f"  cohort {caught}; whole-installation query p95 ms: "
            + "  ".join(f"{k} {v:.1f}" for k, v in p95.items())
        )
        one = setting_p95_ms(cohort, cohort_bench.SETTINGS, args.repeat)
        print(
            "  one setting's questions (a dashboard), p95 ms: "
            + "  ".join(f"{k} {v:.1f}" for k, v in one.items())
        )
        ids = [UUID(str(r[0])) for r in cohort.contents().children[: args.repeat]]
        views = ChildViews(records, open_ledger(records, settings))
        some = random.Random(7)
        first_reads = []  # each child's first read: its rows may not be in any cache yet
        for child_id in ids:
            started = time.perf_counter()
            records.history(child_id)
            first_reads.append((time.perf_counter() - started) * 1e3)
        first_p95 = statistics.quantiles(first_reads, n=20)[18]
        for child_id in ids:  # and its views once, as the one child's below were just written
            views.view("plan", child_id)
            views.view("plan", child_id, as_of=AS_OF)
        load_big = p95_ms(lambda: records.history(some.choice(ids)), args.repeat)
        # Views of as many children as ChildViews keeps (two views each), as the one
        # child's view below is always kept.
        cached = ids[:16]
        plan_big = p95_ms(lambda: views.view("plan", some.choice(cached)), args.repeat)
        asof_big = p95_ms(
            lambda: views.view("plan", some.choice(cached), as_of=AS_OF),
            args.repeat,
        )
        with fresh_settings("postgres") as small:
            alone = open_records(small)
            cohort_bench.write_children(alone, random.Random(2026), 1, per_child)
            only = cast(LedgerBackend, alone.recorder)
            small_cohort = CohortProjection(alone, only)
            small_cohort.catch_up()
            child = UUID(str(small_cohort.contents().children[0][0]))
            small_views = ChildViews(alone, open_ledger(alone, small))
            small_views.view("plan", child)
            load_small = p95_ms(lambda: alone.history(child), args.repeat)
            plan_small = p95_ms(lambda: small_views.view("plan", child), args.repeat)
            asof_small = p95_ms(
                lambda: small_views.view("plan", child, as_of=AS_OF),
                args.repeat,
            )
            alone.close()
        print(
            f"  child load p95 {load_big:.1f} ms (store of one child: {load_small:.1f} ms, "
            f"{load_big / load_small:.2f}x); plan {plan_big:.1f} ms "
            f"({plan_big / plan_small:.2f}x); "
            f"as-of plan {asof_big:.1f} ms ({asof_big / asof_small:.2f}x), each read before; "
            f"a child's first read p95 {first_p95:.1f} ms ({first_p95 / load_small:.2f}x)"
        )
        ledger = open_ledger(records, settings)
        keys = key_paths(settings.keys_dir, LOG_KEY)
        ledger.create_checkpoint(load_private(keys.private), settings.log_origin)
        started = time.perf_counter()
        report = audit(ledger, log_key=load_public(keys.public), key_name=settings.log_origin)
        audit_s = time.perf_counter() - started
        print(f"  audit (key-free) {report.leaves / audit_s:.0f} leaves/s over {report.leaves}")
        kept = ledger.create_checkpoint(load_private(keys.private), settings.log_origin)
        cohort_bench.write_children(records, rng, 50, 200)  # 10,000 new events
        ledger.create_checkpoint(load_private(keys.private), settings.log_origin)
        started = time.perf_counter()
        since = audit_since(
            ledger, kept, log_key=load_public(keys.public), key_name=settings.log_origin
        )
        since_s = time.perf_counter() - started
        print(
            f"  audit --since-checkpoint --incremental after {since.leaves - report.leaves} new "
            f"events: {since_s:.2f} s (the full audit: {audit_s:.1f} s, {since_s / audit_s:.4f}x)"
        )
        _, token = UserStore(backend).add("Bench SENCO", role="senco", setting_id="bench")
        draft = EnvelopeDraft(cohort_bench.TODAY, RecordedBy("bench", "senco", "bench"))
        clients = [
            str(
                records.register(
                    cmd.RegisterChild(
                        given_name=f"Http{n}",
                        family_name="Bench",
                        date_of_birth=date(2022, 1, 1),
                        setting_id="bench",
                    ),
                    draft,
                )
            )
            for n in range(args.clients)
        ]
        records.close()
        for servers in (1, 2, 3):
            with ExitStack() as stack:
                bases = [
                    stack.enter_context(
                        serving(
                            settings,
                            settings.data_dir if n == 0 else settings.data_dir.parent / f"s{n}",
                        )
                    )
                    for n in range(servers)
                ]
                rate = http_writes(bases, token, clients, args.seconds, args.clients)
            print(f"  HTTP writes, {servers} app server(s), {args.clients} clients: {rate:.0f}/s")


if __name__ == "__main__":
    main()
