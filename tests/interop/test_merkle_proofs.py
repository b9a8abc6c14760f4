"""RFC 9162 proofs checked by an independent implementation (Go, written from the RFC's
§2.1 text): every inclusion proof of a real bundle, its child-head proof, the consistency
proof it carries and the one `sendtrail checkpoint --proof-from` prints; and our proof
builder over every tree shape up to a size, with each tampered proof refused."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import orjson
from typer.testing import CliRunner

from api.cli import app as cli
from domain import commands as cmd
from ledger.merkle import consistency_proof, inclusion_proof, leaf_hash, root
from tests.factories import on
from tests.interop.conftest import Exported, GoCheck, rezip, unzip
from tests.unit.test_merkle import (
    CONSISTENCY_VECTORS,
    INCLUSION_VECTORS,
    VECTOR_LEAVES,
    VECTOR_ROOTS,
)

EVERY_SHAPE_UP_TO = 40


def cases(leaves: list[bytes], roots: list[bytes], inclusion: object, consistency: object) -> str:
    return json.dumps(
        {
            "leaves": [h.hex() for h in leaves],
            "roots": [h.hex() for h in roots],
            "inclusion": inclusion,
            "consistency": consistency,
        }
    )


class TestProofsOfBundles:
    def test_go_checks_every_proof_of_a_bundle(self, go: GoCheck, exported: Exported) -> None:
        for name, bundle in (("first", exported.first), ("later", exported.later)):
            checked = go.run("bundle", exported.vkey, go.file(f"{name}.zip", bundle.content))
            assert checked.returncode == 0, checked.stderr
            assert f"size {bundle.checkpoint_size}\n" in checked.stdout
            assert f"inclusion proofs: {bundle.listed} verified" in checked.stdout
            assert "child head: verified" in checked.stdout
        # The later bundle carries the checkpoint before its own and the proof between them.
        assert f"-> {exported.later.checkpoint_size}: verified" in checked.stdout

    def test_go_refuses_a_changed_leaf_or_proof(self, go: GoCheck, exported: Exported) -> None:
        files = unzip(exported.later.content)
        lines = files["data/events.jsonl"].split(b"\n")
        event = orjson.loads(lines[2])

        changed_leaf = {**event, "leaf": {**event["leaf"], "recorded_at": "2020-01-01T00:00:00Z"}}
        hashes = event["inclusion_proof"]
        changed_proof = {**event, "inclusion_proof": [hashes[0][::-1], *hashes[1:]]}
        for number, forged in enumerate((changed_leaf, changed_proof)):
            lines[2] = orjson.dumps(forged, option=orjson.OPT_SORT_KEYS)
            copy = rezip({**files, "data/events.jsonl": b"\n".join(lines)})
            checked = go.run("bundle", exported.vkey, go.file(f"forged-{number}.zip", copy))
            assert checked.returncode == 1, checked.stdout
            assert "line 3" in checked.stderr
            assert "does not lead to the root" in checked.stderr

        consistency = orjson.loads(files["data/audit/consistency.json"])
        consistency["proof"] = consistency["proof"][:-1]
        copy = rezip({**files, "data/audit/consistency.json": orjson.dumps(consistency)})
        checked = go.run("bundle", exported.vkey, go.file("short-proof.zip", copy))
        assert checked.returncode == 1
        assert "consistency" in checked.stderr

    def test_go_checks_the_proof_printed_by_checkpoint_proof_from(
        self, go: GoCheck, exported: Exported, tmp_path: Path
    ) -> None:
        store = exported.store
        store.records.handle(
            store.children[1],
            cmd.RecordObservation(area="physical", notes="later still", observer="KP"),
            on(date(2026, 11, 21)),
        )
        old = unzip(exported.first.content)["data/audit/checkpoint.txt"].decode()
        proof_file = tmp_path / "proof.json"
        made = CliRunner().invoke(
            cli,
            [
                "checkpoint",
                "--proof-from",
                str(exported.first.checkpoint_size),
                "--proof-out",
                str(proof_file),
            ],
            env={"SENDTRAIL_DATA": str(store.settings.data_dir)},
        )
        assert made.exit_code == 0, made.output
        old_file = go.file("old.txt", old)
        new_file = go.file("new.txt", made.stdout)  # x/mod opens it whole: a signed note
        opened = go.run("open", exported.vkey, new_file)
        assert opened.returncode == 0, opened.stderr
        proof = proof_file.read_text()
        checked = go.run("consistency", exported.vkey, old_file, new_file, go.file("p.json", proof))
        assert checked.returncode == 0, checked.stderr
        assert f"consistency {exported.first.checkpoint_size} -> " in checked.stdout

        document = orjson.loads(proof)
        document["proof"][-1] = "0" * 64
        forged = go.file("forged.json", orjson.dumps(document).decode())
        checked = go.run("consistency", exported.vkey, old_file, new_file, forged)
        assert checked.returncode == 1


class TestOurProofBuilder:
    def test_go_agrees_with_the_published_vectors(self, go: GoCheck) -> None:
        """The Go checker itself, against RFC 6962/9162 test vectors."""
        inclusion = [
            {"index": i, "size": n, "proof": [h.hex() for h in p]} for i, n, p in INCLUSION_VECTORS
        ]
        consistency = [
            {"old": m, "new": n, "proof": [h.hex() for h in p]}
            for m, n, p in CONSISTENCY_VECTORS
            if m < n
        ]
        text = cases(VECTOR_LEAVES, VECTOR_ROOTS, inclusion, consistency)
        checked = go.run("proofs", go.file("vectors.json", text))
        assert checked.returncode == 0, checked.stderr
        assert checked.stdout.strip() == (
            f"roots: 8, inclusion proofs: {len(inclusion)}, "
            f"consistency proofs: {len(consistency)} verified"
        )

    def test_go_accepts_our_proofs_of_every_shape_and_refuses_each_tampered_one(
        self, go: GoCheck
    ) -> None:
        leaves = [leaf_hash(b"entry %d" % n) for n in range(EVERY_SHAPE_UP_TO)]
        sizes = range(1, EVERY_SHAPE_UP_TO + 1)
        inclusion = [
            {"index": i, "size": n, "proof": [h.hex() for h in inclusion_proof(i, n, leaves)]}
            for n in sizes
            for i in range(n)
        ]
        consistency = [
            {"old": m, "new": n, "proof": [h.hex() for h in consistency_proof(m, n, leaves)]}
            for n in sizes
            for m in range(1, n)
        ]
        roots = [root(leaves[:n]) for n in sizes]
        checked = go.run(
            "proofs", go.file("shapes.json", cases(leaves, roots, inclusion, consistency))
        )
        assert checked.returncode == 0, checked.stderr
        assert f"inclusion proofs: {len(inclusion)}, consistency proofs: {len(consistency)}" in (
            checked.stdout
        )
