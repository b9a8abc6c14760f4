"""An erasure or a disposal, once recorded, always completes: `erase` and
`retention dispose` killed (SIGKILL) at each of their steps leave a *pending* erasure that
`keys status` and `audit` report, and that a rerun of either command, a restart of `serve`
or a running server's housekeeping finishes — after which no file of the data dir nor a
pg_dump holds a readable byte of the child, and its keys are gone."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from api.bootstrap import open_key_store, open_records
from api.settings import Settings
from api.users import UserStore
from domain import commands as cmd
from domain.access import access_log_id
from domain.application import ChildRecords
from domain.errors import ChildErased
from ledger.keys import EXPORTER_KEY, LOG_KEY, create_key_pair
from ledger.log import LedgerBackend
from projections.cohort import CohortProjection
from tests.factories import fixed_clock, register
from tests.processes import KILLED, one_line, sendtrail, serve_process, serving
from tests.support.erasure import MARKER, a_child_with_the_marker, files_holding, pg_dump

STEPS = ["erasure-recorded", "read-models-purged", "keys-destroyed"]
pytestmark = pytest.mark.slow


def _prepared(settings: Settings, *, due: bool) -> tuple[UUID, UUID]:
    """A child holding the marker (born long ago if `due` for disposal), with a parent
    user and cohort rows; and another child, which must come through untouched."""
    for name in (LOG_KEY, EXPORTER_KEY):
        create_key_pair(settings.keys_dir, name)
    records = open_records(settings, clock=fixed_clock)
    try:
        if due:
            child = register(records, born=date(1990, 1, 1), registered=date(1993, 9, 1))
            child.do(
                cmd.RecordObservation,
                date(1994, 1, 6),
                area="communication_language",
                notes=f"{MARKER} observation",
                observer="Key person",
            )
        else:
            child = a_child_with_the_marker(records)
        other = register(records)
        backend: LedgerBackend = records.recorder  # type: ignore[assignment]
        records.note_access(child.child_id, user="u-1", role="senco", setting="s", view="plan")
        UserStore(backend).add(
            f"{MARKER} parent", role="parent", setting_id="s", child_id=str(child.child_id)
        )
        CohortProjection(records, backend).catch_up()
        return child.child_id, other.child_id
    finally:
        records.close()


def _is_pending(settings: Settings, child: UUID) -> bool:
    records = open_records(settings)
    try:
        with pytest.raises(ChildErased):
            records.get_child(child)
        keys = open_key_store(records)
        return bool(keys.with_keys([child, access_log_id(child)]))
    finally:
        records.close()


def _nothing_readable_is_left(settings: Settings, child: UUID, other: UUID) -> None:
    records: ChildRecords = open_records(settings)
    try:
        keys = open_key_store(records)
        assert keys.with_keys([child, access_log_id(child)]) == set()
        assert keys.is_erased(child)
        with pytest.raises(ChildErased):
            records.history(child)
        assert records.get_child(other).version == 1  # the other child is untouched
    finally:
        records.close()
    assert files_holding(settings.data_dir, {"marker": MARKER.encode()}) == []
    if settings.database_url:
        assert MARKER.encode() not in pg_dump(settings)
    status = one_line(sendtrail(settings, "keys", "status"))
    assert "0 erasure(s) pending" in status, status
    audited = sendtrail(settings, "audit")
    assert audited.returncode == 0, one_line(audited)
    assert "0 pending erasure(s)" in one_line(audited)


@pytest.mark.parametrize("step", STEPS)
def test_an_erase_killed_at_any_step_is_finished_by_running_it_again(
    settings: Settings, step: str
) -> None:
    child, other = _prepared(settings, due=False)
    erase = ("erase", str(child), "--reason", "parent's request", "--yes")
    killed = sendtrail(settings, *erase, crash_at=step)
    assert killed.returncode == KILLED, one_line(killed)
    if step != "keys-destroyed":
        assert _is_pending(settings, child)
        status = one_line(sendtrail(settings, "keys", "status"))
        assert "1 erasure(s) pending" in status
        assert str(child) in status
        audited = sendtrail(settings, "audit")
        assert audited.returncode == 0, one_line(audited)  # intact, and it says so
        assert f"PENDING ERASURE child {child}" in one_line(audited)
    again = sendtrail(settings, *erase)
    assert again.returncode == 0, one_line(again)
    _nothing_readable_is_left(settings, child, other)


@pytest.mark.parametrize("step", STEPS)
def test_a_disposal_killed_at_any_step_is_finished_by_the_next_dispose(
    settings: Settings, step: str
) -> None:
    child, other = _prepared(settings, due=True)
    killed = sendtrail(settings, "retention", "dispose", "--yes", crash_at=step)
    assert killed.returncode == KILLED, one_line(killed)
    rerun = sendtrail(settings, "retention", "dispose", "--yes")
    said = one_line(rerun)
    assert rerun.returncode == 0, said
    assert "No record is due for disposal" in said  # it was recorded: not due again...
    if step != "keys-destroyed":
        assert f"Finished the interrupted erasure of child {child}" in said  # ...but finished
    _nothing_readable_is_left(settings, child, other)


def test_a_restart_of_serve_finishes_an_interrupted_erasure(settings: Settings) -> None:
    child, other = _prepared(settings, due=False)
    erase = ("erase", str(child), "--reason", "parent's request", "--yes")
    assert sendtrail(settings, *erase, crash_at="erasure-recorded").returncode == KILLED
    assert _is_pending(settings, child)
    with serving(settings):
        pass  # started, answered, stopped
    _nothing_readable_is_left(settings, child, other)


def test_the_key_free_pending_check_names_the_same_ids_as_the_application(
    tmp_path: Path,
) -> None:
    from api.pending_erasures import stored_ids

    records = open_records(Settings(data_dir=tmp_path / "data"))
    try:
        child = register(records).child_id
        assert stored_ids(child) == records.stored_ids(child)
    finally:
        records.close()


HOUSEKEEPING = {"SENDTRAIL_HOUSEKEEPING_INTERVAL": "0.3", "SENDTRAIL_CHECKPOINT_INTERVAL": "0"}


def _within(seconds: float, done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.2)


def test_a_running_server_finishes_an_erasure_another_process_left_unfinished(
    settings: Settings, tmp_path: Path
) -> None:
    """With several servers none restarts for this: the housekeeping leader finishes it."""
    child, other = _prepared(settings, due=False)
    log = tmp_path / "serve.log"
    with serve_process(settings, log=log, env=HOUSEKEEPING):
        erase = ("erase", str(child), "--reason", "parent's request", "--yes")
        assert sendtrail(settings, *erase, crash_at="erasure-recorded").returncode == KILLED
        _within(20, lambda: not _is_pending(settings, child), "housekeeping to finish it")
    _nothing_readable_is_left(settings, child, other)
    said = log.read_text()
    assert "1 unfinished erasure(s) finished" in said
    assert str(child) not in said
    assert MARKER not in said


def test_a_server_disposes_of_due_records_only_when_told_to(
    settings: Settings, tmp_path: Path
) -> None:
    child, other = _prepared(settings, due=True)
    with serve_process(settings, log=tmp_path / "manual.log", env=HOUSEKEEPING):
        time.sleep(1.5)  # several rounds: the default is an admin's `retention dispose`
    records = open_records(settings)
    try:
        assert records.get_child(child).version > 1
    finally:
        records.close()
    log = tmp_path / "auto.log"
    with serve_process(
        settings, log=log, env={**HOUSEKEEPING, "SENDTRAIL_RETENTION_DISPOSE": "auto"}
    ):
        _within(20, lambda: _erased(settings, child), "housekeeping to dispose of the record")
    _nothing_readable_is_left(settings, child, other)
    records = open_records(settings)
    try:
        disposed = [e for e in records.recorder.select_events(child) if "Disposed" in e.topic]
        assert len(disposed) == 1
    finally:
        records.close()
    said = log.read_text()
    assert "1 record(s) disposed of" in said
    assert str(child) not in said
    assert MARKER not in said


def _erased(settings: Settings, child: UUID) -> bool:
    records = open_records(settings)
    try:
        records.get_child(child)
    except ChildErased:
        return not open_key_store(records).with_keys([child, access_log_id(child)])
    finally:
        records.close()
    return False
