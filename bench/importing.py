"""Importing: rows per second for each shipped mapping on generated files, and peak
traced memory for two file sizes (flat memory means the reader streams).

    python -m bench.importing [--rows 10000]

Baseline of the same run: registering the same children through the ordinary command
(`register_child`), one at a time, so the ratio says what the import's checking costs.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
import tracemalloc
from pathlib import Path

from api.bootstrap import open_records
from api.importing.mapping import load_mapping
from api.importing.run import Importer, run_import
from api.importing.sources import read_rows
from api.settings import Settings
from domain import commands as cmd
from domain.envelope import EnvelopeDraft
from tests.factories import SENCO, fixed_clock


def _pupils(path: Path, rows: int) -> None:
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Pupil ID", "UPN", "Forename", "Surname", "DOB", "Year", "SEN status",
                      "Primary need", "Admission date"])  # fmt: skip
        for n in range(rows):
            out.writerow([f"P{n}", "", "Test", f"Child{n}", "01/02/2021", "R", "K", "SLCN",
                          "01/09/2024"])  # fmt: skip


def _chronology(path: Path, rows: int, children: int) -> None:
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Pupil ID", "Date", "Category", "Entry", "Author"])
        for n in range(rows):
            out.writerow([f"P{n % children}", f"{1 + n % 28:02d}/10/2024", "Observation",
                          f"Observation number {n}", "staff-1"])  # fmt: skip


def _provisions(path: Path, rows: int, children: int) -> None:
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Pupil ID", "Provision", "Start", "End", "Sessions per week", "Minutes",
                      "Cost", "Funding"])  # fmt: skip
        for n in range(rows):
            out.writerow([f"P{n % children}", f"Group {n}", "04/11/2024", "", "2", "20",
                          "180.00", "additional"])  # fmt: skip


def _peak_read(path: Path) -> int:
    tracemalloc.start()
    for _ in read_rows(path):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        records = open_records(
            Settings(data_dir=root / "data", database_url=None), clock=fixed_clock
        )
        children = max(1, rows // 10)
        files = {
            "pupil-list": (root / "pupils.csv", _pupils, (rows,)),
            "chronology": (root / "chron.csv", _chronology, (rows, rows)),
            "provision-map": (root / "prov.csv", _provisions, (rows, rows)),
        }
        for path, make, args in files.values():
            make(path, *args)  # type: ignore[operator]
        for name, (path, _, _) in files.items():
            start = time.perf_counter()
            out = run_import(
                Importer(records, load_mapping(name), path, user="bench"), dry_run=False
            )
            took = time.perf_counter() - start
            assert not out.refused, out.refused[:3]
            print(f"{name}: {out.rows} rows in {took:.2f} s = {out.rows / took:.0f} rows/s")
        base = open_records(Settings(data_dir=root / "base", database_url=None), clock=fixed_clock)
        start = time.perf_counter()
        for n in range(rows):
            child = cmd.RegisterChild(
                given_name="Test", family_name=f"Child{n}", date_of_birth=None, setting_id="s-1"
            )
            base.register(child, EnvelopeDraft(occurred_at=fixed_clock(), recorded_by=SENCO))
        took = time.perf_counter() - start
        print(f"baseline register_child: {rows / took:.0f} rows/s")
        small, big = root / "small.csv", root / "big.csv"
        _chronology(small, rows // 10, children)
        _chronology(big, rows, children)
        print(f"peak memory reading {rows // 10} rows: {_peak_read(small) / 1024:.0f} KiB; "
              f"{rows} rows: {_peak_read(big) / 1024:.0f} KiB")  # fmt: skip
        records.close()
        base.close()


if __name__ == "__main__":
    main()
