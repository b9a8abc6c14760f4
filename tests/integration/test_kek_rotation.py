"""KEK rotation: every data key is rewrapped under a new KEK without touching an event,
and a rotation killed at any moment (SIGKILL, several times) leaves every key usable."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from api.bootstrap import open_key_store, open_records
from api.cli import app as cli
from api.settings import Settings
from ledger.kek import read_keks, write_keks
from ledger.key_errors import KekError
from ledger.keystore import KeyStore
from tests.conftest import OpenStore
from tests.factories import register, with_parent

PLAINTEXT = b"sealed before the rotation"
ROTATE_FOREVER = """
import sys
from pathlib import Path
from ledger.keystore import KeyStore

keys = KeyStore(Path(sys.argv[1]), Path(sys.argv[2]))
print("ready", flush=True)
while True:
    print(keys.rotate_kek(), flush=True)
"""


def sealed_samples(keys: KeyStore, count: int) -> dict[UUID, bytes]:
    """`count` originators with a key each, and a ciphertext sealed under it."""
    samples = {}
    for _ in range(count):
        originator = uuid.uuid4()
        samples[originator] = keys.aead(originator, create=True).encrypt(
            bytes(12), PLAINTEXT, originator.bytes
        )
    return samples


def all_open(keys: KeyStore, samples: dict[UUID, bytes]) -> bool:
    return all(
        keys.aead(o, create=False).decrypt(bytes(12), sealed, o.bytes) == PLAINTEXT
        for o, sealed in samples.items()
    )


def test_rotation_rewraps_every_key_and_keeps_events_readable(
    open_store: OpenStore, settings: Settings
) -> None:
    records = open_store()
    children = [with_parent(register(records)) for _ in range(3)]
    before = {c.child_id: [vars(e) for e in records.history(c.child_id)] for c in children}
    events_before = records.recorder.max_notification_id()
    old_keks = read_keks(settings.kek_path)
    result = CliRunner().invoke(
        cli,
        ["keys", "rotate-kek"],
        env={"SENDTRAIL_DATA": str(settings.data_dir)}
        | ({"SENDTRAIL_DATABASE_URL": settings.database_url} if settings.database_url else {}),
    )
    assert result.exit_code == 0, result.output
    assert "KEK rotated to version 2: 3 data key(s) rewrapped" in " ".join(result.output.split())
    assert list(read_keks(settings.kek_path)) == [2]  # the old KEK is gone from the file
    reader = open_store()
    assert {c.child_id: [vars(e) for e in reader.history(c.child_id)] for c in children} == before
    assert reader.recorder.max_notification_id() == events_before  # no event rewritten
    assert open_key_store(reader).status().active_kek == 2
    # The old KEK no longer opens anything.
    write_keks(settings.kek_path, old_keks)
    with pytest.raises(KekError):
        open_records(settings)


def test_a_process_holding_keys_keeps_working_across_a_rotation(tmp_path: Path) -> None:
    store, kek = tmp_path / "keystore.db", tmp_path / "keys" / "kek.json"
    serving, admin = KeyStore(store, kek), KeyStore(store, kek)
    samples = sealed_samples(serving, 5)
    admin.rotate_kek()
    admin.rotate_kek()
    assert all_open(serving, samples)  # cached keys
    fresh = uuid.uuid4()
    serving.aead(fresh, create=True)  # wraps under the new KEK, read from the file
    assert KeyStore(store, kek).aead(fresh, create=False) is not None
    serving.close()
    admin.close()


@pytest.mark.slow
def test_a_rotation_killed_at_any_moment_leaves_every_key_usable(tmp_path: Path) -> None:
    store, kek = tmp_path / "keystore.db", tmp_path / "keys" / "kek.json"
    keys = KeyStore(store, kek)
    samples = sealed_samples(keys, 300)
    keys.close()
    rng = random.Random(8)
    rotations_seen = interrupted = 0
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", ROTATE_FOREVER, str(store), str(kek)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parents[2],
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))  # a rotation of 300 keys takes about 0.1 s
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        rotations_seen += len(proc.stdout.read().split())
        reopened = KeyStore(store, kek)
        assert all_open(reopened, samples)
        in_file = set(read_keks(kek))
        assert reopened.status().active_kek in in_file
        interrupted += len(in_file) > 1  # killed between adding the new KEK and the switch
        reopened.close()
    assert rotations_seen > 0
    assert interrupted > 0  # some kills landed inside a rotation, not only between two
    # A rotation after the crashes drops whatever stale KEK versions they left behind.
    final = KeyStore(store, kek)
    version = final.rotate_kek()
    assert list(read_keks(kek)) == [version]
    assert all_open(final, samples)
    assert not list(kek.parent.glob(".*.tmp"))  # no stray copies of a KEK
    final.close()
