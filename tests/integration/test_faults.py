"""Faults get clear, honest answers: a full disk (a real small tmpfs), a read-only folder,
PostgreSQL stopped mid-load (a throwaway cluster of the test's own), a damaged, deleted or
foreign key store and a KEK file deleted while serving. HTTP answers 503 problem+json with
Retry-After (in bounded time), the CLI one line naming the cause with exit 4 or 5, and
nothing is stored."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import open_records
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore
from tests.factories import register
from tests.processes import one_line, sendtrail
from tests.throwaway_postgres import throwaway_cluster

pytestmark = pytest.mark.slow  # a real full disk, a stopped PostgreSQL, `sendtrail` processes
CHILD = {"given_name": "Ada", "family_name": "Example", "occurred_at": "2025-09-02"}
OBSERVATION = {"area": "physical", "notes": "Climbed the frame.", "observer": "Key person"}


@contextmanager
def tmpfs(size: str) -> Iterator[Path]:
    """A real small filesystem (tmpfs) mounted for the test; skipped where we may not."""
    folder = Path(tempfile.mkdtemp(prefix="sendtrail-tmpfs-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip() or 'not root'})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()


def fill(folder: Path) -> Path:
    """Fill the filesystem of `folder` to the last byte; returns the filler file."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)
    return filler


class Service:
    """The real app on `settings`, with a SENCO's token."""

    def __init__(self, settings: Settings, client: TestClient, token: str) -> None:
        self.settings = settings
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        answer: httpx.Response = self.client.post(f"/v1{path}", json=body, headers=self.headers)
        return answer

    def new_child(self) -> httpx.Response:
        return self.post("/children", CHILD)

    def observe(self, child: str, version: int) -> httpx.Response:
        body = {**OBSERVATION, "occurred_at": "2025-09-03", "expected_version": version}
        return self.post(f"/children/{child}/observations", body)

    def count_children(self) -> int:
        answer = self.client.get("/v1/children", headers=self.headers)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["count"])


@contextmanager
def service(settings: Settings) -> Iterator[Service]:
    ensure_keys(settings)
    records = open_records(settings)
    try:
        _, token = UserStore(records.recorder).add(  # type: ignore[arg-type]
            "A senco", role="senco", setting_id="nursery-oak"
        )
    finally:
        records.close()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Service(settings, client, token)


def assert_unavailable(answer: httpx.Response, said: str) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert int(answer.headers["Retry-After"]) > 0
    assert said in answer.json()["detail"]
    assert CHILD["given_name"] not in answer.text


def stored_events(settings: Settings) -> int:
    records = open_records(settings)
    try:
        return records.recorder.max_notification_id() or 0
    finally:
        records.close()


class TestDiskFull:
    def test_the_api_says_503_disk_full_and_stores_nothing_and_the_cli_one_line(
        self, tmp_path: Path
    ) -> None:
        with tmpfs("6m") as disk:
            settings = Settings(data_dir=disk / "data")
            with service(settings) as api:
                made = api.new_child()
                assert made.status_code == 201, made.text
                child, version = made.json()["child_id"], 1
                filler = fill(disk)
                answers = []
                for _ in range(200):  # SQLite reuses space it already holds: write until full
                    answer = api.observe(child, version)
                    answers.append(answer.status_code)
                    if answer.status_code != 201:
                        break
                    version += 1
                assert_unavailable(answer, "disk full")
                assert_unavailable(api.new_child(), "disk full")  # the key store is full too
                cli = sendtrail(settings, "demo", "--children", "2")
                assert cli.returncode == 5, one_line(cli)
                assert "Cannot use the store: disk full" in one_line(cli)
                assert "Traceback" not in cli.stdout + cli.stderr
                filler.unlink()
                assert stored_events(settings) == answers.count(201) + 1  # nothing half-stored
                assert api.observe(child, version).status_code == 201  # and writes resume
            audited = sendtrail(settings, "audit")
            assert audited.returncode == 0, one_line(audited)


class TestReadOnlyFolder:
    def test_writes_say_read_only_and_the_audit_still_runs(self, tmp_path: Path) -> None:
        with tmpfs("8m") as disk:
            settings = Settings(data_dir=disk / "data")
            ensure_keys(settings)
            records = open_records(settings)
            register(records)
            records.close()
            remounted = subprocess.run(
                ["mount", "-o", "remount,ro", str(disk)], capture_output=True, check=False
            )
            if remounted.returncode != 0:
                pytest.skip("cannot remount the tmpfs read-only here")
            wrote = sendtrail(settings, "demo", "--children", "1")
            assert wrote.returncode == 5, one_line(wrote)
            assert one_line(wrote).startswith("Cannot use the store: read-only (")
            audited = sendtrail(settings, "audit")
            assert audited.returncode == 0, one_line(audited)
            assert "AUDIT OK: 1 leaves" in one_line(audited)


class TestPostgresOutage:
    def test_503_in_bounded_time_nothing_stored_and_service_resumes(self, tmp_path: Path) -> None:
        with throwaway_cluster() as pg:
            settings = Settings(
                data_dir=tmp_path / "data", database_url=pg.url, database_connect_timeout=2
            )
            with service(settings) as api:
                assert api.new_child().status_code == 201
                pg.stop()
                started = time.monotonic()
                assert_unavailable(api.new_child(), "database unreachable")
                assert time.monotonic() - started < 15  # not the 30 s it used to hang
                listing = api.client.get("/v1/children", headers=api.headers)
                assert_unavailable(listing, "database unreachable")
                cli = sendtrail(settings, "keys", "status")
                assert cli.returncode == 5, one_line(cli)
                assert one_line(cli).startswith("Cannot use the store: database unreachable")
                pg.start()
                deadline = time.monotonic() + 60
                while (answer := api.client.get("/v1/children", headers=api.headers)).status_code:
                    if answer.status_code == 200:
                        break
                    assert answer.status_code == 503, answer.text
                    assert time.monotonic() < deadline, "the service did not come back"
                    time.sleep(0.2)
                assert api.count_children() == 1  # the refused registration stored nothing
                assert api.new_child().status_code == 201


class TestKeyStoreFaults:
    def test_a_damaged_key_store_is_named_by_the_cli_and_serve_does_not_start(
        self, tmp_path: Path
    ) -> None:
        settings = Settings(data_dir=tmp_path / "data")
        ensure_keys(settings)
        records = open_records(settings)
        register(records)
        records.close()
        settings.key_store_path.write_bytes(b"not a database, but 4096 bytes of noise " * 100)
        for args in (("keys", "status"), ("serve", "--port", "1")):
            result = sendtrail(settings, *args)
            assert result.returncode == 4, one_line(result)
            assert f"key store damaged: {settings.key_store_path}" in one_line(result)

    def test_a_key_store_deleted_while_serving_refuses_new_records_with_503(
        self, tmp_path: Path
    ) -> None:
        settings = Settings(data_dir=tmp_path / "data")
        with service(settings) as api:
            made = api.new_child().json()
            kept = settings.key_store_path.read_bytes()
            settings.key_store_path.unlink()
            assert_unavailable(api.new_child(), "keystore.db")
            assert not settings.key_store_path.exists()  # and none was made in its place
            assert api.observe(made["child_id"], 1).status_code == 201  # its key is held
        result = sendtrail(settings, "keys", "status")
        assert result.returncode == 4, one_line(result)
        assert "is missing or empty" in one_line(result)
        settings.key_store_path.write_bytes(kept)
        records = open_records(settings)
        try:
            assert len(list(records.child_ids())) == 1  # the refused registration left nothing
        finally:
            records.close()

    def test_a_kek_file_deleted_while_serving_wraps_no_new_key(self, tmp_path: Path) -> None:
        settings = Settings(data_dir=tmp_path / "data")
        with service(settings) as api:
            made = api.new_child().json()
            kek = settings.kek_path.read_bytes()
            settings.kek_path.unlink()
            assert_unavailable(api.new_child(), "key-encryption key")
            assert api.observe(made["child_id"], 1).status_code == 201  # no new key needed
            settings.kek_path.write_bytes(b'{"format": "sendtrail-kek/1", "keys": {}}')
            os.chmod(settings.kek_path, 0o600)
            assert_unavailable(api.new_child(), "key-encryption key")  # changed: refused too
            settings.kek_path.write_bytes(kek)
            second = api.new_child()
            assert second.status_code == 201
            assert api.count_children() == 2
            for child in (made, second.json()):
                shown = api.client.get(f"/v1/children/{child['child_id']}", headers=api.headers)
                assert shown.status_code == 200, shown.text
