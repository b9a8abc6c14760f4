"""Witnessed checkpoints (issue 18.3): a witness per C2SP tlog-witness, cosignatures per
C2SP tlog-cosignature, and a verifier policy of witnesses. A log rolled back or rewritten
after being witnessed is refused by the witnesses, so a bundle made from the rewritten
history, even with the setting's own keys, fails under the policy."""

from __future__ import annotations

import base64
import hashlib
import signal
import struct
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from api.cli import app as cli
from api.cli_witness import public_text
from ledger import checkpoint as cp
from ledger.cosignature import Witness, cosigned_by, with_lines
from ledger.keys import LOG_KEY, key_paths, public_pem, raw_public
from ledger.witness import WitnessService, WitnessState
from tests.support.bundles import Store, make_store
from tests.support.witnesses import spec, witness_process


def note_of(size: int, root: bytes, key: Ed25519PrivateKey, origin: str = "log.example/a") -> str:
    head = cp.Checkpoint(origin, size, root, 0, hashlib.sha256(b"").digest())
    return cp.sign(head, key, origin)


def leaf(n: int) -> bytes:
    return hashlib.sha256(b"\x00" + str(n).encode()).digest()


def tree_root(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + tree_root(leaves[:k]) + tree_root(leaves[k:])).digest()


def proof(old: int, new: int, leaves: list[bytes]) -> list[bytes]:
    from ledger.merkle import consistency_proof

    return consistency_proof(old, new, leaves)


def request(old: int, hashes: list[bytes], note: str) -> bytes:
    lines = f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in hashes)
    return (lines + "\n" + note).encode()


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[tuple[WitnessService, Ed25519PrivateKey, list[bytes]]]:
    log_key = Ed25519PrivateKey.generate()
    state = WitnessState(tmp_path / "witness.db")
    service = WitnessService(
        "witness.example/w1",
        Ed25519PrivateKey.generate(),
        {"log.example/a": log_key.public_key()},
        state,
        clock=lambda: 1_700_000_000,
    )
    yield service, log_key, [leaf(n) for n in range(20)]
    state.close()


class TestAddCheckpoint:
    def test_a_first_checkpoint_is_cosigned_as_the_spec_says(self, witness) -> None:  # type: ignore[no-untyped-def]
        service, log_key, leaves = witness
        note = note_of(5, tree_root(leaves[:5]), log_key)
        answer = service.add_checkpoint(request(0, [], note))
        assert answer.status == 200, answer.body
        line = answer.body
        assert line.startswith("\u2014 witness.example/w1 ")
        assert line.endswith("\n")
        # Checked here by hand from the spec, not by our own verifier:
        blob = base64.b64decode(line.split(" ")[2])
        public = service.key.public_key()
        key_id = hashlib.sha256(b"witness.example/w1\n\x04" + raw_public(public)).digest()[:4]
        assert blob[:4] == key_id
        assert struct.unpack(">Q", blob[4:12])[0] == 1_700_000_000
        body = note.partition("\n\n")[0] + "\n"
        public.verify(blob[12:], b"cosignature/v1\ntime 1700000000\n" + body.encode())
        assert cosigned_by(with_lines(note, [line]), Witness("witness.example/w1", public))

    def test_it_grows_only_with_a_valid_consistency_proof(self, witness) -> None:  # type: ignore[no-untyped-def]
        service, log_key, leaves = witness
        first = note_of(5, tree_root(leaves[:5]), log_key)
        assert service.add_checkpoint(request(0, [], first)).status == 200
        grown = note_of(12, tree_root(leaves[:12]), log_key)
        bad = [hashlib.sha256(b"x").digest()] * len(proof(5, 12, leaves[:12]))
        assert service.add_checkpoint(request(5, bad, grown)).status == 422
        assert service.add_checkpoint(request(5, proof(5, 12, leaves[:12]), grown)).status == 200

    def test_a_stale_old_size_is_409_with_the_latest_size(self, witness) -> None:  # type: ignore[no-untyped-def]
        service, log_key, leaves = witness
        assert (
            service.add_checkpoint(
                request(0, [], note_of(5, tree_root(leaves[:5]), log_key))
            ).status
            == 200
        )
        answer = service.add_checkpoint(request(0, [], note_of(7, tree_root(leaves[:7]), log_key)))
        assert answer.status == 409
        assert answer.content_type == "text/x.tlog.size"
        assert answer.body == "5\n"

    def test_a_rollback_or_fork_is_refused(self, witness) -> None:  # type: ignore[no-untyped-def]
        service, log_key, leaves = witness
        assert (
            service.add_checkpoint(
                request(0, [], note_of(10, tree_root(leaves[:10]), log_key))
            ).status
            == 200
        )
        rolled_back = note_of(6, tree_root(leaves[:6]), log_key)
        assert service.add_checkpoint(request(10, [], rolled_back)).status == 400
        assert service.add_checkpoint(request(6, [], rolled_back)).status == 409
        forked = note_of(10, tree_root([leaf(100 + n) for n in range(10)]), log_key)
        assert service.add_checkpoint(request(10, [], forked)).status == 409

    def test_unknown_logs_foreign_signatures_and_garbage(self, witness) -> None:  # type: ignore[no-untyped-def]
        service, log_key, leaves = witness
        other = note_of(3, tree_root(leaves[:3]), log_key, origin="log.example/unknown")
        assert service.add_checkpoint(request(0, [], other)).status == 404
        forged = note_of(3, tree_root(leaves[:3]), Ed25519PrivateKey.generate())
        assert service.add_checkpoint(request(0, [], forged)).status == 403
        assert service.add_checkpoint(b"old 01\n\nnonsense").status == 400

    def test_the_state_survives_a_restart(self, witness, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        service, log_key, leaves = witness
        assert (
            service.add_checkpoint(
                request(0, [], note_of(8, tree_root(leaves[:8]), log_key))
            ).status
            == 200
        )
        again = WitnessState(tmp_path / "witness.db")
        try:
            assert again.latest("log.example/a")[0] == 8
        finally:
            again.close()


NewDatabase = Callable[[], str | None]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def databases(request: pytest.FixtureRequest) -> Iterator[NewDatabase]:
    """Makes the database URL of each new store: None (SQLite in its folder), or a fresh
    PostgreSQL schema, dropped afterwards."""
    if request.param == "sqlite":
        yield lambda: None
        return
    url: str = request.getfixturevalue("postgres_available")
    made: list[str] = []

    def new() -> str:
        made.append(f"t_{uuid.uuid4().hex[:12]}")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{made[-1]}"')
        return f"{url}?schema={made[-1]}"

    yield new
    with psycopg.connect(url, autocommit=True) as conn:
        for schema in made:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}_keys" CASCADE')


def store_env(store: Store, **extra: str) -> dict[str, str]:
    """The environment in which `sendtrail` commands use this store."""
    url = store.settings.database_url
    return {
        "SENDTRAIL_DATA": str(store.settings.data_dir),
        **({"SENDTRAIL_DATABASE_URL": url} if url else {}),
        **extra,
    }


@pytest.mark.slow
def test_two_witnesses_cosign_and_a_rewritten_history_fails_the_policy(
    tmp_path: Path, databases: NewDatabase
) -> None:
    store = make_store(tmp_path / "setting", database_url=databases())
    settings = store.settings
    log_pem = key_paths(settings.keys_dir, LOG_KEY).public
    target = (settings.log_origin, log_pem)
    with (
        witness_process(tmp_path, "la.example/w1", target) as (_, w1),
        witness_process(tmp_path, "trust.example/w2", target) as (proc2, w2),
    ):
        witnesses = f"{spec(w1)}; {spec(w2)}"
        env = store_env(store, SENDTRAIL_WITNESSES=witnesses)
        made = CliRunner().invoke(cli, ["checkpoint"], env=env)
        assert made.exit_code == 0, made.output
        bundle = tmp_path / "bundle.zip"
        bundle.write_bytes(store.bundle(store.children[4]).content)
        policy = [
            "--key",
            str(key_paths(settings.keys_dir, "exporter").public),
            "--log-key",
            str(log_pem),
            "--witness",
            f"{w1.name} {public_text(w1.public)}",
            "--witness",
            f"{w2.name} {public_text(w2.public)}",
        ]
        verified = CliRunner().invoke(
            cli,
            ["verify", str(bundle), *policy],
            env={"SENDTRAIL_DATA": str(tmp_path / "inspector")},
        )
        assert verified.exit_code == 0, verified.output
        assert "witnessed by la.example/w1, trust.example/w2" in " ".join(verified.output.split())
        store.records.close()

        # The setting rewrites its history (a new store, its own keys) and re-signs.
        rewritten = make_store(
            tmp_path / "rewritten",
            seed=8,
            keys_from=settings.keys_dir,
            database_url=databases(),
        )
        made = CliRunner().invoke(
            cli, ["checkpoint"], env=store_env(rewritten, SENDTRAIL_WITNESSES=witnesses)
        )
        assert made.exit_code == 0, made.output
        forged = tmp_path / "rewritten.zip"
        forged.write_bytes(rewritten.bundle(rewritten.children[4]).content)
        failed = CliRunner().invoke(
            cli,
            ["verify", str(forged), *policy],
            env={"SENDTRAIL_DATA": str(tmp_path / "inspector")},
        )
        assert failed.exit_code == 1, failed.output
        assert "witnessed by 0 of the 2" in " ".join(failed.output.split())
        rewritten.records.close()

        # A witness killed and restarted keeps what it had cosigned.
        proc2.send_signal(signal.SIGKILL)
        proc2.wait()
    state = WitnessState(tmp_path / "trust.example_w2.db")
    try:
        assert state.latest(settings.log_origin)[0] > 0
    finally:
        state.close()


@pytest.mark.slow
@pytest.mark.parametrize(("crash", "kept"), [("witness-checked", 5), ("witness-stored", 12)])
def test_a_witness_killed_mid_request_keeps_the_old_state_or_the_new(
    tmp_path: Path, crash: str, kept: int
) -> None:
    log_key = Ed25519PrivateKey.generate()
    pem = tmp_path / "log.pub.pem"
    pem.write_bytes(public_pem(log_key.public_key()))
    target = ("log.example/a", pem)
    leaves = [leaf(n) for n in range(12)]
    first = note_of(5, tree_root(leaves[:5]), log_key)
    grown = note_of(12, tree_root(leaves), log_key)
    with witness_process(tmp_path, "la.example/w1", target) as (_, w):
        cosigned = httpx.post(w.url + "/add-checkpoint", content=request(0, [], first))
        assert cosigned.status_code == 200, cosigned.text
    # Killed (SIGKILL: no cleanup) once the request is checked, or once it is stored.
    dying = {"SENDTRAIL_TEST_CRASH_AT": crash}
    with witness_process(tmp_path, "la.example/w1", target, dying) as (proc, w):
        with pytest.raises(httpx.TransportError):
            httpx.post(
                w.url + "/add-checkpoint",
                content=request(5, proof(5, 12, leaves), grown),
                timeout=30,
            )
        assert proc.wait(timeout=30) == -signal.SIGKILL
    state = WitnessState(tmp_path / "la.example_w1.db")
    try:
        assert state.latest("log.example/a")[0] == kept
    finally:
        state.close()
    # Restarted, it goes on from what it kept: the log asks again and is cosigned.
    with witness_process(tmp_path, "la.example/w1", target) as (_, w):
        # A log that believes the witness still holds 5 learns what it holds.
        said = httpx.post(w.url + "/add-checkpoint", content=request(5, [], first))
        if kept == 5:
            assert said.status_code == 200, said.text
        else:
            assert (said.status_code, said.text) == (409, "12\n")
        again = request(kept, proof(kept, 12, leaves) if kept < 12 else [], grown)
        answer = httpx.post(w.url + "/add-checkpoint", content=again)
        assert answer.status_code == 200, answer.text
        assert cosigned_by(with_lines(grown, [answer.text]), w) is not None


class TestAnAnchorsWitnessPolicy:
    """`trust add --witness`: the verifier's trust store requires the witnesses it names."""

    def test_bundles_under_the_anchor_must_carry_their_cosignatures(
        self, tmp_path: Path, databases: NewDatabase
    ) -> None:
        store = make_store(tmp_path / "setting", database_url=databases())
        try:
            child = store.children[4]
            store.bundle(child)  # signs the checkpoint that covers the record
            note = store.exporter.ledger.checkpoints()[-1]
            size = cp.parse(note)[0].size
            w1, w2 = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
            state = WitnessState(tmp_path / "w1.db")
            logs = {store.settings.log_origin: store.exporter.keys.log_public}
            answer = WitnessService("la.example/w1", w1, logs, state).add_checkpoint(
                request(0, [], note)
            )
            state.close()
            assert answer.status == 200, answer.body
            store.exporter.ledger.add_cosignature(size, "la.example/w1", answer.body)
            bundle = tmp_path / "bundle.zip"
            bundle.write_bytes(store.bundle(child).content)
        finally:
            store.records.close()
        keys = store.settings.keys_dir
        env = {"SENDTRAIL_DATA": str(tmp_path / "inspector"), "COLUMNS": "300"}
        pinned = ["--key", str(keys / "exporter.pub.pem"), "--log-key", str(keys / "log.pub.pem")]
        first = f"la.example/w1 {public_text(w1.public_key())}"
        second = f"trust.example/w2 {public_text(w2.public_key())}"

        def run(*args: str) -> tuple[int, str]:
            done = CliRunner().invoke(cli, list(args), env=env)
            return done.exit_code, " ".join(done.output.split())

        assert run("trust", "add", "Oak", *pinned, "--witness", first)[0] == 0
        code, said = run("verify", str(bundle))
        assert code == 0, said
        assert "trusted through Oak; checkpoint witnessed by la.example/w1" in said
        assert "witnessed by 1 of la.example/w1" in run("trust", "list")[1]

        # Both witnesses (the default: all named): one has not seen this log.
        assert run("trust", "add", "Oak", *pinned, "--witness", first, "--witness", second)[0] == 0
        code, said = run("verify", str(bundle))
        assert code == 1, said
        assert "witnessed by 1 of the 2 witnesses Oak requires (la.example/w1)" in said
        # The anchor's policy holds even when its keys are given on the command line.
        assert run("verify", str(bundle), *pinned)[0] == 1

        assert run("trust", "add", "Oak", *pinned, "--witness", second)[0] == 0
        assert run("verify", str(bundle))[0] == 1
        code, _ = run(
            "trust", "add", "Oak", *pinned, "--witness", first, "--witness", second,
            "--witnesses-required", "1",
        )  # fmt: skip
        assert code == 0
        assert run("verify", str(bundle))[0] == 0

    def test_a_bad_witness_is_refused_naming_the_rule(self, tmp_path: Path) -> None:
        env = {"SENDTRAIL_DATA": str(tmp_path / "inspector"), "COLUMNS": "300"}
        fingerprints = ["--signer", "a" * 64, "--log", "b" * 64]
        for witness, rule in (
            ("la.example/w1", "'NAME PUBLIC-KEY-BASE64'"),
            ("la.example/w1 bm90IGEga2V5", "not a base64 Ed25519 public key"),
        ):
            done = CliRunner().invoke(
                cli, ["trust", "add", "Oak", *fingerprints, "--witness", witness], env=env
            )
            assert done.exit_code == 2
            assert rule in " ".join(done.output.split())
        key = public_text(Ed25519PrivateKey.generate().public_key())
        done = CliRunner().invoke(
            cli,
            [
                "trust",
                "add",
                "Oak",
                *fingerprints,
                "--witness",
                f"w {key}",
                "--witnesses-required",
                "2",
            ],
            env=env,
        )
        assert done.exit_code == 2
        assert "between 0 and the 1 witnesses named" in " ".join(done.output.split())
        assert not (tmp_path / "inspector" / "trust.json").exists()
