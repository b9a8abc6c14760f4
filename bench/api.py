"""HTTP API costs on loopback: write throughput against direct application commands (one
event per transaction, same store kind, same run), and GET plan / chronology latency for a
2,000-event child, with and without `as_of`.

    python -m bench.api [--writes 500] [--events 2000] [--repeat 50]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import cast
from uuid import uuid4

import httpx

from api.bootstrap import open_records
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore
from domain import commands as cmd
from domain.child import ChildRecord
from domain.envelope import EnvelopeDraft, RecordedBy
from ledger.log import LedgerBackend

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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
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
            env={**os.environ, "SENDTRAIL_DATA": str(settings.data_dir)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
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
                f"ratio {api / direct:4.2f}x (one event per transaction, SQLite, same run)"
            )
            for path, params in (
                ("plan", {}),
                ("plan", {"as_of": "2025-02-03"}),
                ("chronology", {}),
                ("chronology", {"as_of": "2025-02-03"}),
                ("chronology", {"limit": "50"}),
            ):
                client.get(f"/v1/children/{big.id}/{path}", params=params)  # warm the cache
                samples = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    client.get(f"/v1/children/{big.id}/{path}", params=params)
                    samples.append((time.perf_counter() - started) * 1000)
                p50, p95 = _percentiles(samples)
                label = path + "".join(f" {k}" for k in params)
                print(
                    f"api     GET {label:18} {args.events} events: p50 {p50:7.1f} ms  "
                    f"p95 {p95:7.1f} ms"
                )
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
