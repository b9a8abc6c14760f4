"""`sendtrail witness serve` in its own process on 127.0.0.1, for tests and benchmarks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from api.cli_witness import public_text, witness_key
from ledger.cosignature import Witness
from tests.processes import ROOT
from tests.serving import free_port


@contextmanager
def witness_process(
    tmp_path: Path, name: str, log: tuple[str, Path], env: Mapping[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], Witness]]:
    """A witness NAME of the log (origin, public key file), its key and state in
    `tmp_path` (so a second one of the same name there is the same witness restarted)."""
    key_file = tmp_path / f"{name.replace('/', '_')}.key"
    public = witness_key(key_file).public_key()
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "api.cli",
            "witness",
            "serve",
            "--name",
            name,
            "--key",
            str(key_file),
            "--state",
            str(tmp_path / f"{name.replace('/', '_')}.db"),
            "--log",
            f"{log[0]}={log[1]}",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError("the witness stopped")
            if time.monotonic() > deadline:
                raise RuntimeError("the witness did not start")
            try:
                httpx.post(url + "/add-checkpoint", content=b"", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield proc, Witness(name, public, url)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def spec(w: Witness) -> str:
    """The witness as SENDTRAIL_WITNESSES names it: name, URL, public key."""
    return f"{w.name} {w.url} {public_text(w.public)}"
