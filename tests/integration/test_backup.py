"""Backups that restore: `sendtrail backup` taken while writer processes run, restored
into an empty installation with the KEK kept elsewhere, audits clean at the backup's
signed checkpoint, holds every write acknowledged before the backup began, and reads
every record. A changed byte, a missing manifest (a backup killed midway) and a non-empty
target are refused; the KEK is in no file of the backup; `sha256sum -c` agrees."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from api.bootstrap import open_ledger, open_records
from api.settings import Settings
from ledger.kek import read_keks
from tests.conftest import POSTGRES_URL
from tests.factories import register
from tests.processes import KILLED, ROOT, cli_env, one_line, sendtrail
from tests.support.erasure import files_holding

WRITER = """
import json, sys
from datetime import date
from api.bootstrap import open_records
from api.settings import Settings
from domain import commands as cmd
from domain.envelope import EnvelopeDraft, RecordedBy
records = open_records(Settings())
by = RecordedBy("u-kp", "practitioner", "test-setting")
while True:
    child = records.register(cmd.RegisterChild(given_name="Backup", family_name="Test",
        date_of_birth=date(2023, 1, 1), setting_id="test-setting"),
        EnvelopeDraft(date(2025, 1, 6), by))
    print(json.dumps([str(child), 1]), flush=True)
    for version in range(1, 8):
        records.handle(child, cmd.RecordObservation(area="physical",
            notes=f"acknowledged write {version + 1}", observer="KP"),
            EnvelopeDraft(date(2025, 2, 1), by), expected_version=version)
        print(json.dumps([str(child), version + 1]), flush=True)
"""
pytestmark = pytest.mark.slow


@dataclass
class Writers:
    """Writer processes; `acks` is every (child, version) they acknowledged so far."""

    procs: list[subprocess.Popen[str]]
    acks: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> list[tuple[str, int]]:
        with self.lock:
            return list(self.acks)


@dataclass
class Backed:
    settings: Settings
    folder: Path
    kek_kept_apart: Path
    acked_before: list[tuple[str, int]]
    result: subprocess.CompletedProcess[str]


@pytest.fixture
def writers(settings: Settings) -> Iterator[Writers]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER],
            env=cli_env(settings),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    running = Writers(procs)

    def read(proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            child, version = json.loads(line)
            with running.lock:
                running.acks.append((child, version))

    readers = [threading.Thread(target=read, args=(p,), daemon=True) for p in procs]
    for thread in readers:
        thread.start()
    yield running
    for proc in procs:
        proc.kill()
        proc.wait()
    for thread in readers:
        thread.join(timeout=10)


@pytest.fixture
def backed(settings: Settings, writers: Writers, tmp_path: Path) -> Backed:
    assert sendtrail(settings, "keys", "init").returncode == 0
    deadline = time.monotonic() + 60
    while len(writers.snapshot()) < 60:
        assert time.monotonic() < deadline, "the writers acknowledged too little"
        time.sleep(0.05)
    acked_before = writers.snapshot()
    folder = tmp_path / "backup"
    result = sendtrail(settings, "backup", str(folder))
    time.sleep(0.3)  # writers go on after the backup too
    assert len(writers.snapshot()) > len(acked_before)  # they were writing all along
    kept = tmp_path / "secrets" / "kek.json"  # the KEK, kept apart from the backups
    kept.parent.mkdir()
    shutil.copy2(settings.kek_path, kept)
    return Backed(settings, folder, kept, acked_before, result)


@pytest.fixture
def target(settings: Settings, tmp_path: Path, backed: Backed) -> Iterator[Settings]:
    """An empty installation to restore into (PostgreSQL: a database of the test's own)."""
    data = tmp_path / "restored"
    if settings.database_url is None:
        yield Settings(data_dir=data, kek_file=backed.kek_kept_apart)
        return
    database = f"restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    schema = settings.database_url.split("schema=")[1]
    server = POSTGRES_URL.rsplit("/", 1)[0]
    yield Settings(
        data_dir=data,
        kek_file=backed.kek_kept_apart,
        database_url=f"{server}/{database}?schema={schema}",
    )
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')


class TestBackupWhileWriting:
    def test_restore_audits_clean_and_holds_every_acknowledged_write(
        self, backed: Backed, target: Settings
    ) -> None:
        assert backed.result.returncode == 0, one_line(backed.result)
        restored = sendtrail(target, "restore", str(backed.folder))
        said = one_line(restored)
        assert restored.returncode == 0, said
        assert "AUDIT OK" in said
        assert "Every record reads" in said
        manifest = json.loads((backed.folder / "manifest.json").read_text())
        checkpoint = (backed.folder / "checkpoint.txt").read_text()
        assert int(checkpoint.split("\n")[1]) == manifest["checkpoint"]["size"]
        audited = sendtrail(target, "audit")
        assert audited.returncode == 0, one_line(audited)
        assert f"{manifest['checkpoint']['size']} leaves" in one_line(audited)
        records = open_records(target)
        try:
            latest: dict[str, int] = {}
            for child, version in backed.acked_before:
                latest[child] = max(version, latest.get(child, 0))
            for child, version in latest.items():
                assert records.get_child(UUID(child)).version >= version, child
            everyone = list(records.child_ids())
            assert len(everyone) >= len(latest)
            for child_id in everyone:
                assert records.history(child_id)  # every child decrypts
            assert checkpoint in open_ledger(records, target).checkpoints()
        finally:
            records.close()
        live = open_records(backed.settings)
        try:  # the live log holds the backup's checkpoint too
            assert checkpoint in open_ledger(live, backed.settings).checkpoints()
        finally:
            live.close()
        assert sendtrail(backed.settings, "audit").returncode == 0

    def test_the_kek_is_in_no_file_of_the_backup(self, backed: Backed) -> None:
        assert backed.result.returncode == 0, one_line(backed.result)
        needles = {}
        for version, kek in read_keks(backed.kek_kept_apart).items():
            needles[f"kek {version}"] = kek
            needles[f"kek {version} base64"] = base64.b64encode(kek)
        assert files_holding(backed.folder, needles) == []
        assert not list(backed.folder.rglob("kek*"))
        checked = subprocess.run(
            ["sha256sum", "-c", "SHA256SUMS"], cwd=backed.folder, capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "manifest.json: OK" in checked.stdout


class TestRestoreRefuses:
    def test_a_changed_byte_is_named(self, backed: Backed, target: Settings) -> None:
        copy = backed.folder.with_name("changed")
        shutil.copytree(backed.folder, copy)
        name = "events.pgdump" if backed.settings.database_url else "sendtrail.db"
        raw = bytearray((copy / name).read_bytes())
        raw[len(raw) // 2] ^= 0x01
        (copy / name).write_bytes(bytes(raw))
        result = sendtrail(target, "restore", str(copy))
        assert result.returncode == 1, one_line(result)
        assert f"RESTORE REFUSED {name}: SHA-256 differs" in one_line(result)
        assert not target.key_store_path.exists()  # nothing was put in place

    def test_a_backup_killed_midway_has_no_manifest(
        self, backed: Backed, target: Settings, tmp_path: Path
    ) -> None:
        half = tmp_path / "half"
        killed = sendtrail(backed.settings, "backup", str(half), crash_at="event-store-copied")
        assert killed.returncode == KILLED
        result = sendtrail(target, "restore", str(half))
        assert result.returncode == 1, one_line(result)
        assert "manifest.json: no manifest" in one_line(result)

    def test_a_non_empty_target_or_folder(self, backed: Backed, target: Settings) -> None:
        assert sendtrail(target, "restore", str(backed.folder)).returncode == 0
        again = sendtrail(target, "restore", str(backed.folder))
        assert again.returncode == 2, one_line(again)
        assert "restore into an empty installation" in one_line(again) or "exists" in one_line(
            again
        )
        into_full = sendtrail(backed.settings, "backup", str(backed.folder))
        assert into_full.returncode == 2
        assert "is not empty" in one_line(into_full)


@pytest.mark.key_file
def test_a_store_restored_from_an_old_key_store_backup_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    """The failure the issue saw: the key store copied before the events (so older)."""
    assert sendtrail(settings, "keys", "init").returncode == 0
    records = open_records(settings)
    register(records)
    records.close()
    early = settings.key_store_path.read_bytes()
    records = open_records(settings)
    register(records)
    records.close()
    settings.key_store_path.write_bytes(early)
    result = sendtrail(settings, "audit")
    assert result.returncode == 4, one_line(result)
    assert "lacks the key of the newest encrypted record" in one_line(result)
