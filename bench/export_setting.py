"""Setting export and import: events per second for `export-setting` and for `import
--from-sendtrail` of the same export into an empty store.

    python -m bench.export_setting [--children 60]

Baselines of the same run:
- export: reading (opening and decoding) every child's history, which any export must
  do; the ratio is what the leaves, proofs, CSV summaries and manifests add;
- import: checking each child once and storing it (one pass, no dry run first); the
  ratio is what checking everything before storing anything costs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import cast

from api.bootstrap import open_key_store, open_ledger, open_records, set_record_clock
from api.cli_export_setting import setting_keys
from api.cli_serve import ensure_keys
from api.demo import build_demo_cohort
from api.importing.from_sendtrail import SendtrailImporter
from api.settings import Settings
from exporters.setting_export import export_setting
from ledger.documents import DocumentStore
from ledger.log import LedgerBackend


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=60)
    children = parser.parse_args().children
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source = Settings(data_dir=root / "source", database_url=None)
        ensure_keys(source)
        records = open_records(source)
        ids = build_demo_cohort(
            records,
            children=children,
            seed=1,
            today=date(2026, 11, 24),
            record_clock=lambda c: set_record_clock(records, c),
        )
        start = time.perf_counter()
        events = sum(len(records.history(c)) for c in ids)
        read = time.perf_counter() - start

        start = time.perf_counter()
        done = export_setting(
            records,
            open_ledger(records, source),
            DocumentStore(cast(LedgerBackend, records.recorder)),
            lambda c: open_key_store(records).aead(c, create=False),
            root / "export",
            keys=setting_keys(source),
        )
        exported = time.perf_counter() - start
        records.close()
        assert done.events == events
        print(f"{children} children, {events} events")
        print(
            f"export-setting: {events / exported:,.0f} events/s "
            f"(baseline, reading every history: {events / read:,.0f} events/s; "
            f"ratio {read / exported:.2f})"
        )

        target = open_records(Settings(data_dir=root / "target", database_url=None))
        start = time.perf_counter()
        outcome = SendtrailImporter(target, root / "export", user="bench").run(dry_run=False)
        imported = time.perf_counter() - start
        assert not outcome.refused, outcome.refused[:3]
        assert outcome.events == events
        target.close()

        once = open_records(Settings(data_dir=root / "once", database_url=None))
        importer = SendtrailImporter(once, root / "export", user="bench")
        start = time.perf_counter()
        importer.open()
        for entry in importer.children():
            child_id, checked = importer.check_child(entry)
            child, _ = importer.build(child_id, checked)
            if child is not None:
                once.save(child)
        single = time.perf_counter() - start
        once.close()
        print(
            f"import --from-sendtrail: {events / imported:,.0f} events/s "
            f"(baseline, check and store in one pass: {events / single:,.0f} events/s; "
            f"ratio {single / imported:.2f})"
        )


if __name__ == "__main__":
    main()
