"""Hostile uploads against a real `sendtrail serve` while another user reads: shared by the
test (reads complete, hostile checks are refused or turned away) and bench/verify_stall.py
(how read latency compares while they run)."""

from __future__ import annotations

import io
import statistics
import struct
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import httpx

from api.bootstrap import open_records
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore
from ledger.log import LedgerBackend
from tests.processes import serve_process


def hostile_zip(inflated: int = 200 * 1024 * 1024) -> bytes:
    """A zip bomb whose central directory understates its sizes (1 KiB each): it passes
    the header checks and meets the running inflate budget instead."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data/events.jsonl", b"\0" * inflated)
    data = bytearray(out.getvalue())
    at = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, at + 24, 1024)
    return bytes(data)


@dataclass
class Load:
    reads: list[float] = field(default_factory=list)
    read_statuses: list[int] = field(default_factory=list)
    hostile_statuses: list[str] = field(default_factory=list)


@contextmanager
def server(tmp: Path) -> Iterator[tuple[str, dict[str, str], str]]:
    """A served store with one child; yields base URL, a SENCO's headers, the child id."""
    settings = Settings(data_dir=tmp / "data")
    ensure_keys(settings)
    records = open_records(settings)
    _, token = UserStore(cast(LedgerBackend, records.recorder)).add(
        "Load SENCO", role="senco", setting_id="load"
    )
    records.close()
    headers = {"Authorization": f"Bearer {token}"}
    with serve_process(settings, log=tmp / "serve.log") as (_, base):
        made = httpx.post(
            f"{base}/v1/children",
            headers=headers,
            json={
                "given_name": "Load",
                "family_name": "Fictional",
                "date_of_birth": "2020-06-01",
                "occurred_at": "2024-09-02",
            },
            timeout=30,
        )
        assert made.status_code == 201, made.text
        yield base, headers, str(made.json()["child_id"])


def reads(base: str, headers: dict[str, str], child: str, count: int, load: Load) -> None:
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for _ in range(count):
            start = time.perf_counter()
            answer = client.get(f"/v1/children/{child}/plan")
            load.reads.append(time.perf_counter() - start)
            load.read_statuses.append(answer.status_code)


def hostile(base: str, headers: dict[str, str], body: bytes, count: int, load: Load) -> None:
    sent = {**headers, "Content-Type": "application/zip"}
    with httpx.Client(base_url=base, headers=sent, timeout=120) as client:
        for _ in range(count):
            answer = client.post("/v1/verify", content=body)
            said = answer.json().get("status") if answer.status_code == 200 else None
            load.hostile_statuses.append(f"{answer.status_code}:{said}")


def under_attack(
    base: str, headers: dict[str, str], child: str, *, uploads: int = 3, each: int = 3
) -> Load:
    """`uploads` threads posting hostile bundles while one reader reads the child's plan."""
    load = Load()
    body = hostile_zip()
    attackers = [
        threading.Thread(target=hostile, args=(base, headers, body, each, load))
        for _ in range(uploads)
    ]
    for thread in attackers:
        thread.start()
    reads(base, headers, child, 20, load)
    for thread in attackers:
        thread.join()
    return load


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000
