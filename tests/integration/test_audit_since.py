"""`sendtrail audit --since-checkpoint FILE --incremental`, on SQLite and PostgreSQL: it
agrees with the full audit on a clean store for every shape of kept tree, and names what
an attacker changed after the kept checkpoint, or under it where the kept tree can tell."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from api.bootstrap import open_ledger, open_records
from api.settings import Settings
from domain import commands as cmd
from domain.application import ChildRecords
from ledger.audit import AuditError, audit
from ledger.audit_since import audit_since
from ledger.checkpoint import SignerChanged, parse
from ledger.checkpoint import sign as cp_sign
from ledger.keys import LOG_KEY, create_key_pair, key_paths, load_private, load_public
from tests.factories import PRACTITIONER, fixed_clock, on
from tests.integration.ledger_tamper import RawStore
from tests.support.audit import run_audit, three_children

Store = tuple[Settings, ChildRecords, RawStore]


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    create_key_pair(settings.keys_dir, LOG_KEY)
    records = open_records(settings, clock=fixed_clock)
    yield settings, records, RawStore(settings)
    records.close()


def sign(store: Store) -> str:
    settings, records, _ = store
    ledger = open_ledger(records, settings)
    private = load_private(key_paths(settings.keys_dir, LOG_KEY).private)
    return ledger.create_checkpoint(private, settings.log_origin)


def observe(records: ChildRecords, child_id: str, day: int) -> None:
    records.handle(
        UUID(child_id),
        cmd.RecordObservation(area="physical", notes=f"day {day}", observer="KP"),
        on(date(2025, 3, day), PRACTITIONER),
    )


@pytest.fixture
def kept(store: Store, tmp_path: Path) -> tuple[Path, list[str]]:
    """15 leaves, a checkpoint kept in a file; then an old child written again, three new
    children and a later checkpoint (so a chain spans the kept size)."""
    _, records, _ = store
    ids = three_children(records)
    path = tmp_path / "kept.checkpoint"
    path.write_text(sign(store))
    observe(records, ids[0], 10)
    ids += three_children(records)
    sign(store)
    observe(records, ids[4], 11)
    return path, ids


def incremental(settings: Settings, path: Path) -> tuple[int, str]:
    return run_audit(settings, "--since-checkpoint", str(path), "--incremental")


def root_of(output: str) -> str:
    found = re.search(r"root ([0-9a-f]{64})", output)
    assert found, output
    return found.group(1)


class TestAgreesWithTheFullAudit:
    def test_a_clean_store(self, store: Store, kept: tuple[Path, list[str]]) -> None:
        settings = store[0]
        code, full = run_audit(settings)
        assert code == 0, full
        code, output = incremental(settings, kept[0])
        assert code == 0, output
        assert "AUDIT OK: 32 leaves, 6 children, 2 checkpoints verified" in output
        assert "incremental: leaves 15 to 31 re-derived" in output
        assert root_of(output) == root_of(full)

    def test_every_kept_size(self, store: Store) -> None:
        """A checkpoint after each write, 1 to 21 leaves: every frontier shape, every
        chain split; from each, the incremental audit passes with the full audit's root."""
        settings, records, _ = store
        ledger = open_ledger(records, settings)
        public = load_public(key_paths(settings.keys_dir, LOG_KEY).public)
        notes = []
        ids = three_children(records)[:2]
        notes.append(sign(store))
        for day in range(1, 7):
            observe(records, ids[day % 2], day)
            notes.append(sign(store))
        full = audit(ledger, log_key=public, key_name=settings.log_origin, workers=0)
        for note in notes:
            report = audit_since(
                ledger, note, log_key=public, key_name=settings.log_origin, workers=0
            )
            assert (report.leaves, report.children, report.root) == (
                full.leaves,
                full.children,
                full.root,
            )

    def test_incremental_needs_a_kept_checkpoint(self, store: Store) -> None:
        code, output = run_audit(store[0], "--incremental")
        assert code == 2
        assert "--incremental needs --since-checkpoint" in output


class TestTamperAfterTheKeptCheckpoint:
    def test_a_new_events_bytes_changed(self, store: Store, kept: tuple[Path, list[str]]) -> None:
        settings, _, raw = store
        ids = kept[1]
        key = raw.child_key(ids[4])
        state = bytearray(
            raw.run(
                "SELECT state FROM {events} WHERE originator_id = ? AND originator_version = 2",
                [key],
            )[0]["state"]
        )
        state[-5] ^= 0x01
        raw.run(
            "UPDATE {events} SET state = ? WHERE originator_id = ? AND originator_version = 2",
            [bytes(state), key],
        )
        code, output = incremental(settings, kept[0])
        assert code == 1
        assert f"child {ids[4][:8]} v2" in output
        assert "stored event bytes changed" in output

    def test_new_leaves_cut_off_below_a_later_checkpoint(
        self, store: Store, kept: tuple[Path, list[str]]
    ) -> None:
        settings, _, raw = store
        raw.run("DELETE FROM {p}ledger_leaves WHERE leaf_index >= 20")
        code, output = incremental(settings, kept[0])
        assert code == 1
        assert "stored event has no audit leaf" in output or "truncated" in output

    def test_a_new_inner_node_changed(self, store: Store, kept: tuple[Path, list[str]]) -> None:
        settings, _, raw = store
        raw.run("UPDATE {p}ledger_nodes SET hash = ? WHERE level = 1 AND idx = 9", [b"\0" * 32])
        code, output = incremental(settings, kept[0])
        assert code == 1
        assert "tree node at level 1, index 9" in output
        assert "does not match the nodes below it" in output

    def test_a_new_childs_head_rolled_back(
        self, store: Store, kept: tuple[Path, list[str]]
    ) -> None:
        settings, _, raw = store
        raw.run("UPDATE {p}ledger_heads SET version = 1 WHERE child_id = ?", [kept[1][4]])
        code, output = incremental(settings, kept[0])
        assert code == 1
        assert f"child {kept[1][4][:8]}" in output


class TestTamperUnderTheKeptCheckpoint:
    def test_the_kept_tree_rewritten(self, store: Store, kept: tuple[Path, list[str]]) -> None:
        settings, _, raw = store
        # 15 leaves: the perfect subtrees are (3, 0), (2, 2), (1, 6), (0, 14).
        raw.run("UPDATE {p}ledger_nodes SET hash = ? WHERE level = 2 AND idx = 2", [b"\1" * 32])
        code, output = incremental(settings, kept[0])
        assert code == 1
        assert "checkpoint at size 15" in output
        assert "stored tree differs from the kept checkpoint" in output

    def test_the_last_old_leaf_of_a_child_written_since(
        self, store: Store, kept: tuple[Path, list[str]]
    ) -> None:
        """ids[0]'s v6 chains onto its v5, below the kept size: that leaf is proved."""
        settings, _, raw = store
        child = kept[1][0]
        raw.run(
            "UPDATE {p}ledger_leaves SET topic = 'forged' WHERE child_id = ? AND version = 5",
            [child],
        )
        code, output = incremental(settings, kept[0])
        assert code == 1
        assert f"child {child[:8]} v5" in output
        assert "not in its tree" in output

    def test_an_untouched_childs_head_changed(
        self, store: Store, kept: tuple[Path, list[str]]
    ) -> None:
        settings, _, raw = store
        child = kept[1][1]  # written only before the kept checkpoint
        raw.run("UPDATE {p}ledger_heads SET version = 2 WHERE child_id = ?", [child])
        code, output = incremental(settings, kept[0])
        assert code == 1
        assert "child heads differ from the kept checkpoint" in output

    def test_a_checkpoint_from_another_log_key(
        self, store: Store, kept: tuple[Path, list[str]], tmp_path: Path
    ) -> None:
        settings, _, _ = store
        other = tmp_path / "other"
        create_key_pair(other, LOG_KEY)
        ledger = open_ledger(store[1], settings)
        # The ledger refuses to sign with another key (SignerChanged): the forger signs
        # the log's true head with it by hand.
        with pytest.raises(SignerChanged):
            ledger.create_checkpoint(load_private(key_paths(other, LOG_KEY).private), "x")
        true_head, _ = parse(
            ledger.create_checkpoint(
                load_private(key_paths(settings.keys_dir, LOG_KEY).private), settings.log_origin
            )
        )
        forged = cp_sign(
            true_head, load_private(key_paths(other, LOG_KEY).private), settings.log_origin
        )
        store[2].run("DELETE FROM {p}ledger_checkpoints WHERE size = 32")  # kept only in a file
        path = tmp_path / "forged.checkpoint"
        path.write_text(forged)
        code, output = incremental(settings, path)
        assert code == 1
        assert "checkpoint at size 32: checkpoint is not signed by the log key" in output


def test_the_function_fails_closed_on_an_unreadable_store(store: Store) -> None:
    settings, records, raw = store
    three_children(records)
    note = sign(store)
    raw.run("DROP TABLE {p}ledger_heads")
    ledger = open_ledger(records, settings)
    public = load_public(key_paths(settings.keys_dir, LOG_KEY).public)
    with pytest.raises(AuditError) as caught:
        audit_since(ledger, note, log_key=public, key_name=settings.log_origin, workers=0)
    assert caught.value.where in {"store", "checkpoint at size 15"}
