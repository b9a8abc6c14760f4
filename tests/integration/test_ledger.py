"""The tamper-evident ledger on SQLite and PostgreSQL: a clean store audits clean, and
every kind of tampering an attacker with database access could try is named by
`sendtrail audit`."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import cast
from uuid import UUID

import pytest
from typer.testing import CliRunner

from api.bootstrap import open_ledger, open_records
from api.cli import app as cli
from api.settings import Settings
from domain import commands as cmd
from domain.application import ChildRecords
from domain.errors import VersionConflict
from ledger.framing import SALT_KEY, canonical_plaintext, commit, parse, sealed_frame
from ledger.keys import LOG_KEY, create_key_pair, key_paths, load_private
from ledger.mapper import CommittingMapper
from tests.factories import PRACTITIONER, fixed_clock, on, register
from tests.integration.ledger_tamper import RawStore
from tests.support.audit import _env, run_audit, three_children


@pytest.fixture
def store(settings: Settings) -> Iterator[tuple[Settings, ChildRecords, RawStore]]:
    create_key_pair(settings.keys_dir, LOG_KEY)
    records = open_records(settings, clock=fixed_clock)
    yield settings, records, RawStore(settings)
    records.close()


def checkpoint(settings: Settings) -> str:
    result = CliRunner().invoke(cli, ["checkpoint"], env=_env(settings))
    assert result.exit_code == 0, result.output
    return result.output


def plaintext(records: ChildRecords, child_id: str, version: int) -> bytes:
    """The decrypted payload JSON of one stored event (salt included)."""
    stored = records.recorder.select_events(UUID(child_id), gt=version - 1, lte=version)[0]
    return cast(CommittingMapper, records.mapper).payload(stored)


class TestCleanLedger:
    def test_a_clean_store_passes_with_a_summary(
        self, store: tuple[Settings, ChildRecords, RawStore]
    ) -> None:
        settings, records, _ = store
        three_children(records)
        checkpoint(settings)
        code, output = run_audit(settings)
        assert code == 0, output
        assert "AUDIT OK: 15 leaves, 3 children, 1 checkpoints verified" in output

    def test_leaves_are_contiguous_chained_and_time_ordered(
        self, store: tuple[Settings, ChildRecords, RawStore]
    ) -> None:
        settings, records, raw = store
        ids = three_children(records)
        rows = raw.run("SELECT * FROM {p}ledger_leaves ORDER BY leaf_index")
        assert [r["leaf_index"] for r in rows] == list(range(15))
        assert [r["recorded_at"] for r in rows] == sorted(r["recorded_at"] for r in rows)
        ledger = open_ledger(records, settings)
        chain = ledger.leaves(ids[1])
        assert [leaf.version for leaf in chain] == [1, 2, 3, 4, 5]
        assert chain[0].prev == "0" * 64
        for before, after in itertools.pairwise(chain):
            assert after.prev == before.hash().hex()

    def test_the_leaf_commits_to_the_stored_bytes_and_salted_plaintext(
        self, store: tuple[Settings, ChildRecords, RawStore]
    ) -> None:
        _, records, raw = store
        ids = three_children(records)
        row = raw.run(
            "SELECT state FROM {events} WHERE originator_id = ? AND originator_version = 2",
            [raw.child_key(ids[0])],
        )[0]
        state = bytes(row["state"])
        leaf = raw.run(
            "SELECT * FROM {p}ledger_leaves WHERE child_id = ? AND version = 2", [ids[0]]
        )[0]
        assert hashlib.sha256(state).hexdigest() == leaf["state_sha256"]
        sealed = parse(state)
        assert sealed.sealed  # the payload is encrypted: only the key opens it
        decoded = json.loads(plaintext(records, ids[0], 2))
        assert commit(bytes.fromhex(decoded[SALT_KEY]), canonical_plaintext(decoded)) == (
            sealed.commitment
        )
        assert sealed.commitment.hex() == leaf["commitment"]

    def test_checkpoint_root_matches_proofs(
        self, store: tuple[Settings, ChildRecords, RawStore]
    ) -> None:
        from ledger import checkpoint as cp
        from ledger.keys import load_public
        from ledger.merkle import verify_consistency, verify_inclusion

        settings, records, _ = store
        ledger = open_ledger(records, settings)
        three_children(records)
        old = cp.verify(
            checkpoint(settings),
            load_public(key_paths(settings.keys_dir, LOG_KEY).public),
            settings.log_origin,
        )
        three_children(records)
        new_note = ledger.create_checkpoint(
            load_private(key_paths(settings.keys_dir, LOG_KEY).private), settings.log_origin
        )
        new = cp.parse(new_note)[0]
        assert (old.size, new.size) == (15, 30)
        verify_consistency(15, 30, old.root, new.root, ledger.consistency_proof(15, 30))
        for leaf in list(ledger.iter_leaves())[::7]:
            verify_inclusion(
                leaf.hash(), leaf.index, 30, ledger.inclusion_proof(leaf.index, 30), new.root
            )


class TestTamperMatrix:
    """Each attack, done with raw SQL, is named by `sendtrail audit` (exit 1)."""

    def _prepared(self, store: tuple[Settings, ChildRecords, RawStore]) -> list[str]:
        settings, records, _ = store
        ids = three_children(records)
        checkpoint(settings)
        return ids

    def test_one_byte_of_a_stored_event_changed(
        self, store: tuple[Settings, ChildRecords, RawStore]
    ) -> None:
        settings, _, raw = store
        ids = self._prepared(store)
        key = raw.child_key(ids[1])
        state = bytearray(
            raw.run(
                "SELECT state FROM {events} WHERE originator_id = ? AND originator_version = 3",
                [key],
            )[0]["state"]
        )
        state[-5] ^= 0x01
        raw.run(
            "UPDATE {events} SET state = ? WHERE originator_id = ? AND originator_version = 3",
            [bytes(state), key],
        )
        code, output = run_audit(settings)
        assert code == 1
        assert f"child {ids[1][:8]} v3" in output
        assert "stored event bytes changed" in output

    def test_an_event_deleted(self, store: tuple[Settings, ChildRecords, RawStore]) -> None:
        settings, _, raw = store
        ids = self._prepared(store)
        raw.run(
            "DELETE FROM {events} WHERE originator_id = ? AND originator_version = 4",
            [raw.child_key(ids[0])],
        )
        code, output = run_audit(settings)
        assert code == 1
        assert f"child {ids[0][:8]} v4" in output
        assert "stored event missing (deleted)" in output

    def test_two_events_swapped(self, store: tuple[Settings, ChildRecords, RawStore]) -> None:
        settings, _, raw = store
        ids = self._prepared(store)
        key = raw.child_key(ids[2])
        raw.run(
            "UPDATE {events} SET originator_version = -3 WHERE originator_id = ? "
            "AND originator_version = 3",
            [key],
        )
        raw.run(
            "UPDATE {events} SET originator_version = 3 WHERE originator_id = ? "
            "AND originator_version = 4",
            [key],
        )
        raw.run(
            "UPDATE {events} SET originator_version = 4 WHERE originator_id = ? "
            "AND originator_version = -3",
            [key],
        )
        code, output = run_audit(settings)
        assert code == 1
        assert "out of ledger order" in output or "stored event bytes changed" in output
        assert f"child {ids[2][:8]} v3" in output

    def test_an_event_inserted(self, store: tuple[Settings, ChildRecords, RawStore]) -> None:
        settings, _, raw = store
        ids = self._prepared(store)
        key = raw.child_key(ids[0])
        row = raw.run(
            "SELECT topic, state FROM {events} WHERE originator_id = ? AND originator_version = 5",
            [key],
        )[0]
        raw.run(
            "INSERT INTO {events} (originator_id, originator_version, topic, state) "
            "VALUES (?, 6, ?, ?)",
            [key, row["topic"], row["state"]],
        )
        code, output = run_audit(settings)
        assert code == 1
        assert "stored event has no audit leaf" in output
        assert f"child {ids[0][:8]} v6" in output

    def test_the_last_events_of_one_child_removed(
        self, store: tuple[Settings, ChildRecords, RawStore]
    ) -> None:
        settings, _, raw = store
        ids = self._prepared(store)
        # ids[2]'s last two events are the last two leaves (13, 14): remove every trace.
        raw.run(
            "DELETE FROM {events} WHERE originator_id = ? AND originator_version > 3",
            [raw.child_key(ids[2])],
        )
        raw.run("DELETE FROM {p}ledger_leaves WHERE leaf_index >= 13")
        raw.run(
            "DELETE FROM {p}ledger_nodes WHERE (level = 0 AND idx >= 13) OR "
            "(level = 1 AND idx >= 6) OR (level = 2 AND idx >= 3)"
        )
        code, output = run_audit(settings)
        assert code == 1
        assert f"child {ids[2][:8]}" in output
        assert "head says v5 but the chain ends at v3 (tail truncated)" in output
        # Even with the head rewritten too, the signed checkpoint still catches it.
        leaf = raw.run("SELECT * FROM {p}ledger_leaves WHERE leaf_index = 12")[0]
        from ledger.log import row_to_leaf

        raw.run(
            "UPDATE {p}ledger_heads SET version = 3, leaf_index = 12, leaf_hash = ? "
            "WHERE child_id = ?",
            [row_to_leaf(leaf).hash().hex(), ids[2]],
        )
        code, output = run_audit(settings)
        assert code == 1
        assert "log truncated: signed at 15 leaves, now 13" in output

    def test_an_audit_row_edited_to_match_an_edited_event(
        self, store: tuple[Settings, ChildRecords, RawStore]
    ) -> None:
        settings, records, raw = store
        ids = self._prepared(store)
        key = raw.child_key(ids[1])
        decoded = json.loads(plaintext(records, ids[1], 3))
        decoded["notes"] = "rewritten by someone who knows the format and holds the key"
        new_payload = json.dumps(decoded).encode()
        new_commitment = commit(bytes.fromhex(decoded[SALT_KEY]), canonical_plaintext(decoded))
        mapper = cast(CommittingMapper, records.mapper)
        assert mapper.keys is not None
        topic = "domain.events:ObservationRecorded"
        body = mapper.keys.seal(UUID(ids[1]), 3, topic, new_commitment, new_payload)
        new_state = sealed_frame(new_commitment, body)
        raw.run(
            "UPDATE {events} SET state = ? WHERE originator_id = ? AND originator_version = 3",
            [new_state, key],
        )
        raw.run(
            "UPDATE {p}ledger_leaves SET state_sha256 = ?, commitment = ? "
            "WHERE child_id = ? AND version = 3",
            [hashlib.sha256(new_state).hexdigest(), new_commitment.hex(), ids[1]],
        )
        code, output = run_audit(settings)
        assert code == 1
        assert f"child {ids[1][:8]} v3" in output
        assert "leaf hash differs from the stored Merkle log (audit row altered)" in output

    def test_a_checkpoint_with_a_forged_signature(
        self, store: tuple[Settings, ChildRecords, RawStore]
    ) -> None:
        settings, _, raw = store
        self._prepared(store)
        note = raw.run("SELECT note FROM {p}ledger_checkpoints")[0]["note"]
        body, _, signature = note.partition("\n\n")
        name, blob = signature.split(" ")[1:3]
        import base64

        raw_sig = bytearray(base64.b64decode(blob))
        raw_sig[10] ^= 0x80
        forged = f"{body}\n\n\u2014 {name} {base64.b64encode(bytes(raw_sig)).decode()}\n"
        raw.run("UPDATE {p}ledger_checkpoints SET note = ?", [forged])
        code, output = run_audit(settings)
        assert code == 1
        assert "checkpoint at size 15: checkpoint signature is invalid" in output

    def test_a_record_time_moved_backwards(
        self, store: tuple[Settings, ChildRecords, RawStore]
    ) -> None:
        settings, _, raw = store
        ids = self._prepared(store)
        raw.run(
            "UPDATE {p}ledger_leaves SET recorded_at = '2020-01-01T00:00:00.000000Z' "
            "WHERE child_id = ? AND version = 2",
            [ids[1]],
        )
        code, output = run_audit(settings)
        assert code == 1
        assert f"child {ids[1][:8]} v2" in output
        assert "record time moved backwards" in output

    def test_a_checkpoint_kept_elsewhere_catches_a_rewritten_history(
        self, store: tuple[Settings, ChildRecords, RawStore], tmp_path: Path
    ) -> None:
        settings, _, raw = store
        self._prepared(store)
        kept = tmp_path / "kept.checkpoint"
        kept.write_text(raw.run("SELECT note FROM {p}ledger_checkpoints")[0]["note"])
        # The attacker deletes the stored checkpoints and everything from leaf 10 on.
        raw.run("DELETE FROM {p}ledger_checkpoints")
        code, output = run_audit(settings, "--since-checkpoint", str(kept))
        assert code == 0, output
        raw.run("DELETE FROM {p}ledger_leaves WHERE leaf_index >= 10")
        code, output = run_audit(settings, "--since-checkpoint", str(kept))
        assert code == 1
        assert "stored event has no audit leaf" in output or "truncated" in output


class TestAtomicity:
    def test_a_failed_event_write_leaves_no_audit_row(
        self, store: tuple[Settings, ChildRecords, RawStore]
    ) -> None:
        _, records, raw = store
        child = register(records)
        before = raw.run("SELECT COUNT(*) AS n FROM {p}ledger_leaves")[0]["n"]
        stale = open_records(store[0], clock=fixed_clock)
        try:
            loaded = stale.get_child(child.child_id)
            records.handle(
                child.child_id,
                cmd.RecordObservation(area="physical", notes="first", observer="KP"),
                on(date(2025, 2, 1), PRACTITIONER),
            )
            loaded.record_observation(
                on(date(2025, 2, 1), PRACTITIONER).seal(now=fixed_clock(), skew=stale.skew),
                area="physical",
                notes="second",
                observer="KP",
            )
            with pytest.raises(Exception, match=r"(?i)integrity|unique|duplicate"):
                stale.save(loaded)  # same version as the first write: the insert fails
        finally:
            stale.close()
        after = raw.run("SELECT COUNT(*) AS n FROM {p}ledger_leaves")[0]["n"]
        assert after == before + 1

    def test_a_failed_audit_write_leaves_no_event(
        self, store: tuple[Settings, ChildRecords, RawStore]
    ) -> None:
        settings, records, raw = store
        child = register(records)
        if raw.is_sqlite:
            raw.run(
                "CREATE TRIGGER refuse BEFORE INSERT ON ledger_leaves "
                "BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
            )
        else:
            raw.run(
                f'CREATE FUNCTION "{raw.schema}".refuse() RETURNS trigger AS $$ BEGIN '
                "RAISE EXCEPTION 'audit refused'; END $$ LANGUAGE plpgsql"
            )
            raw.run(
                "CREATE TRIGGER refuse BEFORE INSERT ON {p}ledger_leaves "
                f'FOR EACH ROW EXECUTE FUNCTION "{raw.schema}".refuse()'
            )
        with pytest.raises(Exception, match="audit refused"):
            records.handle(
                child.child_id,
                cmd.RecordObservation(area="physical", notes="never stored", observer="KP"),
                on(date(2025, 2, 1), PRACTITIONER),
                expected_version=1,
            )
        assert len(records.history(child.child_id)) == 1
        events = raw.run("SELECT COUNT(*) AS n FROM {events}")[0]["n"]
        assert events == 1
        raw.run(
            "DROP TRIGGER refuse" if raw.is_sqlite else "DROP TRIGGER refuse ON {p}ledger_leaves"
        )
        assert (
            records.handle(
                child.child_id,
                cmd.RecordObservation(area="physical", notes="now stored", observer="KP"),
                on(date(2025, 2, 1), PRACTITIONER),
                expected_version=1,
            )
            == 2
        )
        create_key = key_paths(settings.keys_dir, LOG_KEY)
        assert create_key.private.exists()
        code, output = run_audit(settings)
        assert code == 0, output

    def test_a_refused_command_writes_nothing_at_all(
        self, store: tuple[Settings, ChildRecords, RawStore]
    ) -> None:
        _, records, raw = store
        child = register(records)
        with pytest.raises(VersionConflict):
            records.handle(
                child.child_id,
                cmd.RecordObservation(area="physical", notes="x", observer="KP"),
                on(date(2025, 2, 1), PRACTITIONER),
                expected_version=7,
            )
        assert raw.run("SELECT COUNT(*) AS n FROM {p}ledger_leaves")[0]["n"] == 1
