"""Witnessing (issue 18): what a witness policy adds to verifying a bundle, and how many
checkpoints a witness cosigns a second.

    python -m bench.witness [--events 2000] [--requests 300] [--repeat 5]

1. Verify a bundle of a 2,000-event record (`bench.long_record`) whose checkpoint two
   `sendtrail witness serve` processes cosigned: with a policy of both witnesses against
   the same verification with pinned keys and no policy (baseline), same bundle, same run.
2. add-checkpoint against `sendtrail witness serve` on 127.0.0.1, one client, keep-alive:
   each request a checkpoint of a growing log with its consistency proof from the last
   one cosigned (checked, stored with a full fsync, cosigned). Baselines of the same run:
   the same server answering an empty request (HTTP and the framework only: 400), and the
   witness's own add-checkpoint in this process on a fresh state (no HTTP).
Ratios only, printed; nothing passes or fails.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.bootstrap import Exporter, open_records
from api.witness_client import submit
from bench.bundle import timed
from bench.long_record import write_long_record
from bench.stores import fresh_settings
from exporters.bundle import build_bundle
from exporters.verify import verify_bundle
from ledger import checkpoint as cp
from ledger.keys import EXPORTER_KEY, LOG_KEY, create_key_pair, key_paths, load_private
from ledger.merkle import consistency_proof, leaf_hash, root
from ledger.witness import WitnessService, WitnessState
from tests.support.witnesses import witness_process

ORIGIN = "bench.example/log"
GROWTH = 7  # leaves between two checkpoints


def verify_with_policy(events: int, repeat: int) -> None:
    with fresh_settings("sqlite") as settings, tempfile.TemporaryDirectory() as tmp:
        for name in (LOG_KEY, EXPORTER_KEY):
            create_key_pair(settings.keys_dir, name)
        records = open_records(settings)
        child = write_long_record(records, events)
        exporter = Exporter(records, settings, pdf=False)
        keys = exporter.keys
        log = (settings.log_origin, key_paths(settings.keys_dir, LOG_KEY).public)
        with (
            witness_process(Path(tmp), "la.example/w1", log) as (_, w1),
            witness_process(Path(tmp), "trust.example/w2", log) as (_, w2),
        ):
            assert keys.log_private is not None
            note = exporter.ledger.create_checkpoint(keys.log_private, settings.log_origin)
            said = [o for o in submit(exporter.ledger, note, [w1, w2]) if not o.cosigned]
            assert not said, said
        content = build_bundle(
            records,
            exporter.ledger,
            exporter.views,
            child,
            as_of=None,
            known_at=None,
            keys=keys,
        ).content
        pinned = partial(
            verify_bundle, content, key=keys.exporter.public_key(), log_key=keys.log_public
        )
        plain_runs, policy_runs = [], []
        for _ in range(repeat):  # alternately, so that a burst of load hits both alike
            plain_runs.append(timed(pinned, 1))
            policy_runs.append(timed(partial(pinned, witnesses=[w1, w2], witnesses_required=2), 1))
        plain, plain_cpu = (statistics.median(run[i] for run in plain_runs) for i in (0, 1))
        policy, policy_cpu = (statistics.median(run[i] for run in policy_runs) for i in (0, 1))
        records.close()
    print(
        f"verify a {events}-event bundle, pinned keys: no policy {plain * 1000:6.0f} ms "
        f"(baseline); policy of 2 witnesses {policy * 1000:6.0f} ms ({policy / plain:5.3f}x); "
        f"CPU {plain_cpu * 1000:.0f} / {policy_cpu * 1000:.0f} ms "
        f"({policy_cpu / plain_cpu:5.3f}x)"
    )


def growing_log(requests: int, key: Ed25519PrivateKey) -> list[bytes]:
    """add-checkpoint requests for a log growing by GROWTH leaves each time."""
    leaves = [leaf_hash(b"entry %d" % n) for n in range(GROWTH * requests)]
    heads_root = hashlib.sha256(b"").digest()
    bodies = []
    old = 0
    for step in range(1, requests + 1):
        size = GROWTH * step
        note = cp.sign(cp.Checkpoint(ORIGIN, size, root(leaves[:size]), 0, heads_root), key, ORIGIN)
        proof = consistency_proof(old, size, leaves) if old else []
        lines = f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)
        bodies.append((lines + "\n" + note).encode())
        old = size
    return bodies


def per_second(run: Callable[[], object], count: int) -> float:
    started = time.perf_counter()
    run()
    return count / (time.perf_counter() - started)


def witness_throughput(requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        create_key_pair(folder / "keys", LOG_KEY)
        log_key = load_private(key_paths(folder / "keys", LOG_KEY).private)
        bodies = growing_log(requests, log_key)

        def post_all(client: httpx.Client, url: str, items: list[bytes], want: int) -> None:
            for body in items:
                answer = client.post(url, content=body)
                assert answer.status_code == want, answer.text

        log = (ORIGIN, key_paths(folder / "keys", LOG_KEY).public)
        with witness_process(folder, "la.example/w1", log) as (_, w), httpx.Client() as client:
            url = w.url + "/add-checkpoint"
            post_all(client, url, [b""] * 20, 400)  # warm the connection
            empty = per_second(lambda: post_all(client, url, [b""] * requests, 400), requests)
            cosigned = per_second(lambda: post_all(client, url, bodies, 200), requests)

        state = WitnessState(folder / "in-process.db")
        service = WitnessService(
            "in.process/w", Ed25519PrivateKey.generate(), {ORIGIN: log_key.public_key()}, state
        )

        def direct() -> None:
            for body in bodies:
                assert service.add_checkpoint(body).status == 200

        in_process = per_second(direct, requests)
        state.close()
    print(
        f"witness add-checkpoint, {requests} checkpoints each {GROWTH} leaves on, one client: "
        f"{cosigned:6.0f}/s over HTTP; baselines: an empty request to the same server "
        f"{empty:6.0f}/s ({cosigned / empty:4.2f}x of it), add-checkpoint in-process "
        f"{in_process:6.0f}/s ({cosigned / in_process:4.2f}x of it)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print("witness (one run; ratios against baselines of the same run)")
    verify_with_policy(args.events, args.repeat)
    witness_throughput(args.requests)


if __name__ == "__main__":
    main()
