"""The real `sendtrail` command in its own process: for kills (SIGKILL at a named step,
settings.test_crash_at), restarts and concurrent writers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from api.settings import Settings
from tests.serving import free_port

ROOT = Path(__file__).resolve().parents[1]
KILLED = -signal.SIGKILL


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment a `sendtrail` process reads these settings from."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SENDTRAIL_")}
    env = {
        **inherited,
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "300",
        "SENDTRAIL_DATA": str(settings.data_dir),
        "SENDTRAIL_KEK_FILE": str(settings.kek_path),
        "SENDTRAIL_DATABASE_CONNECT_TIMEOUT": str(settings.database_connect_timeout),
        **extra,
    }
    if settings.database_url:
        env["SENDTRAIL_DATABASE_URL"] = settings.database_url
    if settings.key_store is not None:  # a file named on purpose (else the default's place)
        env["SENDTRAIL_KEY_STORE"] = str(settings.key_store)
    return env


def sendtrail(
    settings: Settings, *args: str, crash_at: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `sendtrail ARGS` to the end (or to its kill at `crash_at`)."""
    extra = {"SENDTRAIL_TEST_CRASH_AT": crash_at} if crash_at else {}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=cli_env(settings, **extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """Everything the command said, on one line."""
    return " ".join((result.stdout + result.stderr).split())


@contextmanager
def serving(settings: Settings, *args: str) -> Iterator[str]:
    """`sendtrail serve` in its own process until the block ends; yields its base URL."""
    with serve_process(settings, *args) as (_, base):
        yield base


@contextmanager
def serve_process(
    settings: Settings, *args: str, log: Path | None = None, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`sendtrail serve` in its own process (its output in `log`, else a pipe; `env` added
    to its environment), until the block ends (unless killed before); yields the process
    and its base URL."""
    port = free_port()
    out = log.open("w") if log is not None else None
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), *args],
        env=cli_env(settings, **(env or {})),
        cwd=ROOT,
        stdout=out if out is not None else subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            said = _said(proc, log)
            assert proc.poll() is None, f"serve stopped: {said}"
            assert time.monotonic() < deadline, "serve did not answer within 60 s"
            try:
                httpx.get(f"{base}/v1/children", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if out is not None:
            out.close()


def _said(proc: subprocess.Popen[str], log: Path | None) -> str:
    if proc.poll() is None:
        return ""
    if log is not None:
        return log.read_text()[-2000:]
    return proc.stdout.read() if proc.stdout else ""
