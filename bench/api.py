"""HTTP API costs on loopback: write throughput against direct application commands (one
event per transaction, same store kind, same run), and GET plan / chronology latency for a
2,000-event child, with and without `as_of`; then the chronology read whole and a page of
50 at a time (every page of it, in turn), each p95 beside the goal (issue 21: a page
<= 50 ms, the whole <= 100 ms) and beside a baseline of the same run: the chronology
projected afresh in this process from the child's history (no cache, no HTTP), which is
what a read cost before reads kept their projections. SQLite, and PostgreSQL when
SENDTRAIL_BENCH_POSTGRES (or SENDTRAIL_TEST_POSTGRES) names a server.

    python -m bench.api [--writes 500] [--events 2000] [--repeat 50] [--page 50]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import cast
from uuid import UUID, uuid4

import httpx

from api.bootstrap import open_ledger, open_records
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore
from bench.stores import fresh_settings, kinds
from domain import commands as cmd
from domain.child import ChildRecord
from domain.envelope import EnvelopeDraft, RecordedBy
from ledger.log import LedgerBackend
from projections.chronology import chronology
from projections.timeline import Entry, TimelineCache, admit

SETTING = "bench-setting"
BY = RecordedBy("bench", "senco", SETTING)


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writes", type=int, default=500)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--page", type=int, default=50)
    args = parser.parse_args()
    for kind in kinds():
        with fresh_settings(kind) as settings:
            run(settings, kind, args)


def _baseline(settings: Settings, child_id: UUID, repeat: int) -> tuple[float, float, float]:
    """p50, p95 and median CPU time (ms) of the chronology projected afresh from the
    child's decoded entries, in this process: nothing kept between reads (neither the
    view nor any entry's row), no HTTP, no access log."""
    records = open_records(settings)
    try:
        ledger = open_ledger(records, settings)
        decoded = TimelineCache(records, ledger).entries(child_id)
        samples, cpu = [], []
        for _ in range(max(10, repeat // 2)):
            entries = [Entry(e.event, e.recorded_at) for e in decoded]  # nothing kept on them
            started, cpu_started = time.perf_counter(), time.process_time()
            chronology(admit(entries))
            samples.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        return (*_percentiles(samples), statistics.median(cpu))
    finally:
        records.close()


def _timed(client: httpx.Client, path: str, params: dict[str, str]) -> float:
    started = time.perf_counter()
    response = client.get(path, params=params)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (path, response.status_code)
    return elapsed


def run(settings: Settings, kind: str, args: argparse.Namespace) -> None:
    ensure_keys(settings)
    records = open_records(settings)
    _, token = UserStore(cast(LedgerBackend, records.recorder)).add(
        "Bench", role="senco", setting_id=SETTING
    )
    draft = EnvelopeDraft(date(2025, 2, 3), BY)
    direct_child = records.register(
        cmd.RegisterChild(
            given_name="D",
            family_name="Irect",
            date_of_birth=date(2023, 1, 1),
            setting_id=SETTING,
        ),
        draft,
    )
    started = time.perf_counter()
    version = 1
    for n in range(args.writes):
        version = records.handle(
            direct_child,
            cmd.RecordObservation(area="physical", notes=f"direct {n}", observer="KP"),
            draft,
            expected_version=version,
        )
    direct = args.writes / (time.perf_counter() - started)
    big = ChildRecord.register(
        draft.seal(now=records.clock(), skew=records.skew),
        child_id=uuid4(),
        given_name="Big",
        family_name="Child",
        date_of_birth=date(2023, 1, 1),
        setting_id=SETTING,
    )
    envelope = draft.seal(now=records.clock(), skew=records.skew)
    for n in range(args.events - 1):
        big.record_observation(envelope, area="physical", notes=f"obs {n}", observer="KP")
    records.save(big)
    records.close()

    port = _port()
    # The server runs in its own process, as in production: a client in the same
    # process would share its interpreter lock and slow both.
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        env={
            **os.environ,
            "SENDTRAIL_DATA": str(settings.data_dir),
            **({"SENDTRAIL_DATABASE_URL": settings.database_url} if settings.database_url else {}),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _measure(server, port, token, big.id, settings, kind, args, direct)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _measure(
    server: subprocess.Popen[bytes],
    port: int,
    token: str,
    big: UUID,
    settings: Settings,
    kind: str,
    args: argparse.Namespace,
    direct: float,
) -> None:
    deadline = time.monotonic() + 30
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.1)
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        timeout=60,
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        child = client.post(
            "/v1/children",
            json={"given_name": "Api", "family_name": "Writes", "occurred_at": "2024-09-02"},
        ).json()["child_id"]
        version = 1
        started = time.perf_counter()
        for n in range(args.writes):
            response = client.post(
                f"/v1/children/{child}/observations",
                json={
                    "expected_version": version,
                    "occurred_at": "2025-02-03",
                    "area": "physical",
                    "notes": f"api {n}",
                    "observer": "KP",
                },
            )
            version = response.json()["version"]
        api = args.writes / (time.perf_counter() - started)
        print(
            f"api     writes: HTTP {api:6.0f} ev/s   direct commands {direct:6.0f} ev/s   "
            f"ratio {api / direct:4.2f}x (one event per transaction, {kind}, same run)"
        )
        for path, params in (
            ("plan", {}),
            ("plan", {"as_of": "2025-02-03"}),
            ("chronology", {}),
            ("chronology", {"as_of": "2025-02-03"}),
            ("chronology", {"limit": "50"}),
        ):
            _timed(client, f"/v1/children/{big}/{path}", params)  # warm the cache
            samples = [
                _timed(client, f"/v1/children/{big}/{path}", params) for _ in range(args.repeat)
            ]
            p50, p95 = _percentiles(samples)
            label = path + "".join(f" {k}" for k in params)
            print(
                f"api     GET {label:18} {args.events} events: p50 {p50:7.1f} ms  "
                f"p95 {p95:7.1f} ms ({kind})"
            )
        chronology_path = f"/v1/children/{big}/chronology"
        cpu = _cpu_seconds(server.pid)
        whole = [_timed(client, chronology_path, {}) for _ in range(args.repeat)]
        whole_cpu = (_cpu_seconds(server.pid) - cpu) * 1000 / len(whole)
        cpu = _cpu_seconds(server.pid)
        pages = [
            _timed(client, chronology_path, {"limit": str(args.page), "offset": str(offset)})
            for _ in range(max(2, args.repeat * args.page // args.events))
            for offset in range(0, args.events, args.page)
        ]
        page_cpu = (_cpu_seconds(server.pid) - cpu) * 1000 / len(pages)
    base50, base95, base_cpu = _baseline(settings, big, args.repeat)
    whole50, whole95 = _percentiles(whole)
    page50, page95 = _percentiles(pages)
    print(
        f"api     chronology, {args.events} events ({kind}): baseline (projected afresh "
        f"in process) p50 {base50:6.1f} ms p95 {base95:6.1f} ms, CPU {base_cpu:5.1f} ms\n"
        f"api       whole list over HTTP       p50 {whole50:6.1f} ms p95 {whole95:6.1f} ms  "
        f"= {whole95 / base95:4.2f}x baseline p95 (goal <= 100 ms); "
        f"server CPU {whole_cpu:5.1f} ms a read\n"
        f"api       a page of {args.page:<3} ({len(pages):4} reads) p50 {page50:6.1f} ms "
        f"p95 {page95:6.1f} ms  = {page95 / base95:4.2f}x baseline p95 (goal <= 50 ms); "
        f"server CPU {page_cpu:5.1f} ms a read"
    )


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of process `pid` so far (Linux /proc; 0 elsewhere): on a
    shared machine the server's CPU per read stretches far less than the wall clock."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
