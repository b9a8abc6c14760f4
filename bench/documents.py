"""Attached files: upload and export throughput, and the server's memory during a large
upload.

    python -m bench.documents [--files 50] [--mb 2] [--big-mb 25]

A child with `--files` files of `--mb` MB each (plain text, so that no re-encoding is
measured) is uploaded through HTTP to a real `sendtrail serve`, attached to entries and
exported as a bundle. Baseline of the same run: copying the same bytes to a file and
reading them back. Memory: the server's RSS before and after one upload of `--big-mb` MB,
read from /proc (streamed: the growth should be far below the file's size).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from api.bootstrap import open_records
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore

ROOT = Path(__file__).resolve().parents[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def text_file(mb: float, seed: int) -> bytes:
    line = f"Observation notes of a fictional child, file {seed}. ".encode()
    return (line * (int(mb * 1024 * 1024) // len(line) + 1))[: int(mb * 1024 * 1024)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--mb", type=float, default=2)
    parser.add_argument("--big-mb", type=float, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", max_document_bytes=64 * 1024 * 1024)
        ensure_keys(settings)
        records = open_records(settings)
        _, token = UserStore(records.recorder).add(  # type: ignore[arg-type]
            "Bench SENCO", role="senco", setting_id="bench"
        )
        records.close()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SENDTRAIL_")},
            "SENDTRAIL_DATA": str(settings.data_dir),
            "SENDTRAIL_MAX_DOCUMENT_BYTES": str(64 * 1024 * 1024),
            "PYTHONPATH": str(ROOT),
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"{base}/v1/children", timeout=2)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, headers=headers, timeout=300) as client:
                child = client.post(
                    "/v1/children",
                    json={
                        "given_name": "Bench",
                        "family_name": "Files",
                        "occurred_at": "2025-01-06",
                    },
                ).json()["child_id"]
                blobs = [text_file(args.mb, n) for n in range(args.files)]
                total_mb = sum(len(b) for b in blobs) / 2**20
                started = time.perf_counter()
                digests = []
                for n, blob in enumerate(blobs):
                    answer = client.post(
                        f"/v1/children/{child}/documents",
                        files={"file": (f"notes-{n}.txt", blob, "text/plain")},
                    )
                    answer.raise_for_status()
                    digests.append(answer.json()["sha256"])
                upload_s = time.perf_counter() - started
                version = 1
                for start in range(0, len(digests), 10):
                    answer = client.post(
                        f"/v1/children/{child}/observations",
                        json={
                            "expected_version": version,
                            "occurred_at": "2025-02-03",
                            "area": "physical",
                            "notes": "With files.",
                            "observer": "KP",
                            "attachments": digests[start : start + 10],
                        },
                    )
                    answer.raise_for_status()
                    version = answer.json()["version"]
                started = time.perf_counter()
                bundle = client.post(f"/v1/children/{child}/exports", json={"pdf": False})
                bundle.raise_for_status()
                export_s = time.perf_counter() - started
                copy_dir = Path(tmp) / "copy"
                copy_dir.mkdir()
                started = time.perf_counter()
                for n, blob in enumerate(blobs):
                    (copy_dir / str(n)).write_bytes(blob)
                    hashlib.sha256((copy_dir / str(n)).read_bytes()).hexdigest()
                copy_s = time.perf_counter() - started
                shutil.rmtree(copy_dir)
                print(
                    f"documents: {args.files} files of {args.mb} MB ({total_mb:.0f} MB): upload "
                    f"{total_mb / upload_s:6.1f} MB/s, export (bundle, no PDF) "
                    f"{total_mb / export_s:6.1f} MB/s; copying the same bytes "
                    f"{total_mb / copy_s:6.1f} MB/s (upload {upload_s / copy_s:.1f}x, export "
                    f"{export_s / copy_s:.1f}x its time); "
                    f"bundle {len(bundle.content) / 2**20:.1f} MiB"
                )
                big = text_file(args.big_mb, 999)
                before = rss_mib(server.pid)
                client.post(
                    f"/v1/children/{child}/documents",
                    files={"file": ("big.txt", big, "text/plain")},
                ).raise_for_status()
                after = rss_mib(server.pid)
                print(
                    f"documents: one {args.big_mb:.0f} MB upload grew the server's RSS by "
                    f"{after - before:.1f} MiB ({before:.0f} -> {after:.0f} MiB)"
                )
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
