"""Interop tests: our signed artefacts checked by independent implementations of their
specs (issue 18), and theirs checked by ours.

- signed notes: Go's golang.org/x/mod/sumdb/note (Debian `golang-golang-x-mod-dev`),
- cosignatures and RFC 9162 proofs: `go/main.go`, written from the specs' text,
- DSSE: securesystemslib (PyPI, the `dev` extra).

The Go program is built once per session into a temporary folder, offline (GOPATH mode
against Debian's Go sources; its build cache in the same folder). Without `go` or the
x/mod sources the Go tests are skipped saying why, unless SENDTRAIL_REQUIRE_INTEROP=1
(CI sets it), when they fail instead.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from api.published_keys import published
from domain import commands as cmd
from exporters.bundle import Bundle
from tests.factories import on
from tests.support.bundles import Store, make_store

REQUIRED = os.environ.get("SENDTRAIL_REQUIRE_INTEROP") == "1"
GOPATH = Path(os.environ.get("SENDTRAIL_INTEROP_GOPATH", "/usr/share/gocode"))
NOTE_PACKAGE = GOPATH / "src/golang.org/x/mod/sumdb/note/note.go"
SOURCE = Path(__file__).parent / "go"
BUILD_SECONDS = 600  # a cold build of the standard library on a loaded 2-core machine


@dataclass(frozen=True)
class GoCheck:
    """The built Go program: `run(*args)` gives its exit code and output."""

    binary: Path
    work: Path

    def run(self, *args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.binary), *map(str, args)],
            capture_output=True,
            text=True,
            input=stdin,
            timeout=60,
            check=False,
        )

    def file(self, name: str, content: str | bytes) -> Path:
        path = self.work / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"SENDTRAIL_REQUIRE_INTEROP=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def go(tmp_path_factory: pytest.TempPathFactory) -> GoCheck:
    tool = shutil.which("go")
    if tool is None:
        _unavailable("`go` is not installed (Debian: golang-go)")
    if not NOTE_PACKAGE.is_file():
        _unavailable(f"{NOTE_PACKAGE} is absent (Debian: golang-golang-x-mod-dev)")
    out = tmp_path_factory.mktemp("interop-go")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(out),
        "GO111MODULE": "off",  # GOPATH mode: Debian's sources, nothing fetched
        "GOPATH": str(GOPATH),
        "GOCACHE": str(out / "cache"),
        "GOFLAGS": "",
        "CGO_ENABLED": "0",
        "GOTOOLCHAIN": "local",
    }
    built = subprocess.run(
        [str(tool), "build", "-o", str(out / "interop"), "main.go"],
        cwd=SOURCE,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_SECONDS,
        check=False,
    )
    assert built.returncode == 0, f"the Go interop program did not build:\n{built.stderr}"
    work = out / "files"
    work.mkdir()
    return GoCheck(out / "interop", work)


@dataclass(frozen=True)
class Exported:
    """A real store and bundles made from it: `first` (the earliest checkpoint covers it)
    and `later` (a new entry, so its bundle carries a previous checkpoint and a
    consistency proof to it)."""

    store: Store
    first: Bundle
    later: Bundle

    @property
    def vkey(self) -> str:
        """The log's signed-note verifier key as the setting publishes it."""
        key: str = published(self.store.settings)["keys"]["log"]["note_verifier_key"]
        return key


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exported]:
    store = make_store(tmp_path_factory.mktemp("interop") / "data")
    first = store.bundle(store.children[4])
    child = store.children[0]
    store.records.handle(
        child,
        cmd.RecordObservation(
            # A line and a paragraph separator: events.jsonl is split on "\n" only.
            area="physical",
            notes="First line\u2028second line\u2029third paragraph",
            observer="Key person",
        ),
        on(date(2026, 11, 20)),
    )
    later = store.bundle(child)
    yield Exported(store, first, later)
    store.records.close()


def unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def public_from_vkey(vkey: str) -> Ed25519PublicKey:
    """The Ed25519 key of a signed-note verifier key `name+hash+base64(0x01 || key)`."""
    blob = base64.b64decode(vkey.split("+", 2)[2])
    assert blob[0] == 1, "not an Ed25519 verifier key"
    return Ed25519PublicKey.from_public_bytes(blob[1:])
