"""Finding things (issue 19, item 5): the children list and a long chronology a page at a
time, against the whole list read in the same run.

    python -m bench.finding [--children 150] [--entries 2000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import cast

from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import open_records
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore
from domain import commands as cmd
from domain.envelope import EnvelopeDraft, RecordedBy
from ledger.log import LedgerBackend

SETTING = "bench-setting"
BY = RecordedBy("bench", "senco", SETTING)
FAMILIES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Khan"]


def _median_ms(call: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=150)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        ensure_keys(settings)
        records = open_records(settings)
        _, token = UserStore(cast(LedgerBackend, records.recorder)).add(
            "Bench", role="senco", setting_id=SETTING
        )
        draft = EnvelopeDraft(date(2025, 2, 3), BY)
        ids = [
            records.register(
                cmd.RegisterChild(
                    given_name=f"Child{n}",
                    family_name=FAMILIES[n % len(FAMILIES)],
                    date_of_birth=date(2023, 1, 1),
                    setting_id=SETTING,
                ),
                draft,
            )
            for n in range(args.children)
        ]
        version = 1
        for n in range(args.entries - 1):
            version = records.handle(
                ids[0],
                cmd.RecordObservation(
                    area="physical",
                    notes=f"obs {n} {'puzzle' if n % 50 == 0 else 'sand'}",
                    observer="KP",
                ),
                draft,
                expected_version=version,
            )
        records.close()
        with TestClient(create_app(settings)) as client:
            page = client.get("/sign-in")
            nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
            assert nonce is not None
            client.post("/sign-in", data={"token": token, "nonce": nonce.group(1)})
            api = {"Authorization": f"Bearer {token}"}
            chronology = f"/children/{ids[0]}/chronology"
            cases = [
                ("API: every child (baseline)", lambda: client.get("/v1/children", headers=api)),
                ("page: children, page 1 of 6", lambda: client.get("/children")),
                ("page: children named Khan", lambda: client.get("/children?q=khan")),
                (
                    "API: whole chronology (baseline)",
                    lambda: client.get(f"/v1{chronology}", headers=api),
                ),
                (
                    "API: chronology, 25 entries",
                    lambda: client.get(f"/v1{chronology}?limit=25", headers=api),
                ),
                (
                    "API: chronology, q=puzzle",
                    lambda: client.get(f"/v1{chronology}?q=puzzle", headers=api),
                ),
                ("page: chronology, page 1", lambda: client.get(chronology)),
                ("page: chronology, q=puzzle", lambda: client.get(f"{chronology}?q=puzzle")),
            ]
            results = {name: _median_ms(call, args.repeat) for name, call in cases}
        children_base = results["API: every child (baseline)"]
        chronology_base = results["API: whole chronology (baseline)"]
        for name, ms in results.items():
            base = (
                children_base if "child" in name and "chronology" not in name else chronology_base
            )
            print(f"{name:36} {ms:8.1f} ms   {ms / base:5.2f}x its baseline")


if __name__ == "__main__":
    main()
