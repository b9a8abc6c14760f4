"""Checkpoints as C2SP signed notes, checked both ways with Go's reference implementation
(golang.org/x/mod/sumdb/note), and witness cosignatures (C2SP tlog-cosignature,
`cosignature/v1`) checked both ways with a Go implementation written from the spec."""

from __future__ import annotations

import base64
import secrets
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from api.cli import app as cli
from domain import commands as cmd
from ledger import checkpoint as cp
from ledger.cosignature import Witness, cosigned_by, with_lines
from ledger.keys import LOG_KEY, key_paths, raw_public
from ledger.witness import WitnessService, WitnessState
from tests.factories import on
from tests.interop.conftest import Exported, GoCheck, public_from_vkey, unzip
from tests.support.witnesses import spec, witness_process

WITNESS = "witness.example/la"
NOW = 1_764_892_800


def bundle_note(exported: Exported) -> str:
    return unzip(exported.later.content)["data/audit/checkpoint.txt"].decode()


def tampered(note: str) -> list[str]:
    """The note with its size, its root, its extension line or its signature changed."""
    lines = note.split("\n")
    size = [*lines[:1], str(int(lines[1]) + 1), *lines[2:]]
    root = base64.b64decode(lines[2])
    flipped_root = [*lines[:2], base64.b64encode(bytes([root[0] ^ 1]) + root[1:]).decode()]
    heads = lines[3].split(" ")
    heads_line = f"{heads[0]} {int(heads[1]) - 1} {heads[2]}"
    signature = lines[5].rsplit(" ", 1)
    blob = base64.b64decode(signature[1])
    forged_sig = f"{signature[0]} {base64.b64encode(blob[:-1] + bytes([blob[-1] ^ 1])).decode()}"
    return [
        "\n".join(size),
        "\n".join([*flipped_root, *lines[3:]]),
        "\n".join([*lines[:3], heads_line, *lines[4:]]),
        "\n".join([*lines[:5], forged_sig, *lines[6:]]),
    ]


class TestGoOpensOurCheckpoints:
    def test_our_verifier_key_is_the_one_x_mod_makes(self, go: GoCheck, exported: Exported) -> None:
        name, _, blob = exported.vkey.split("+", 2)
        public = base64.b64encode(base64.b64decode(blob)[1:]).decode()
        made = go.run("vkey", name, public)
        assert made.returncode == 0, made.stderr
        assert made.stdout.strip() == exported.vkey

    def test_a_bundles_checkpoint_opens_with_the_published_key(
        self, go: GoCheck, exported: Exported
    ) -> None:
        note = bundle_note(exported)
        opened = go.run("open", exported.vkey, go.file("bundle-checkpoint.txt", note))
        assert opened.returncode == 0, opened.stderr
        origin = exported.store.settings.log_origin
        assert opened.stdout.startswith(f"signed by {origin}, ")
        assert opened.stdout.split("\n", 1)[1] == cp.parse(note)[0].body()

    def test_the_checkpoint_commands_output_opens(self, go: GoCheck, exported: Exported) -> None:
        made = CliRunner().invoke(
            cli, ["checkpoint"], env={"SENDTRAIL_DATA": str(exported.store.settings.data_dir)}
        )
        assert made.exit_code == 0, made.output
        opened = go.run("open", exported.vkey, go.file("cli-checkpoint.txt", made.stdout))
        assert opened.returncode == 0, opened.stderr

    def test_a_tampered_checkpoint_is_refused(self, go: GoCheck, exported: Exported) -> None:
        for number, note in enumerate(tampered(bundle_note(exported))):
            opened = go.run("open", exported.vkey, go.file(f"tampered-{number}.txt", note))
            assert opened.returncode == 1, (number, opened.stdout)
            assert "invalid signature" in opened.stderr or "malformed" in opened.stderr

    def test_another_signers_key_opens_nothing(self, go: GoCheck, exported: Exported) -> None:
        origin = exported.store.settings.log_origin
        other = go.run("keygen", origin).stdout.split("\n")[1]
        note = go.file("bundle-checkpoint.txt", bundle_note(exported))
        opened = go.run("open", other, note)
        assert opened.returncode == 1
        assert "no verifiable signatures" in opened.stderr


class TestOurVerifierOpensGoNotes:
    def test_a_note_signed_by_x_mod_verifies(self, go: GoCheck) -> None:
        name = "log.example/interop"
        skey, vkey = go.run("keygen", name).stdout.split("\n")[:2]
        head = cp.Checkpoint(name, 42, secrets.token_bytes(32), 3, secrets.token_bytes(32))
        signed = go.run("sign", skey, go.file("body.txt", head.body()))
        assert signed.returncode == 0, signed.stderr
        assert cp.verify(signed.stdout, public_from_vkey(vkey), name) == head
        assert cp.verifier_key(name, public_from_vkey(vkey)) == vkey

        with pytest.raises(cp.CheckpointError):
            cp.verify(signed.stdout, Ed25519PrivateKey.generate().public_key(), name)
        for note in tampered(signed.stdout):
            with pytest.raises(cp.CheckpointError):
                cp.verify(note, public_from_vkey(vkey), name)


def cosigned_note(exported: Exported, tmp_path: Path) -> tuple[str, Witness, Ed25519PrivateKey]:
    """The bundle's checkpoint, cosigned by our witness (sendtrail's `WitnessService`)."""
    note = bundle_note(exported)
    key = Ed25519PrivateKey.generate()
    settings = exported.store.settings
    state = WitnessState(tmp_path / "witness.db")
    try:
        service = WitnessService(
            WITNESS, key, {settings.log_origin: exported.store.exporter.keys.log_public}, state
        )
        service.clock = lambda: NOW
        answer = service.add_checkpoint(b"old 0\n\n" + note.encode())
    finally:
        state.close()
    assert answer.status == 200, answer.body
    return with_lines(note, [answer.body]), Witness(WITNESS, key.public_key()), key


def b64(witness: Witness) -> str:
    return base64.b64encode(raw_public(witness.public)).decode()


class TestCosignatures:
    def test_go_accepts_our_witness_cosignature(
        self, go: GoCheck, exported: Exported, tmp_path: Path
    ) -> None:
        note, witness, _ = cosigned_note(exported, tmp_path)
        path = go.file("cosigned.txt", note)
        checked = go.run("cosigned", WITNESS, b64(witness), path)
        assert checked.returncode == 0, checked.stderr
        assert checked.stdout.strip() == f"cosigned by {WITNESS} at {NOW}"
        # A cosigned checkpoint is still a signed note x/mod opens (the cosignature is a
        # signature line of a key it does not know).
        opened = go.run("open", exported.vkey, path)
        assert opened.returncode == 0, opened.stderr
        assert "1 other signature(s)" in opened.stdout

    def test_go_refuses_a_cosignature_of_another_body_or_by_another_key(
        self, go: GoCheck, exported: Exported, tmp_path: Path
    ) -> None:
        note, witness, _ = cosigned_note(exported, tmp_path)
        body, rest = note.split("\n\n", 1)
        # The cosignature covers the extension line too.
        heads = body.split("\n")[3].split(" ")
        moved = body.replace(body.split("\n")[3], f"{heads[0]} {int(heads[1]) + 1} {heads[2]}")
        checked = go.run(
            "cosigned", WITNESS, b64(witness), go.file("moved.txt", f"{moved}\n\n{rest}")
        )
        assert checked.returncode == 1
        stranger = Witness(WITNESS, Ed25519PrivateKey.generate().public_key())
        checked = go.run("cosigned", WITNESS, b64(stranger), go.file("cosigned.txt", note))
        assert checked.returncode == 1
        checked = go.run("cosigned", "other.example/w", b64(witness), go.file("c.txt", note))
        assert checked.returncode == 1

    def test_our_verifier_accepts_a_go_cosignature(
        self, go: GoCheck, exported: Exported, tmp_path: Path
    ) -> None:
        note = bundle_note(exported)
        seed = secrets.token_bytes(32)
        witness = Witness(WITNESS, Ed25519PrivateKey.from_private_bytes(seed).public_key())
        made = go.run("cosign", WITNESS, seed.hex(), str(NOW), go.file("plain.txt", note))
        assert made.returncode == 0, made.stderr
        assert cosigned_by(with_lines(note, [made.stdout]), witness) == NOW
        stranger = Witness(WITNESS, Ed25519PrivateKey.generate().public_key())
        assert cosigned_by(with_lines(note, [made.stdout]), stranger) is None
        lines = note.split("\n")
        other_body = "\n".join([lines[0], str(int(lines[1]) - 1), *lines[2:]])
        assert cosigned_by(with_lines(other_body, [made.stdout]), witness) is None


@pytest.mark.slow
def test_a_bundle_carries_cosignatures_go_accepts(
    go: GoCheck, exported: Exported, tmp_path: Path
) -> None:
    """The whole path: `sendtrail checkpoint` submits to `sendtrail witness serve`, the
    bundle carries the cosigned checkpoint, and Go checks both signatures on it."""
    store = exported.store
    store.records.handle(
        store.children[2],
        cmd.RecordObservation(area="physical", notes="witnessed", observer="KP"),
        on(date(2026, 11, 22)),
    )
    log_pem = key_paths(store.settings.keys_dir, LOG_KEY).public
    with witness_process(tmp_path, WITNESS, (store.settings.log_origin, log_pem)) as (_, w):
        made = CliRunner().invoke(
            cli,
            ["checkpoint"],
            env={"SENDTRAIL_DATA": str(store.settings.data_dir), "SENDTRAIL_WITNESSES": spec(w)},
        )
        assert made.exit_code == 0, made.output
    note = unzip(store.bundle(store.children[2]).content)["data/audit/checkpoint.txt"].decode()
    path = go.file("witnessed.txt", note)
    opened = go.run("open", exported.vkey, path)
    assert opened.returncode == 0, opened.stderr
    checked = go.run("cosigned", WITNESS, b64(w), path)
    assert checked.returncode == 0, (checked.stderr, note)
