"""Forging bundles for verifier tests: re-sign what was changed."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from api.bootstrap import Exporter, open_records, set_record_clock
from api.cli import app as cli
from api.demo import build_demo_cohort
from api.settings import Settings
from domain.application import ChildRecords
from exporters import dsse
from exporters.archive import write_zip
from exporters.bagit_files import bag
from exporters.bundle import Bundle, build_bundle
from ledger.keys import EXPORTER_KEY, LOG_KEY, create_key_pair, key_paths

TODAY = date(2026, 11, 24)  # the demo cohort's 'today' in these stores


def resign(files: dict[str, bytes], key: Ed25519PrivateKey) -> bytes:
    """What an insider holding the exporter key (but not the log key) could produce."""
    payload = {k[5:]: v for k, v in files.items() if k.startswith("data/")}
    tags = {k: v for k, v in files.items() if k in ("VERIFY.txt", "signer.pub.pem", "log.pub.pem")}
    info = dict(
        line.split(": ", 1)
        for line in files["bag-info.txt"].decode().splitlines()
        if not line.startswith("Payload-Oxum")
    )
    rebagged = bag(payload, tags, info)
    digest = hashlib.sha256(rebagged["tagmanifest-sha256.txt"]).hexdigest()
    summary = json.loads(rebagged["data/bundle.json"])
    rebagged["signatures/bundle.dsse.json"] = dsse.sign_envelope(
        dsse.statement("tagmanifest-sha256.txt", digest, summary), key
    )
    return write_zip(rebagged)


@dataclass
class Store:
    settings: Settings
    records: ChildRecords
    exporter: Exporter
    children: list[UUID]

    def bundle(
        self, child: UUID, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> Bundle:
        return build_bundle(
            self.records,
            self.exporter.ledger,
            self.exporter.views,
            child,
            as_of=as_of,
            known_at=known_at,
            keys=self.exporter.keys,
        )


def make_store(
    root: Path, *, seed: int = 7, keys_from: Path | None = None, database_url: str | None = None
) -> Store:
    """A demo cohort of five children in a new store (SQLite in `root`, or the PostgreSQL
    schema `database_url` names), with new keys or copies of `keys_from`."""
    settings = Settings(data_dir=root, database_url=database_url)
    if keys_from is None:
        for name in (LOG_KEY, EXPORTER_KEY):
            create_key_pair(settings.keys_dir, name)
    else:
        shutil.copytree(keys_from, settings.keys_dir)
    records = open_records(settings)
    children = build_demo_cohort(
        records,
        children=5,
        seed=seed,
        today=TODAY,
        record_clock=lambda c: set_record_clock(records, c),
    )
    set_record_clock(records, lambda: datetime.now(tz=UTC))
    return Store(settings, records, Exporter(records, settings, pdf=False), children)


def verify_pinned(store: Store, path: Path) -> tuple[int, str]:
    """`sendtrail verify PATH` with the store's own public keys given (--key, --log-key),
    from an inspector's empty data folder beside the file: its exit code and output."""
    keys = store.settings.keys_dir
    result = CliRunner().invoke(
        cli,
        [
            "verify",
            str(path),
            "--key",
            str(key_paths(keys, EXPORTER_KEY).public),
            "--log-key",
            str(key_paths(keys, LOG_KEY).public),
        ],
        env={"SENDTRAIL_DATA": str(path.parent / "inspector"), "COLUMNS": "300"},
    )
    return result.exit_code, result.output
