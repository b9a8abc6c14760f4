"""Per-child encryption on SQLite and PostgreSQL: every payload (events, snapshots, the
access log) is sealed under its own child's data key, and every way of getting the keys
or the ciphertext wrong fails loudly with a typed error, never with wrong data."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import cast
from uuid import UUID

import pytest

from api.bootstrap import Exporter, open_key_store, open_records, persistence_env
from api.erasure import ErasureRefused, erase_child
from api.settings import Settings
from domain import commands as cmd
from domain.access import access_log_id
from domain.application import ChildRecords
from ledger.framing import MAGIC_SEALED, NONCE_SIZE, parse, sealed_frame
from ledger.kek import new_kek, read_keks, write_keks
from ledger.key_errors import DataKeyMissing, KekError, PayloadRejected
from ledger.keys import LOG_KEY, create_key_pair
from ledger.log import LedgerBackend
from ledger.mapper import CommittingMapper
from tests.conftest import OpenStore
from tests.factories import PRACTITIONER, ChildBuilder, fixed_clock, on, register, with_parent
from tests.integration.ledger_tamper import RawStore
from tests.support.audit import run_audit

MARKER = "zebra-marker-7f3a"


def observed(child: ChildBuilder, notes: str, times: int = 3) -> ChildBuilder:
    for n in range(times):
        child.do(
            cmd.RecordObservation,
            date(2025, 1, 6 + n),
            PRACTITIONER,
            area="communication_language",
            notes=f"{notes} {n}",
            observer="Key person",
        )
    return child


def stored_state(raw: RawStore, child_id: UUID, version: int) -> bytes:
    row = raw.run(
        "SELECT state FROM {events} WHERE originator_id = ? AND originator_version = ?",
        [raw.child_key(str(child_id)), version],
    )[0]
    return bytes(row["state"])


def put_state(raw: RawStore, child_id: UUID, version: int, state: bytes) -> None:
    raw.run(
        "UPDATE {events} SET state = ? WHERE originator_id = ? AND originator_version = ?",
        [state, raw.child_key(str(child_id)), version],
    )


class TestSealedPayloads:
    def test_every_stored_event_is_an_encrypted_frame_without_the_plaintext(
        self, records: ChildRecords, settings: Settings
    ) -> None:
        child = observed(with_parent(register(records)), MARKER)
        raw = RawStore(settings)
        for version in range(1, child.version + 1):
            state = stored_state(raw, child.child_id, version)
            assert state.startswith(MAGIC_SEALED)
            assert MARKER.encode() not in state
            assert b"Testy" not in state  # the child's name
        # ...and the record still reads back whole.
        notes = [getattr(e, "notes", None) for e in records.history(child.child_id)]
        assert f"{MARKER} 2" in notes

    def test_the_commitment_in_front_is_the_one_of_the_decrypted_payload(
        self, records: ChildRecords, settings: Settings
    ) -> None:
        from ledger.framing import SALT_KEY, canonical_plaintext, commit

        child = observed(register(records), MARKER, times=1)
        stored = records.recorder.select_events(child.child_id, gt=1, lte=2)[0]
        payload = json.loads(cast(CommittingMapper, records.mapper).payload(stored))
        assert payload["notes"] == f"{MARKER} 0"
        assert commit(bytes.fromhex(payload[SALT_KEY]), canonical_plaintext(payload)) == (
            parse(stored.state).commitment
        )

    def test_each_child_and_its_access_log_have_their_own_data_key(
        self, records: ChildRecords
    ) -> None:
        first, second = register(records), register(records)
        records.note_access(
            first.child_id, user="u-1", role="senco", setting="test-setting", view="plan"
        )
        keys = open_key_store(records)
        assert keys.has_key(first.child_id)
        assert keys.has_key(second.child_id)
        assert keys.has_key(access_log_id(first.child_id))
        assert not keys.has_key(access_log_id(second.child_id))  # never viewed: no key yet
        a = keys.aead(first.child_id, create=False)
        b = keys.aead(second.child_id, create=False)
        assert a is not b
        log = records.recorder.select_events(access_log_id(first.child_id))
        assert [parse(e.state).sealed for e in log] == [True]
        assert [v.view for v in records.accesses(first.child_id)] == ["plan"]

    def test_snapshots_are_sealed_under_the_childs_key(self, tmp_path: Path) -> None:
        settings = Settings(data_dir=tmp_path / "data", snapshot_interval=4)
        records = open_records(settings, clock=fixed_clock)
        try:
            child = observed(register(records), MARKER, times=8)
            assert records.snapshots is not None
            snapshots = records.snapshots.recorder.select_events(child.child_id)
            assert [s.originator_version for s in snapshots] == [4, 8]
            for snapshot in snapshots:
                assert snapshot.state.startswith(MAGIC_SEALED)
                assert MARKER.encode() not in snapshot.state
            # A snapshot's ciphertext is bound to its topic: as an event it does not open.
            raw = RawStore(settings)
            put_state(raw, child.child_id, 4, snapshots[0].state)
            fresh = open_records(settings, clock=fixed_clock)
            try:
                with pytest.raises(PayloadRejected):
                    fresh.history(child.child_id)
            finally:
                fresh.close()
        finally:
            records.close()


class TestLoudFailures:
    def test_a_flipped_ciphertext_byte_is_rejected(
        self, open_store: OpenStore, settings: Settings
    ) -> None:
        child = observed(register(open_store()), MARKER)
        raw = RawStore(settings)
        state = bytearray(stored_state(raw, child.child_id, 3))
        state[-20] ^= 0x01
        put_state(raw, child.child_id, 3, bytes(state))
        with pytest.raises(PayloadRejected, match="v3"):
            open_store().history(child.child_id)

    def test_a_changed_commitment_in_the_clear_header_is_rejected(
        self, open_store: OpenStore, settings: Settings
    ) -> None:
        child = observed(register(open_store()), MARKER)
        raw = RawStore(settings)
        frame = parse(stored_state(raw, child.child_id, 2))
        forged = bytes([frame.commitment[0] ^ 1]) + frame.commitment[1:]
        put_state(raw, child.child_id, 2, sealed_frame(forged, frame.body))
        with pytest.raises(PayloadRejected):
            open_store().get_child(child.child_id)

    def test_a_ciphertext_moved_to_another_child_is_rejected(
        self, open_store: OpenStore, settings: Settings
    ) -> None:
        records = open_store()
        first, second = observed(register(records), "first"), observed(register(records), "2nd")
        raw = RawStore(settings)
        put_state(raw, second.child_id, 2, stored_state(raw, first.child_id, 2))
        reader = open_store()
        with pytest.raises(PayloadRejected):
            reader.history(second.child_id)
        assert len(reader.history(first.child_id)) == first.version  # the source is intact

    def test_ciphertexts_swapped_between_versions_of_one_child_are_rejected(
        self, open_store: OpenStore, settings: Settings
    ) -> None:
        child = observed(register(open_store()), MARKER)
        raw = RawStore(settings)
        v2, v3 = stored_state(raw, child.child_id, 2), stored_state(raw, child.child_id, 3)
        put_state(raw, child.child_id, 2, v3)
        put_state(raw, child.child_id, 3, v2)
        with pytest.raises(PayloadRejected, match="v2"):
            open_store().history(child.child_id)

    def test_a_truncated_sealed_frame_is_rejected(
        self, open_store: OpenStore, settings: Settings
    ) -> None:
        from eventsourcing.persistence import MapperDeserialisationError

        child = observed(register(open_store()), MARKER)
        raw = RawStore(settings)
        state = stored_state(raw, child.child_id, 2)
        put_state(raw, child.child_id, 2, state[: 35 + NONCE_SIZE + 3])
        with pytest.raises(MapperDeserialisationError, match="too short"):
            open_store().history(child.child_id)

    @pytest.mark.key_file
    def test_a_missing_data_key_is_named(self, open_store: OpenStore, settings: Settings) -> None:
        child = observed(register(open_store()), MARKER)
        register(open_store())  # the newest record keeps its key, so the store still opens
        with sqlite3.connect(settings.key_store_path) as db:
            db.execute("DELETE FROM data_keys WHERE originator_id = ?", [str(child.child_id)])
        reader = open_store()
        with pytest.raises(DataKeyMissing):
            reader.history(child.child_id)
        # Nor does a later write quietly start a new key: only a first event makes one.
        sealer = cast(CommittingMapper, reader.mapper).keys
        assert sealer is not None
        with pytest.raises(DataKeyMissing):
            sealer.seal(child.child_id, child.version + 1, "t:T", bytes(32), b"{}")

    def test_a_wrong_kek_file_refuses_to_open_the_store(
        self, records: ChildRecords, settings: Settings
    ) -> None:
        register(records)
        write_keks(settings.kek_path, {1: new_kek()})
        with pytest.raises(KekError, match="wrong KEK"):
            open_records(settings)

    def test_a_missing_kek_file_refuses_to_open_the_store(
        self, records: ChildRecords, settings: Settings
    ) -> None:
        register(records)
        settings.kek_path.unlink()
        with pytest.raises(KekError, match="missing"):
            open_records(settings)

    def test_a_kek_file_readable_by_others_is_refused(
        self, records: ChildRecords, settings: Settings
    ) -> None:
        assert settings.kek_path.stat().st_mode & 0o777 == 0o600
        settings.kek_path.chmod(0o644)
        with pytest.raises(KekError, match="readable by others"):
            open_records(settings)

    @pytest.mark.key_file
    def test_a_wrapped_key_copied_to_another_child_does_not_open(
        self, open_store: OpenStore, settings: Settings
    ) -> None:
        records = open_store()
        first, second = register(records), register(records)
        with sqlite3.connect(settings.key_store_path) as db:
            wrapped = db.execute(
                "SELECT wrapped FROM data_keys WHERE originator_id = ?", [str(first.child_id)]
            ).fetchone()[0]
            db.execute(
                "UPDATE data_keys SET wrapped = ? WHERE originator_id = ?",
                [wrapped, str(second.child_id)],
            )
        with pytest.raises(KekError, match="does not open"):
            open_store().history(second.child_id)

    def test_tampering_with_a_sealed_event_is_still_named_by_the_audit(
        self, records: ChildRecords, settings: Settings
    ) -> None:
        create_key_pair(settings.keys_dir, LOG_KEY)
        child = observed(register(records), MARKER)
        raw = RawStore(settings)
        state = bytearray(stored_state(raw, child.child_id, 3))
        state[-1] ^= 0x01
        put_state(raw, child.child_id, 3, bytes(state))
        code, output = run_audit(settings)
        assert code == 1
        assert "stored event bytes changed" in output


@pytest.mark.key_file
def test_the_kek_file_is_private_and_apart_from_the_event_store(
    records: ChildRecords, settings: Settings
) -> None:
    assert settings.kek_path.stat().st_mode & 0o777 == 0o600
    assert list(read_keks(settings.kek_path)) == [1]
    assert settings.key_store_path.stat().st_mode & 0o777 == 0o600
    assert settings.key_store_path != settings.sqlite_path


class TestWrittenBeforeEncryption:
    """Stores written before per-child encryption (clear ST1 frames) keep working."""

    @staticmethod
    def _clear_records(settings: Settings) -> ChildRecords:
        env = {k: v for k, v in persistence_env(settings).items() if k != "CIPHER_TOPIC"}
        return ChildRecords(env, clock=fixed_clock)

    def test_a_clear_record_reads_takes_sealed_events_and_cannot_be_shredded(
        self, settings: Settings
    ) -> None:
        create_key_pair(settings.keys_dir, LOG_KEY)
        old = self._clear_records(settings)
        before = observed(register(old), MARKER)
        old.close()
        records = open_records(settings, clock=fixed_clock)
        try:
            child = observed(ChildBuilder(records, before.child_id, before.version), "new", 1)
            frames = [parse(e.state).sealed for e in records.recorder.select_events(child.child_id)]
            assert frames == [False] * before.version + [True]
            reader = open_records(settings, clock=fixed_clock)
            assert [getattr(e, "notes", None) for e in reader.history(child.child_id)][-2:] == [
                f"{MARKER} 2",
                "new 0",
            ]
            reader.close()
            with pytest.raises(ErasureRefused, match="before per-child encryption"):
                erase_child(
                    records,
                    cast(LedgerBackend, records.recorder),
                    child.child_id,
                    draft=lambda _setting: on(date(2026, 11, 24)),
                    reason="test",
                )
            assert len(records.history(child.child_id)) == child.version  # nothing recorded
            code, output = run_audit(settings)
            assert code == 0, output
        finally:
            records.close()

    def test_a_bundle_with_clear_entries_checks_their_text_against_the_stored_bytes(
        self, tmp_path: Path
    ) -> None:
        from exporters.archive import read_zip
        from exporters.verify import VerificationError, verify_bundle
        from ledger.keys import EXPORTER_KEY
        from tests.support.bundles import resign

        settings = Settings(data_dir=tmp_path / "data")
        for name in (LOG_KEY, EXPORTER_KEY):
            create_key_pair(settings.keys_dir, name)
        old = self._clear_records(settings)
        before = observed(register(old), MARKER)
        old.close()
        records = open_records(settings)
        try:
            exporter = Exporter(records, settings, pdf=False)
            observed(ChildBuilder(records, before.child_id, before.version), "new", 1)
            bundle = exporter.export(before.child_id, as_of=None, known_at=None, reason=None)
            assert verify_bundle(bundle.content).entries_admitted == before.version + 1
            files = read_zip(bundle.content)
            lines = files["data/events.jsonl"].splitlines(keepends=True)
            line = json.loads(lines[1])  # v2: written in clear
            line["event"]["notes"] = "rewritten"
            lines[1] = json.dumps(line).encode() + b"\n"
            files["data/events.jsonl"] = b"".join(lines)
            with pytest.raises(VerificationError) as error:
                verify_bundle(resign(files, exporter.keys.exporter))
            assert error.value.reason == "event text differs from the stored bytes"
        finally:
            records.close()


class TestFirstKeysOfABatch:
    """An import registers many children in one save: their first data keys are made in
    one key-store write beforehand, each child still with its own durable key."""

    def test_each_child_of_an_imported_pupil_list_has_its_own_key_after_a_reopen(
        self, open_store: OpenStore, tmp_path: Path
    ) -> None:
        from api.importing.mapping import load_mapping
        from api.importing.run import Importer, run_import

        pupils = tmp_path / "pupils.csv"
        rows = ["Pupil ID,UPN,Forename,Surname,DOB,Year,SEN status,Primary need,Admission date"]
        rows += [f"P{n},,Test,Child{n},01/02/2021,R,K,SLCN,01/09/2024" for n in range(12)]
        pupils.write_text("\n".join(rows) + "\n")
        records = open_store()
        outcome = run_import(
            Importer(records, load_mapping("pupil-list"), pupils, user="u-1"), dry_run=False
        )
        assert not outcome.refused
        children = list(records.child_ids())
        assert len(children) == 12
        records.close()
        reopened = open_store()  # a new process: the keys must have been stored
        keys = open_key_store(reopened)
        sealed = {
            keys.aead(child, create=False).encrypt(b"\0" * 12, b"x", b"") for child in children
        }
        assert len(sealed) == 12  # twelve different keys
        assert sorted(reopened.get_child(c).family_name for c in children) == sorted(
            f"Child{n}" for n in range(12)
        )

    def test_an_erased_record_is_never_given_a_new_key(self, records: ChildRecords) -> None:
        gone = register(records).child_id
        keys = open_key_store(records)
        keys.destroy([gone])
        fresh = [UUID(int=n) for n in (1, 2)]
        keys.create_keys([gone, *fresh])
        assert not keys.has_key(gone)
        assert keys.is_erased(gone)
        assert all(keys.has_key(child) for child in fresh)
