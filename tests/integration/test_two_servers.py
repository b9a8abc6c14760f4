"""Two `sendtrail serve` processes on one PostgreSQL, written to at once, one killed with
SIGKILL mid-load: every acknowledged write is stored and readable through the survivor,
and the audit is clean. Each server has its own data folder; they share only the database
(events, ledger, users, key store) and copies of the key files."""

from __future__ import annotations

import random
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import cast
from uuid import UUID

import httpx
import pytest

from api.bootstrap import open_records
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore
from ledger.log import LedgerBackend
from tests.conftest import POSTGRES_URL
from tests.processes import sendtrail, serve_process

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
SETTING = "two-servers"


def test_two_servers_one_killed_lose_no_acknowledged_write(
    postgres_schema: str, tmp_path: Path
) -> None:
    url = f"{POSTGRES_URL}?schema={postgres_schema}"
    a = Settings(data_dir=tmp_path / "a", database_url=url)
    ensure_keys(a)
    records = open_records(a)  # makes the KEK file too
    _, token = UserStore(cast(LedgerBackend, records.recorder)).add(
        "Two SENCO", role="senco", setting_id=SETTING
    )
    records.close()
    shutil.copytree(a.keys_dir, tmp_path / "b" / "keys")  # each machine gets the key files
    b = Settings(data_dir=tmp_path / "b", database_url=url)
    headers = {"Authorization": f"Bearer {token}"}
    acknowledged: list[tuple[str, int, str]] = []
    lock = threading.Lock()

    with (
        serve_process(a, log=tmp_path / "a.log") as (_, base_a),
        serve_process(b, log=tmp_path / "b.log") as (
            proc_b,
            base_b,
        ),
    ):
        children: list[str] = []
        for n in range(6):  # registered alternately on each server
            with httpx.Client(base_url=(base_a, base_b)[n % 2], headers=headers) as client:
                made = client.post(
                    "/v1/children",
                    json={
                        "given_name": f"Two{n}",
                        "family_name": "Fictional",
                        "date_of_birth": "2022-06-01",
                        "occurred_at": "2024-09-02",
                    },
                )
                assert made.status_code == 201, made.text
                children.append(str(made.json()["child_id"]))
        stop = time.monotonic() + 6

        failures: list[str] = []

        def writer(child: str, seed: int) -> None:
            rng = random.Random(seed)
            version = 1
            unanswered = False  # the last write's server died: it may have landed anyway
            while time.monotonic() < stop:
                base = rng.choice((base_a, base_b))
                note = f"note {seed}-{version}"
                try:
                    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
                        answer = client.post(
                            f"/v1/children/{child}/observations",
                            json={
                                "expected_version": version,
                                "occurred_at": "2024-10-01",
                                "area": "physical",
                                "notes": note,
                                "observer": "Key person",
                            },
                        )
                except httpx.TransportError:
                    unanswered = True  # the killed server: not acknowledged, try again
                    continue
                if answer.status_code == 201:
                    version, unanswered = int(answer.json()["version"]), False
                    with lock:
                        acknowledged.append((child, version, note))
                elif answer.status_code == 409 and unanswered:
                    # The unanswered write was stored before its server died (committed,
                    # never acknowledged): go on from the record's version.
                    version, unanswered = int(answer.json()["current_version"]), False
                else:  # one writer per child: any other refusal is a fault
                    failures.append(f"{answer.status_code} {answer.text}")
                    return

        threads = [
            threading.Thread(target=writer, args=(child, n)) for n, child in enumerate(children)
        ]
        for thread in threads:
            thread.start()
        time.sleep(2.5)
        proc_b.send_signal(signal.SIGKILL)  # mid-load
        proc_b.wait()
        for thread in threads:
            thread.join(timeout=60)
        assert failures == []
        assert acknowledged, "no write was acknowledged"

        with httpx.Client(base_url=base_a, headers=headers) as client:  # the survivor reads
            for child in children:
                assert client.get(f"/v1/children/{child}/plan").status_code == 200

    reader = open_records(a)
    try:
        stored = {
            (child, event.originator_version, getattr(event, "notes", None))
            for child in children
            for event in reader.history(UUID(child))
        }
    finally:
        reader.close()
    missing = [ack for ack in acknowledged if ack not in stored]
    assert missing == []
    assert sendtrail(a, "checkpoint").returncode == 0
    audited = sendtrail(a, "audit")
    assert audited.returncode == 0, audited.stdout + audited.stderr
