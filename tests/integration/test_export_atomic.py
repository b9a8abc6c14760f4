"""Exports are atomic: the bundle is written whole beside its target and renamed, and only
then is the export recorded. Killed while writing, the older bundle of the same name is
intact and nothing is recorded; killed after the rename, the file is whole and a rerun
records it. A recorded export always has its file, with the recorded SHA-256."""

from __future__ import annotations

import hashlib
from pathlib import Path
from uuid import UUID

import pytest

from api.bootstrap import open_records
from api.settings import Settings
from domain import events as ev
from exporters.verify import verify_bundle
from tests.factories import register
from tests.processes import KILLED, one_line, sendtrail

pytestmark = pytest.mark.slow


def recorded_exports(settings: Settings, child: UUID) -> list[str]:
    records = open_records(settings)
    try:
        return [
            e.bundle_sha256
            for e in records.history(child)
            if isinstance(e, ev.EvidenceBundleExported)
        ]
    finally:
        records.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_killed_export_leaves_the_old_bundle_or_a_whole_new_one_never_a_record_without_it(
    settings: Settings, tmp_path: Path
) -> None:
    assert sendtrail(settings, "keys", "init").returncode == 0
    records = open_records(settings)
    child = register(records).child_id
    records.close()
    bundle = tmp_path / "out" / "bundle.zip"
    bundle.parent.mkdir()
    export = ("export", str(child), "-o", str(bundle), "--no-pdf")
    assert sendtrail(settings, *export).returncode == 0
    first = bundle.read_bytes()
    assert recorded_exports(settings, child) == [sha256(bundle)]

    killed = sendtrail(settings, *export, crash_at="bundle-temp-written")
    assert killed.returncode == KILLED, one_line(killed)
    assert bundle.read_bytes() == first  # the older bundle of the same name is intact
    assert verify_bundle(first).child_id == str(child)
    assert len(recorded_exports(settings, child)) == 1  # nothing recorded
    assert list(bundle.parent.glob(".bundle.zip.*.partial"))  # the crash's leftover...

    killed = sendtrail(settings, *export, crash_at="bundle-written")
    assert killed.returncode == KILLED, one_line(killed)
    assert not list(bundle.parent.glob(".bundle.zip.*.partial"))  # ...cleared by the next
    written = bundle.read_bytes()
    assert written != first
    assert verify_bundle(written).child_id == str(child)  # whole, not truncated
    assert len(recorded_exports(settings, child)) == 1  # written but not (yet) recorded

    assert sendtrail(settings, *export).returncode == 0
    recorded = recorded_exports(settings, child)
    assert len(recorded) == 2
    assert recorded[-1] == sha256(bundle)  # the recorded export is the file on disk
    assert sendtrail(settings, "audit").returncode == 0
