"""End to end over real HTTP: uvicorn on 127.0.0.1, a SENCO's journey through the
graduated approach ending in an export that `sendtrail verify` accepts, and a bounded load
test on loopback (every acknowledged write is stored, nothing lost, no 5xx, audit passes)."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from api.app import create_app
from api.bootstrap import open_records
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore
from ledger.log import LedgerBackend
from tests.serving import served

SETTING = "e2e-setting"


@dataclass
class Server:
    base: str
    settings: Settings
    token: str

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, timeout=60, headers={"Authorization": f"Bearer {self.token}"}
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("e2e") / "data")
    ensure_keys(settings)
    records = open_records(settings)
    _, token = UserStore(cast(LedgerBackend, records.recorder)).add(
        "E2E SENCO", role="senco", setting_id=SETTING
    )
    records.close()
    with served(create_app(settings)) as base:
        yield Server(base, settings, token)


def post(client: httpx.Client, child: str, path: str, version: int, **body: Any) -> int:
    response = client.post(
        f"/v1/children/{child}/{path}", json={"expected_version": version, **body}
    )
    assert response.status_code == 201, (path, response.status_code, response.text)
    return int(response.json()["version"])


def register(client: httpx.Client, name: str = "Journey") -> str:
    response = client.post(
        "/v1/children",
        json={
            "given_name": name,
            "family_name": "Fictional",
            "date_of_birth": "2022-06-01",
            "occurred_at": "2024-09-02",
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["child_id"])


@pytest.mark.slow  # a whole journey against uvicorn
class TestSencoJourney:
    def test_graduated_approach_to_a_verified_bundle(self, server: Server, tmp_path: Path) -> None:
        with server.client() as client:
            child = register(client)
            v = 1
            v = post(
                client,
                child,
                "people",
                v,
                occurred_at="2024-09-02",
                person_id="parent-1",
                name="Parent Fictional",
                relationship="mother",
                parental_responsibility=True,
            )
            v = post(
                client,
                child,
                "observations",
                v,
                occurred_at="2024-10-01",
                area="communication_language",
                notes="Few words at group time.",
                observer="Key person",
            )
            v = post(
                client,
                child,
                "concerns",
                v,
                occurred_at="2024-10-08",
                concern_id="c-1",
                areas=["communication_language"],
                level="medium",
                description="Limited spoken language.",
            )
            v = post(
                client,
                child,
                "discussions",
                v,
                occurred_at="2024-10-15",
                participants=["Key person", "SENCO"],
                outcome="high_concern_seek_advice",
                hypothesis="Speech and language need.",
                evidence_needed="SALT assessment",
                actions=["Refer with consent"],
            )
            v = post(
                client,
                child,
                "parent-notifications",
                v,
                occurred_at="2024-10-16",
                method="meeting",
                information_service_given=True,
            )
            v = post(
                client,
                child,
                "sen-status",
                v,
                occurred_at="2024-10-16",
                status="K",
                need_codes=["SLCN"],
                primary_need="SLCN",
                reason="Agreed with parents.",
            )
            v = post(
                client,
                child,
                "consents",
                v,
                occurred_at="2024-10-16",
                decision="given",
                consent_id="salt",
                purpose="referral",
                service="Speech and language therapy",
                person_id="parent-1",
            )
            v = post(
                client,
                child,
                "referrals",
                v,
                occurred_at="2024-10-17",
                referral_id="ref-1",
                service="Speech and language therapy",
                reason="Language delay",
                consent_id="salt",
            )
            v = post(
                client,
                child,
                "provisions",
                v,
                occurred_at="2024-11-04",
                provision_id="talk",
                description="Small-group talk",
                area="communication_language",
                start_date="2024-11-04",
                group_size=4,
                session_minutes=20,
                sessions_per_week=3,
                weeks=10,
                staff_grade="practitioner",
                cost="180.00",
                funding_source="core",
            )
            v = post(
                client,
                child,
                "plans",
                v,
                occurred_at="2024-11-04",
                plan_id="plan-1",
                start_date="2024-11-04",
                review_date="2025-01-13",
                outcomes=[
                    {
                        "outcome_id": "o1",
                        "description": "Two-step instructions",
                        "area": "communication_language",
                        "target_date": "2025-01-13",
                    }
                ],
                provision_ids=["talk"],
                shared_with_parents=True,
            )
            for day in ("2024-11-05", "2024-11-07", "2024-11-12"):
                v = post(
                    client,
                    child,
                    "sessions",
                    v,
                    occurred_at=day,
                    provision_id="talk",
                    session_date=day,
                    delivered=True,
                    minutes=20,
                )
            v = post(
                client,
                child,
                "reports",
                v,
                occurred_at="2024-12-02",
                report_id="salt-1",
                author="Demo Therapist",
                author_role="SALT",
                service="Speech and language therapy",
                report_date="2024-12-01",
                summary="Receptive language delay.",
                recommendations=[{"recommendation_id": "r1", "text": "Visual timetable"}],
            )
            v = post(
                client,
                child,
                "reports/salt-1/recommendations/r1/actions",
                v,
                occurred_at="2024-12-09",
                action="actioned",
                detail="In the room.",
            )
            v = post(
                client,
                child,
                "reviews",
                v,
                occurred_at="2025-01-13",
                plan_id="plan-1",
                outcome_progress=[{"outcome_id": "o1", "progress": "partly_met"}],
                provision_impact=[{"provision_id": "talk", "impact": "some"}],
                reflection="Visuals help.",
                decision="continue",
                next_review_date="2025-03-24",
                attendees=["SENCO", "Parent"],
            )
            v = post(
                client,
                child,
                "parent-views",
                v,
                occurred_at="2025-01-14",
                person_id="parent-1",
                view="Small steps at home too.",
            )
            v = post(
                client,
                child,
                "child-views",
                v,
                occurred_at="2025-01-14",
                view="Likes the puppets.",
                method="Talking mat",
            )
            v = post(
                client,
                child,
                "consents",
                v,
                occurred_at="2025-02-01",
                decision="given",
                consent_id="la",
                purpose="share_with_la",
                service="",
                person_id="parent-1",
            )
            v = post(
                client,
                child,
                "ehc/request",
                v,
                occurred_at="2025-02-03",
                request_date="2025-02-03",
                local_authority="Demo County Council",
                reason="Needs exceed SEN support.",
            )
            stale = client.post(
                f"/v1/children/{child}/observations",
                json={
                    "expected_version": v - 1,
                    "occurred_at": "2025-02-04",
                    "area": "physical",
                    "notes": "late",
                    "observer": "KP",
                },
            )
            assert stale.status_code == 409
            readiness = client.get(f"/v1/children/{child}/readiness").json()
            assert {h["id"] for h in readiness["hints"] if h["status"] == "met"} >= {
                "sen_support",
                "parent_notified",
                "consent_share_with_la",
            }
            bundle = client.post(
                f"/v1/children/{child}/exports",
                json={"pdf": False, "reason": "Needs exceed SEN support."},
            )
            assert bundle.status_code == 200, bundle.text
        path = tmp_path / "bundle.zip"
        path.write_bytes(bundle.content)
        keys = server.settings.keys_dir
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "api.cli",
                "verify",
                str(path),
                "--key",
                str(keys / "exporter.pub.pem"),
                "--log-key",
                str(keys / "log.pub.pem"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert run.stdout.startswith("VERIFIED: child")


class TestLoad:
    @pytest.mark.slow  # ~50 s: in CI and `make test`, not in `make quick`
    def test_concurrent_writers_lose_nothing(self, server: Server) -> None:
        with server.client() as client:
            children = [register(client, f"Load{n}") for n in range(50)]
        acknowledged: list[tuple[str, int]] = []
        statuses: list[int] = []
        lock = threading.Lock()

        def worker(seed: int) -> None:
            rng = random.Random(seed)
            known: dict[str, int] = {}
            with server.client() as client:
                for n in range(200):
                    child = rng.choice(children)
                    for _attempt in range(50):
                        response = client.post(
                            f"/v1/children/{child}/observations",
                            json={
                                "expected_version": known.get(child, 1),
                                "occurred_at": "2025-03-01",
                                "area": "physical",
                                "notes": f"w{seed}-{n}",
                                "observer": "KP",
                            },
                        )
                        with lock:
                            statuses.append(response.status_code)
                        if response.status_code == 409:  # someone else wrote: catch up
                            known[child] = int(response.json()["current_version"])
                            continue
                        if response.status_code == 201:
                            known[child] = int(response.json()["version"])
                            with lock:
                                acknowledged.append((child, known[child]))
                        break

        with ThreadPoolExecutor(max_workers=20) as pool:
            list(pool.map(worker, range(20)))
        assert not [s for s in statuses if s >= 500]
        assert set(statuses) <= {201, 409}
        assert len(acknowledged) == 20 * 200
        records = open_records(server.settings)
        try:
            for child in children:
                from uuid import UUID

                stored = records.get_child(UUID(child)).version
                mine = [v for c, v in acknowledged if c == child]
                assert stored == 1 + len(mine)
                assert sorted(mine) == list(range(2, stored + 1))
        finally:
            records.close()
        audit = subprocess.run(
            [sys.executable, "-m", "api.cli", "audit"],
            capture_output=True,
            text=True,
            check=False,
            env={"SENDTRAIL_DATA": str(server.settings.data_dir), "PATH": "/usr/bin:/bin"},
        )
        assert audit.returncode == 0, audit.stdout + audit.stderr

    def test_racing_on_one_child_every_write_lands_or_conflicts(self, server: Server) -> None:
        with server.client() as client:
            child = register(client, "Race")
        outcomes: list[int] = []
        lock = threading.Lock()

        def racer(seed: int) -> None:
            with server.client() as client:
                version = 1
                for n in range(10):
                    response = client.post(
                        f"/v1/children/{child}/observations",
                        json={
                            "expected_version": version,
                            "occurred_at": "2025-03-01",
                            "area": "physical",
                            "notes": f"r{seed}-{n}",
                            "observer": "KP",
                        },
                    )
                    with lock:
                        outcomes.append(response.status_code)
                    body = response.json()
                    version = int(body.get("version") or body.get("current_version"))

        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(racer, range(10)))
        assert set(outcomes) <= {201, 409}
        assert 409 in outcomes
        with server.client() as client:
            version = client.get(f"/v1/children/{child}").json()["version"]
        assert version == 1 + outcomes.count(201)
