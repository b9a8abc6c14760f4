"""Bundle export and verification for a 2,000-event child.

    python -m bench.bundle [--events 2000]

Baseline of the same run: reading and decoding the same child's events (a full replay).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from eventsourcing.application import project_aggregate

from api.bootstrap import Exporter, open_records
from api.settings import Settings
from bench.stores import write_child
from domain.envelope import RecordedBy
from exporters.bundle import build_bundle
from exporters.report_files import report_files
from exporters.verify import verify_bundle
from ledger.keys import EXPORTER_KEY, LOG_KEY, create_key_pair

BY = RecordedBy("bench-kp", "practitioner", "bench-setting")


def _timed(run: object) -> float:
    started = time.perf_counter()
    run()  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--pdf", action="store_true", help="Also time the PDF report.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        for name in (LOG_KEY, EXPORTER_KEY):
            create_key_pair(settings.keys_dir, name)
        records = open_records(settings)
        child_id = write_child(records, args.events, notes="observation {n} " * 4)
        exporter = Exporter(records, settings, pdf=False)
        replay = _timed(lambda: project_aggregate(None, records.events.get(child_id)))
        cold = _timed(
            lambda: build_bundle(
                records,
                exporter.ledger,
                exporter.views,
                child_id,
                as_of=None,
                known_at=None,
                keys=exporter.keys,
            )
        )
        warm_bundle = []
        warm = _timed(
            lambda: warm_bundle.append(
                build_bundle(
                    records,
                    exporter.ledger,
                    exporter.views,
                    child_id,
                    as_of=None,
                    known_at=None,
                    keys=exporter.keys,
                )
            )
        )
        bundle = warm_bundle[0]
        check = _timed(lambda: verify_bundle(bundle.content))
        print(
            f"bundle  {args.events} events: export (cold cache) {cold:6.3f} s, "
            f"export (warm) {warm:6.3f} s, verify {check:6.3f} s; full replay baseline "
            f"{replay:6.3f} s (export/replay {cold / replay:4.2f}x, verify/replay "
            f"{check / replay:4.2f}x); size {len(bundle.content):,} bytes = "
            f"{len(bundle.content) / args.events:,.0f} bytes/event"
        )
        if args.pdf:
            report = report_files(pdf=True)
            with_pdf = _timed(
                lambda: build_bundle(
                    records,
                    exporter.ledger,
                    exporter.views,
                    child_id,
                    as_of=None,
                    known_at=None,
                    keys=exporter.keys,
                    report=report,
                )
            )
            print(f"bundle  with HTML+PDF report: {with_pdf:6.3f} s")
        records.close()


if __name__ == "__main__":
    main()
