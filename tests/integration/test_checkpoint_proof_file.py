"""`sendtrail checkpoint --proof-from N` (issue 18.5): its output stays a signed note on its
own, the proof goes to its own file, and `verify --checkpoint NOTE --consistency-proof
FILE` checks the bundle's log against the later one with both."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from domain import commands as cmd
from ledger import checkpoint as cp
from ledger.keys import LOG_KEY, key_paths, load_public
from tests.factories import on
from tests.support.bundles import Store, make_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    made = make_store(tmp_path_factory.mktemp("proof-file") / "data")
    yield made
    made.records.close()


def sendtrail(store: Store, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli, list(args), env={"SENDTRAIL_DATA": str(store.settings.data_dir), "COLUMNS": "300"}
    )
    return result.exit_code, result.stdout, result.stderr


def verify_later(store: Store, bundle: Path, note: Path, proof: Path) -> tuple[int, str]:
    args = ("verify", str(bundle), "--checkpoint", str(note), "--consistency-proof", str(proof))
    code, out, _ = sendtrail(store, *args)
    return code, out


@pytest.fixture(scope="module")
def later(store: Store, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A bundle, then a later entry, then a checkpoint with the proof from the bundle's."""
    folder = tmp_path_factory.mktemp("files")
    bundle = store.bundle(store.children[3])
    (folder / "bundle.zip").write_bytes(bundle.content)
    store.records.handle(
        store.children[0],
        cmd.RecordObservation(area="physical", notes="later still", observer="KP"),
        on(date(2026, 11, 22)),
    )
    proof = folder / "proof.json"
    code, out, err = sendtrail(
        store, "checkpoint", "--proof-from", str(bundle.checkpoint_size), "--proof-out", str(proof)
    )
    assert code == 0, err
    assert str(proof) in err
    (folder / "later.txt").write_text(out)
    return folder / "bundle.zip", folder / "later.txt", proof


def test_the_output_is_a_signed_note_and_nothing_else(
    store: Store, later: tuple[Path, ...]
) -> None:
    _, note_file, proof_file = later
    note = note_file.read_text()
    log = load_public(key_paths(store.settings.keys_dir, LOG_KEY).public)
    head = cp.verify(note, log, note.split("\n", 1)[0])
    assert "consistency-proof" not in note
    assert note.endswith("\n")
    proof = json.loads(proof_file.read_text())
    assert proof["new_size"] == head.size
    assert proof["proof"]  # a later tree needs at least one hash


def test_verify_checks_the_bundle_against_the_later_checkpoint(
    store: Store, later: tuple[Path, ...]
) -> None:
    bundle, note, proof = later
    code, out = verify_later(store, bundle, note, proof)
    assert code == 0, out
    size = json.loads(proof.read_text())["new_size"]
    assert f"consistent with the later checkpoint of {size} entries" in " ".join(out.split())


def test_a_tampered_proof_or_a_proof_to_another_size_fails(
    store: Store, later: tuple[Path, ...], tmp_path: Path
) -> None:
    bundle, note, proof = later
    document = json.loads(proof.read_text())
    flipped = dict(document, proof=[*document["proof"][:-1], "00" * 32])
    other_size = dict(document, new_size=document["new_size"] + 1)
    for number, bad in enumerate((flipped, other_size)):
        path = tmp_path / f"bad-{number}.json"
        path.write_text(json.dumps(bad))
        code, out = verify_later(store, bundle, note, path)
        assert code == 1, out
        assert "NOT VERIFIED" in out
    code, out, _ = sendtrail(store, "verify", str(bundle), "--consistency-proof", str(proof))
    assert code == 1
    assert "give --checkpoint too" in out


def test_the_proof_under_its_default_name_beside_the_checkpoint_is_found(
    store: Store, later: tuple[Path, ...], tmp_path: Path
) -> None:
    bundle, note, proof = later
    beside = tmp_path / "later.txt"
    beside.write_text(note.read_text())
    code, out, _ = sendtrail(store, "verify", str(bundle), "--checkpoint", str(beside))
    assert code == 1, out  # no proof anywhere: said plainly, not "history rewritten"
    assert "no consistency proof from the bundle's" in " ".join(out.split())
    (tmp_path / "consistency-proof.json").write_text(proof.read_text())
    code, out, _ = sendtrail(store, "verify", str(bundle), "--checkpoint", str(beside))
    assert code == 0, out
    assert "consistent with the later checkpoint" in " ".join(out.split())
