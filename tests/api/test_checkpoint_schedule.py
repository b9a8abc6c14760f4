"""Issue 14, item 13: `serve` signs checkpoints on a schedule when the log grew; reads
never sign. (The schedule's own logic, `tick`, is tested in test_reads.py.)"""

from __future__ import annotations

import time
from pathlib import Path
from typing import cast

from fastapi.testclient import TestClient

from api.app import create_app
from api.cli_serve import ensure_keys
from api.deps import Services
from api.settings import Settings
from api.users import UserStore
from ledger.log import LedgerBackend


def test_the_app_signs_on_its_schedule_once_the_log_grew(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", checkpoint_interval=0.1)
    ensure_keys(settings)
    with TestClient(create_app(settings)) as client:
        svc = cast(Services, client.app.state.services)  # type: ignore[attr-defined]
        _, token = UserStore(cast(LedgerBackend, svc.records.recorder)).add(
            "Schedule SENCO", role="senco", setting_id="schedule"
        )
        made = client.post(
            "/v1/children",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "given_name": "Tick",
                "family_name": "Fictional",
                "date_of_birth": "2020-01-01",
                "occurred_at": "2024-09-02",
            },
        )
        assert made.status_code == 201, made.text
        deadline = time.monotonic() + 30  # a bound on waiting, not a speed assertion
        while not svc.ledger.checkpoints() and time.monotonic() < deadline:
            time.sleep(0.05)
        notes = svc.ledger.checkpoints()
        assert len(notes) == 1
        assert int(notes[0].split("\n")[1]) == svc.ledger.size()
        latest = client.get("/v1/checkpoints/latest", headers={"Authorization": f"Bearer {token}"})
        assert latest.text == notes[0]


def test_interval_zero_never_signs_in_the_app(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", checkpoint_interval=0)
    ensure_keys(settings)
    with TestClient(create_app(settings)) as client:
        svc = cast(Services, client.app.state.services)  # type: ignore[attr-defined]
        _, token = UserStore(cast(LedgerBackend, svc.records.recorder)).add(
            "Schedule SENCO", role="senco", setting_id="schedule"
        )
        headers = {"Authorization": f"Bearer {token}"}
        client.post(
            "/v1/children",
            headers=headers,
            json={
                "given_name": "Tock",
                "family_name": "Fictional",
                "date_of_birth": "2020-01-01",
                "occurred_at": "2024-09-02",
            },
        )
        assert client.get("/v1/checkpoints/latest", headers=headers).status_code == 404
        assert svc.ledger.checkpoints() == []
