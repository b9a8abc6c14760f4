"""Three `sendtrail serve` processes on one PostgreSQL, written to at once, the one signing
checkpoints killed with SIGKILL mid-load: every acknowledged write is stored and readable
through a survivor, another server takes over the signing within seconds, the signed
checkpoints grow strictly and each is consistent with the next, the audit is clean, and a
survivor's dashboard is caught up with writes made through the other. Each server has its
own data folder; they share only the database (events, ledger, users, key store, cohort
tables) and copies of the key files."""

from __future__ import annotations

import random
import shutil
import signal
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from itertools import pairwise
from pathlib import Path
from typing import cast
from uuid import UUID

import httpx
import pytest

from api.bootstrap import open_ledger, open_records
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore
from ledger import checkpoint as cp
from ledger.keys import LOG_KEY, key_paths, load_public
from ledger.log import Ledger, LedgerBackend
from ledger.merkle import verify_consistency
from projections.cohort import CohortProjection
from tests.conftest import POSTGRES_URL
from tests.processes import sendtrail, serve_process

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
SETTING = "three-servers"
TICK = {"SENDTRAIL_CHECKPOINT_INTERVAL": "0.3"}  # each server checks for the lead this often


def test_three_servers_one_killed_lose_nothing_and_another_signs_on(
    postgres_schema: str, tmp_path: Path
) -> None:
    url = f"{POSTGRES_URL}?schema={postgres_schema}"
    a = Settings(data_dir=tmp_path / "a", database_url=url)
    ensure_keys(a)
    records = open_records(a)  # makes the KEK file too
    _, token = UserStore(cast(LedgerBackend, records.recorder)).add(
        "Three SENCO", role="senco", setting_id=SETTING
    )
    records.close()
    servers = {"a": a}
    for name in ("b", "c"):  # each machine gets the key files, nothing else
        shutil.copytree(a.keys_dir, tmp_path / name / "keys")
        servers[name] = Settings(data_dir=tmp_path / name, database_url=url)
    headers = {"Authorization": f"Bearer {token}"}
    acknowledged: list[tuple[str, int, str]] = []
    lock = threading.Lock()
    reader = open_records(a)
    ledger = open_ledger(reader, a)

    with ExitStack() as running:
        # b starts alone, so b takes the lead for checkpoints (and keeps it: the advisory
        # lock lives on b's own connection) before the others start.
        proc_b, base_b = running.enter_context(
            serve_process(servers["b"], log=tmp_path / "b.log", env=TICK)
        )
        children = [_register(base_b, headers, n) for n in range(6)]
        _wait_for(lambda: ledger.latest_checkpoint() is not None, "b to sign a checkpoint")
        base_a = running.enter_context(serve_process(a, log=tmp_path / "a.log", env=TICK))[1]
        base_c = running.enter_context(
            serve_process(servers["c"], log=tmp_path / "c.log", env=TICK)
        )[1]
        bases = (base_a, base_b, base_c)
        stop = time.monotonic() + 6
        failures: list[str] = []

        def writer(child: str, seed: int) -> None:
            rng = random.Random(seed)
            version = 1
            unanswered = False  # the last write's server died: it may have landed anyway
            while time.monotonic() < stop:
                base = rng.choice(bases)
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
        proc_b.send_signal(signal.SIGKILL)  # the signer, mid-load
        proc_b.wait()
        at_kill = ledger.size()
        for thread in threads:
            thread.join(timeout=60)
        assert failures == []
        assert acknowledged, "no write was acknowledged"
        size = ledger.size()
        assert size > at_kill, "no write landed after the kill"
        _wait_for(
            lambda: _latest_size(ledger) == size, "a survivor to sign the log's end (the lead)"
        )

        with httpx.Client(base_url=base_a, headers=headers) as client:  # a survivor reads
            for child in children:
                assert client.get(f"/v1/children/{child}/plan").status_code == 200
        children.append(_register(base_c, headers, 6))  # through one survivor ...
        with httpx.Client(base_url=base_a, headers=headers) as client:  # ... seen by the other
            board = client.get("/v1/dashboard")
        assert board.status_code == 200, board.text
        assert sum(row["children"] for row in board.json()["by_status_and_need"]) == 7
        assert CohortProjection(reader, cast(LedgerBackend, reader.recorder)).pending() == 0

    try:
        stored = {
            (child, event.originator_version, getattr(event, "notes", None))
            for child in children
            for event in reader.history(UUID(child))
        }
        _checkpoints_grow_consistently(ledger, a)
    finally:
        reader.close()
    missing = [ack for ack in acknowledged if ack not in stored]
    assert missing == []
    audited = sendtrail(a, "audit")
    assert audited.returncode == 0, audited.stdout + audited.stderr


def _register(base: str, headers: dict[str, str], n: int) -> str:
    with httpx.Client(base_url=base, headers=headers) as client:
        made = client.post(
            "/v1/children",
            json={
                "given_name": f"Three{n}",
                "family_name": "Fictional",
                "date_of_birth": "2022-06-01",
                "occurred_at": "2024-09-02",
            },
        )
    assert made.status_code == 201, made.text
    return str(made.json()["child_id"])


def _wait_for(done: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.1)


def _latest_size(ledger: Ledger) -> int:
    note = ledger.latest_checkpoint()
    return 0 if note is None else int(note.split("\n")[1])


def _checkpoints_grow_consistently(ledger: Ledger, settings: Settings) -> None:
    """Every stored checkpoint verifies under the log key, the sizes grow strictly and
    each tree is a prefix of the next (RFC 9162 consistency proofs)."""
    key = load_public(key_paths(settings.keys_dir, LOG_KEY).public)
    heads = [cp.verify(note, key, settings.log_origin) for note in ledger.checkpoints()]
    assert len(heads) >= 3  # b's first, b's during the load, a survivor's after it
    for old, new in pairwise(heads):
        assert old.size < new.size
        proof = ledger.consistency_proof(old.size, new.size)
        verify_consistency(old.size, new.size, old.root, new.root, proof)
