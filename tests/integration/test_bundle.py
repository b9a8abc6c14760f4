"""Evidence bundles: round trip, determinism, independent tools, and a tamper matrix in
which every attack fails verification with its own reason."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import bagit
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain import commands as cmd
from exporters import dsse
from exporters.archive import read_zip, write_zip
from exporters.bundle import Bundle
from exporters.verify import VerificationError, verify_bundle
from ledger.keys import EXPORTER_KEY, key_paths, load_public
from tests.factories import PARENT, register, with_parent
from tests.support.bundles import Store, make_store, resign

TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    made = make_store(tmp_path_factory.mktemp("bundle") / "data")
    yield made
    made.records.close()


@pytest.fixture(scope="module")
def ehc_bundle(store: Store) -> Bundle:
    return store.bundle(store.children[4])  # the archetype that reaches an EHC request


def files_of(bundle: Bundle) -> dict[str, bytes]:
    return read_zip(bundle.content)


def exporter_key(store: Store) -> Ed25519PrivateKey:
    return store.exporter.keys.exporter


def fails(data: bytes, store: Store, later_checkpoint: str | None = None) -> VerificationError:
    with pytest.raises(VerificationError) as error:
        verify_bundle(
            data,
            key=store.exporter.keys.exporter.public_key(),
            log_key=store.exporter.keys.log_public,
            later_checkpoint=later_checkpoint,
        )
    return error.value


class TestRoundTrip:
    def test_every_demo_child_exports_and_verifies(self, store: Store) -> None:
        for child in store.children:
            bundle = store.bundle(child)
            result = verify_bundle(
                bundle.content,
                key=exporter_key(store).public_key(),
                log_key=store.exporter.keys.log_public,
            )
            assert result.child_id == str(child)
            assert result.entries_admitted == result.entries_listed == bundle.listed
            assert result.keys_from_bundle is False

    def test_the_same_request_gives_the_same_bytes(self, store: Store) -> None:
        child = store.children[3]
        first = store.bundle(child, known_at=datetime(2026, 6, 1, tzinfo=UTC))
        second = store.bundle(child, known_at=datetime(2026, 6, 1, tzinfo=UTC))
        assert first.content == second.content
        assert first.sha256 == hashlib.sha256(second.content).hexdigest()

    def test_as_of_and_known_at_bundles_hold_exactly_the_admitted_events(
        self, store: Store
    ) -> None:
        child = store.children[4]
        entries = store.exporter.views.timeline.entries(child)
        known_at = entries[len(entries) // 2].recorded_at  # half the record known by then
        as_of = (known_at - timedelta(days=30)).date()  # and a month earlier in the world
        bundle = store.bundle(child, as_of=as_of, known_at=known_at)
        lines = [json.loads(x) for x in files_of(bundle)["data/events.jsonl"].splitlines()]
        with_content = [x["leaf"]["version"] for x in lines if x["stored"]]
        expected = [
            e.version for e in store.exporter.views.admitted(child, as_of=as_of, known_at=known_at)
        ]
        assert with_content == expected
        assert 0 < len(expected) < len(lines)
        assert {x["not_admitted_because"] for x in lines if not x["admitted"]} <= {
            "outside as_of",
            "recorded after known_at",
        }
        verify_bundle(bundle.content)

    def test_a_dispute_is_in_a_bundle_only_from_its_own_date(self, store: Store) -> None:
        child = with_parent(register(store.records))
        observed = child.do(
            cmd.RecordObservation,
            date(2025, 6, 2),
            area="communication_language",
            notes="Few words",
            observer="KP",
        )
        disputed = child.do(
            cmd.Dispute,
            date(2025, 6, 9),
            PARENT,
            target_version=observed,
            person_id="parent-1",
            comment="He talks at home",
        )
        mark = child.do(
            cmd.MarkMistaken, date(2025, 6, 10), target_version=observed, reason="Wrong child"
        )

        def stored(day: date) -> dict[int, str | None]:
            bundle = store.bundle(child.child_id, as_of=day)
            verify_bundle(bundle.content)
            lines = [json.loads(x) for x in files_of(bundle)["data/events.jsonl"].splitlines()]
            return {x["leaf"]["version"]: x["not_admitted_because"] for x in lines}

        june_8 = stored(date(2025, 6, 8))
        assert june_8[disputed] == "outside as_of"
        assert june_8[observed] is None
        assert june_8[mark] is None  # a mark restates its target's date
        assert stored(date(2025, 6, 9))[disputed] is None


class TestIndependentTools:
    def test_the_bagit_library_validates_the_bag(self, ehc_bundle: Bundle, tmp_path: Path) -> None:
        with zipfile.ZipFile(io.BytesIO(ehc_bundle.content)) as archive:
            archive.extractall(tmp_path)
        bag_ = bagit.Bag(str(tmp_path))
        bag_.validate()
        assert bag_.is_valid()

    def test_sha256sum_and_openssl_and_the_verify_txt_recipes(
        self, ehc_bundle: Bundle, tmp_path: Path, store: Store
    ) -> None:
        with zipfile.ZipFile(io.BytesIO(ehc_bundle.content)) as archive:
            archive.extractall(tmp_path)
        for manifest in ("manifest-sha256.txt", "tagmanifest-sha256.txt"):
            run = subprocess.run(
                ["sha256sum", "-c", manifest],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                check=False,
            )
            assert run.returncode == 0, run.stdout + run.stderr
        envelope = json.loads((tmp_path / "signatures/bundle.dsse.json").read_text())
        body = base64.b64decode(envelope["payload"])
        (tmp_path / "pae.bin").write_bytes(dsse.pae(envelope["payloadType"], body))
        (tmp_path / "sig.bin").write_bytes(base64.b64decode(envelope["signatures"][0]["sig"]))
        pem = key_paths(store.settings.keys_dir, EXPORTER_KEY).public
        run = subprocess.run(
            [
                "openssl",
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                str(pem),
                "-rawin",
                "-in",
                "pae.bin",
                "-sigfile",
                "sig.bin",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert "Signature Verified Successfully" in run.stdout, run.stdout + run.stderr
        # VERIFY.txt's own recipes, run as printed: tests/integration/test_verify_recipes.py
        bad = (tmp_path / "data/readiness.json").read_bytes().replace(b"met", b"MET", 1)
        (tmp_path / "data/readiness.json").write_bytes(bad)
        run = subprocess.run(
            ["sha256sum", "-c", "manifest-sha256.txt"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode != 0


class TestTamperMatrix:
    def test_one_byte_changed_in_any_file(self, ehc_bundle: Bundle, store: Store) -> None:
        files = files_of(ehc_bundle)
        for name in sorted(files):
            changed = dict(files)
            content = bytearray(changed[name])
            content[len(content) // 2] ^= 0x01
            changed[name] = bytes(content)
            error = fails(write_zip(changed), store)
            assert error.reason, name
            if name.startswith("data/"):
                assert (error.where, error.reason) == (
                    name,
                    "file changed (SHA-256 differs from the manifest)",
                )

    def test_a_file_removed(self, ehc_bundle: Bundle, store: Store) -> None:
        files = files_of(ehc_bundle)
        del files["data/readiness.json"]
        error = fails(write_zip(files), store)
        assert (error.where, error.reason) == (
            "data/readiness.json",
            "file listed in the manifest is missing",
        )

    def test_a_file_added(self, ehc_bundle: Bundle, store: Store) -> None:
        files = files_of(ehc_bundle)
        files["data/extra-evidence.txt"] = b"trust me"
        error = fails(write_zip(files), store)
        assert (error.where, error.reason) == (
            "data/extra-evidence.txt",
            "file added (not in manifest-sha256.txt)",
        )

    def test_two_events_swapped_even_when_re_signed(self, ehc_bundle: Bundle, store: Store) -> None:
        files = files_of(ehc_bundle)
        lines = files["data/events.jsonl"].splitlines(keepends=True)
        lines[5], lines[6] = lines[6], lines[5]
        files["data/events.jsonl"] = b"".join(lines)
        error = fails(resign(files, exporter_key(store)), store)
        assert "v7 (line 6)" in error.where
        assert "missing, added or reordered" in error.reason

    def test_an_event_dropped_from_the_middle_even_when_re_signed(
        self, ehc_bundle: Bundle, store: Store
    ) -> None:
        files = files_of(ehc_bundle)
        lines = files["data/events.jsonl"].splitlines(keepends=True)
        files["data/events.jsonl"] = b"".join(lines[:10] + lines[11:])
        error = fails(resign(files, exporter_key(store)), store)
        assert "line 11" in error.where
        assert "expected v11" in error.reason

    def test_the_tail_left_out_even_when_re_signed(self, ehc_bundle: Bundle, store: Store) -> None:
        files = files_of(ehc_bundle)
        lines = files["data/events.jsonl"].splitlines(keepends=True)
        files["data/events.jsonl"] = b"".join(lines[:-2])
        error = fails(resign(files, exporter_key(store)), store)
        assert error.where == "data/audit/child-head.json"
        assert "tail left out" in error.reason

    def test_an_event_edited_even_when_re_signed(self, ehc_bundle: Bundle, store: Store) -> None:
        files = files_of(ehc_bundle)
        lines = files["data/events.jsonl"].splitlines(keepends=True)
        line = json.loads(lines[3])
        line["event"]["notes"] = "rewritten"
        lines[3] = json.dumps(line).encode() + b"\n"
        files["data/events.jsonl"] = b"".join(lines)
        error = fails(resign(files, exporter_key(store)), store)
        assert "v4" in error.where
        # The stored bytes are ciphertext: the salted commitment is what catches the edit.
        assert error.reason == "event does not match its commitment (content changed)"

    def test_the_signature_replaced(self, ehc_bundle: Bundle, store: Store) -> None:
        files = files_of(ehc_bundle)
        forged = resign(files, Ed25519PrivateKey.generate())
        error = fails(forged, store)
        assert (error.where, error.reason) == (
            "signatures/bundle.dsse.json",
            "no signature by the expected key",
        )

    def test_a_wrong_key_given(self, ehc_bundle: Bundle, store: Store) -> None:
        with pytest.raises(VerificationError) as error:
            verify_bundle(ehc_bundle.content, key=Ed25519PrivateKey.generate().public_key())
        assert error.value.reason == "no signature by the expected key"

    def test_a_proof_from_another_tree(
        self, ehc_bundle: Bundle, store: Store, tmp_path: Path
    ) -> None:
        other = make_store(tmp_path / "other", seed=99, keys_from=store.settings.keys_dir)
        try:
            foreign = files_of(other.bundle(other.children[4]))
        finally:
            other.records.close()
        files = files_of(ehc_bundle)
        mine = files["data/events.jsonl"].splitlines(keepends=True)
        theirs = [json.loads(x) for x in foreign["data/events.jsonl"].splitlines()]
        line = json.loads(mine[2])
        line["inclusion_proof"] = theirs[2]["inclusion_proof"]
        mine[2] = json.dumps(line).encode() + b"\n"
        files["data/events.jsonl"] = b"".join(mine)
        error = fails(resign(files, exporter_key(store)), store)
        assert "v3" in error.where
        assert error.reason == "not in the signed log (inclusion proof fails)"

    def test_a_checkpoint_not_consistent_with_a_later_one(
        self, ehc_bundle: Bundle, store: Store, tmp_path: Path
    ) -> None:
        # A fork: the same log key signs a different history (e.g. a restored, edited copy).
        fork = make_store(tmp_path / "fork", seed=8, keys_from=store.settings.keys_dir)
        try:
            for child in fork.children[:2]:
                fork.bundle(child)  # grows the fork's log
            log_key = fork.exporter.keys.log_private
            assert log_key is not None
            note = fork.exporter.ledger.create_checkpoint(log_key, fork.settings.log_origin)
            size = int(note.split("\n")[1])
            proof = fork.exporter.ledger.consistency_proof(ehc_bundle.checkpoint_size, size)
        finally:
            fork.records.close()
        later = (
            note
            + f"consistency-proof {ehc_bundle.checkpoint_size}\n"
            + "\n".join(h.hex() for h in proof)
        )
        error = fails(ehc_bundle.content, store, later_checkpoint=later)
        assert error.where == "later checkpoint"
        assert "not consistent" in error.reason

    def test_a_consistent_later_checkpoint_passes(self, ehc_bundle: Bundle, store: Store) -> None:
        ledger = store.exporter.ledger
        log_key = store.exporter.keys.log_private
        assert log_key is not None
        store.records.handle(
            store.children[0],
            cmd.RecordObservation(area="physical", notes="later", observer="KP"),
            __import__("tests.factories", fromlist=["on"]).on(date(2026, 11, 1)),
        )
        note = ledger.create_checkpoint(log_key, store.settings.log_origin)
        size = int(note.split("\n")[1])
        later = (
            note
            + f"consistency-proof {ehc_bundle.checkpoint_size}\n"
            + "\n".join(h.hex() for h in ledger.consistency_proof(ehc_bundle.checkpoint_size, size))
        )
        result = verify_bundle(ehc_bundle.content, later_checkpoint=later)
        assert result.later_checkpoint_size == size

    def test_a_truncated_zip(self, ehc_bundle: Bundle, store: Store) -> None:
        error = fails(ehc_bundle.content[: len(ehc_bundle.content) // 2], store)
        assert "not a readable zip" in error.reason

    def test_a_zip_bomb_is_refused_without_inflating_it(self, store: Store) -> None:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("data/bomb.txt", b"\0" * 50_000_000)
        error = fails(out.getvalue(), store)
        assert error.where == "data/bomb.txt"
        assert "zip bomb" in error.reason

    def test_a_path_traversal_entry_is_refused(self, ehc_bundle: Bundle, store: Store) -> None:
        files = files_of(ehc_bundle)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for name, content in files.items():
                archive.writestr(name, content)
            archive.writestr("../../etc/cron.d/evil", b"* * * * * root rm -rf /")
        error = fails(out.getvalue(), store)
        assert error.where == "../../etc/cron.d/evil"
        assert "unsafe path" in error.reason


def test_key_files_are_what_the_verifier_reads(store: Store) -> None:
    pem = key_paths(store.settings.keys_dir, EXPORTER_KEY).public
    assert dsse.key_id(load_public(pem)) == dsse.key_id(exporter_key(store).public_key())
