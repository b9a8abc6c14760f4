"""VERIFY.txt works exactly as printed: each recipe, taken from a real bundle's VERIFY.txt
and run unmodified in bash (coreutils, openssl, python3's standard library only), passes
on the genuine bundle and stops non-zero on the tampered copy it is there to catch."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exporters.archive import read_zip
from exporters.dsse import key_id
from ledger.keys import public_pem
from tests.support.bundles import Store, make_store, resign

pytestmark = pytest.mark.skipif(
    not shutil.which("openssl") or not shutil.which("bash"), reason="needs bash and openssl"
)
RECIPE = re.compile(r"^```sh\n(.*?)^```$", re.S | re.M)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    made = make_store(tmp_path_factory.mktemp("recipes") / "data")
    yield made
    made.records.close()


@pytest.fixture(scope="module")
def genuine(store: Store) -> dict[str, bytes]:
    return read_zip(store.bundle(store.children[4]).content)


def recipes(files: dict[str, bytes]) -> list[str]:
    found = RECIPE.findall(files["VERIFY.txt"].decode())
    assert len(found) == 5, "VERIFY.txt should hold recipes 0 to 4"
    return list(found)


def unpacked(files: dict[str, bytes], folder: Path) -> Path:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def run(recipe: str, folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", recipe],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", **env},
        check=False,
    )


def published(store: Store) -> dict[str, str]:
    keys = store.exporter.keys
    return {
        "PUBLISHED_SIGNER": key_id(keys.exporter.public_key()),
        "PUBLISHED_LOG": key_id(keys.log_public),
    }


def test_every_recipe_passes_on_the_genuine_bundle_and_writes_nothing(
    store: Store, genuine: dict[str, bytes], tmp_path: Path
) -> None:
    folder = unpacked(genuine, tmp_path / "bundle")
    before = sorted(p.name for p in folder.rglob("*"))
    for number, recipe in enumerate(recipes(genuine)):
        done = run(recipe, folder, **published(store))
        assert done.returncode == 0, (number, done.stdout, done.stderr)
        assert done.stdout.strip().splitlines()[-1].startswith(f"{number}:")
    assert sorted(p.name for p in folder.rglob("*")) == before


def tampered(store: Store, genuine: dict[str, bytes], how: str) -> dict[str, bytes]:
    files = dict(genuine)
    keys = store.exporter.keys
    if how == "keys":  # a forger's own exporter key, re-signed and put in the bundle
        forger = Ed25519PrivateKey.generate()
        files["signer.pub.pem"] = public_pem(forger.public_key())
        return read_zip(resign(files, forger))
    if how == "file":
        files["data/bundle.json"] = files["data/bundle.json"] + b" "
        return files
    if how == "signature":  # re-signed by someone else, the setting's key left in place
        return read_zip(resign(files, Ed25519PrivateKey.generate()))
    if how == "checkpoint":  # another root, the log signature left as it was
        lines = files["data/audit/checkpoint.txt"].decode().split("\n")
        lines[2] = ("A" if lines[2][0] != "A" else "B") + lines[2][1:]
        files["data/audit/checkpoint.txt"] = "\n".join(lines).encode()
        return read_zip(resign(files, keys.exporter))
    # an entry's words changed, everything else re-made with the setting's exporter key
    lines = files["data/events.jsonl"].decode().split("\n")
    for n, raw in enumerate(lines):
        line = json.loads(raw) if raw else None
        if line and line["event"] and "notes" in line["event"]:
            line["event"]["notes"] = "rewritten"
            lines[n] = json.dumps(line)
            break
    files["data/events.jsonl"] = "\n".join(lines).encode()
    return read_zip(resign(files, keys.exporter))


@pytest.mark.parametrize(
    ("number", "how"),
    [(0, "keys"), (1, "file"), (2, "signature"), (3, "checkpoint"), (4, "words")],
)
def test_each_recipe_stops_at_what_it_is_there_to_catch(
    store: Store, genuine: dict[str, bytes], tmp_path: Path, number: int, how: str
) -> None:
    files = tampered(store, genuine, how)
    folder = unpacked(files, tmp_path / how)
    done = run(recipes(genuine)[number], folder, **published(store))
    assert done.returncode != 0, (done.stdout, done.stderr)
    assert f"{number}:" not in done.stdout  # it never says it passed
