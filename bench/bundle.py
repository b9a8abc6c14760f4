"""Bundle export, verification and the PDF report for a 2,000-event record shaped like the
demo's (long free text, many kinds: `bench.long_record`), on each store.

    python -m bench.bundle [--events 2000] [--pdf] [--repeat 3]

Baselines of the same run: a full replay of the same child (reading and decoding its
events into the aggregate) for export and verification; for memory, the peak RSS of a
process that only replays the child beside one that exports it (no PDF).
Goals: export (no PDF) <= 1.5x replay; verify <= 0.3x replay; the PDF <= 5 s.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

from eventsourcing.application import project_aggregate

from api.bootstrap import Exporter, open_records
from api.settings import Settings
from bench.long_record import write_long_record
from bench.stores import fresh_settings, kinds
from exporters.bundle import build_bundle
from exporters.report_files import DEFAULT_PAGES, report_files
from exporters.verify import verify_bundle
from ledger.keys import EXPORTER_KEY, LOG_KEY, create_key_pair


def median_s(run: Callable[[], object], repeat: int) -> float:
    return timed(run, repeat)[0]


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall-clock and median CPU seconds of this process. On a shared machine the
    CPU time is the steadier measure (another job's load stretches the wall clock, not the
    work done); the database server's own CPU is not in it."""
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu)


def export(exporter: Exporter, child_id: UUID, *, pdf: bool, pages: int = DEFAULT_PAGES) -> bytes:
    """The bundle as `sendtrail export` makes it (HTML report; the PDF if asked)."""
    bundle = build_bundle(
        exporter.records,
        exporter.ledger,
        exporter.views,
        child_id,
        as_of=None,
        known_at=None,
        keys=exporter.keys,
        report=report_files(pdf=pdf, pages=pages),
    )
    return bundle.content


def bench_store(kind: str, events: int, repeat: int, pdf: bool) -> None:
    with fresh_settings(kind) as settings:
        for name in (LOG_KEY, EXPORTER_KEY):
            create_key_pair(settings.keys_dir, name)
        records = open_records(settings)
        child_id = write_long_record(records, events)
        exporter = Exporter(records, settings, pdf=False)

        def replay() -> object:
            return project_aggregate(None, records.events.get(child_id))

        full, full_cpu = timed(replay, repeat)
        cold = median_s(
            lambda: export(Exporter(records, settings, pdf=False), child_id, pdf=False), 1
        )
        warm, warm_cpu = timed(lambda: export(exporter, child_id, pdf=False), repeat)
        content = export(exporter, child_id, pdf=False)
        check, check_cpu = timed(lambda: verify_bundle(content), repeat)
        print(
            f"{kind:8} {events} events: full replay {full * 1000:6.0f} ms (baseline); "
            f"export, no PDF: cold {cold:5.2f} s ({cold / full:4.1f}x), warm {warm:5.2f} s "
            f"({warm / full:4.1f}x); verify {check:5.2f} s ({check / full:4.2f}x); "
            f"bundle {len(content) / 1e6:.1f} MB"
        )
        print(
            f"{kind:8} the same in this process's CPU time: replay {full_cpu * 1000:6.0f} ms; "
            f"export warm {warm_cpu * 1000:6.0f} ms ({warm_cpu / full_cpu:4.1f}x); "
            f"verify {check_cpu * 1000:6.0f} ms ({check_cpu / full_cpu:4.2f}x)"
        )
        if pdf:
            with_pdf = median_s(lambda: export(exporter, child_id, pdf=True), repeat)
            print(
                f"{kind:8} {events} events: export with the PDF report ({DEFAULT_PAGES}-page "
                f"budget) {with_pdf:5.2f} s, of which the PDF {with_pdf - warm:5.2f} s"
            )
        if kind == "sqlite":
            peaks = {job: _peaks(settings, child_id, job) for job in ("replay", "export")}
            (rss_replay, heap_replay), (rss_export, heap_export) = peaks["replay"], peaks["export"]
            print(
                f"{kind:8} a fresh process that opens the store, then replays the child "
                f"(baseline) or exports it (no PDF): peak RSS {rss_replay:.0f} MB / "
                f"{rss_export:.0f} MB ({rss_export / rss_replay:.2f}x); peak Python "
                f"allocations of the job itself {heap_replay:.1f} MB / {heap_export:.1f} MB "
                f"({heap_export / heap_replay:.1f}x)"
            )
        records.close()


def _peaks(settings: Settings, child_id: UUID, job: str) -> tuple[float, float]:
    """Peak resident memory of a fresh process doing `job` on the store, and the peak of
    the job's own Python allocations (MB)."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.bundle",
            "--peak",
            job,
            str(settings.data_dir),
            str(child_id),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rss, heap = out.stdout.split()
    return float(rss), float(heap)


def peak(job: str, data_dir: str, child: str) -> None:
    """Run in a fresh process: do `job`, print the peak RSS and the job's peak Python
    allocations, in MB."""
    settings = Settings(data_dir=Path(data_dir))
    records = open_records(settings)
    child_id = UUID(child)
    exporter = Exporter(records, settings, pdf=False)
    tracemalloc.start()
    if job == "replay":
        project_aggregate(None, records.events.get(child_id))
    else:
        export(exporter, child_id, pdf=False)
    heap = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    records.close()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, heap)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pdf", action="store_true", help="Also time the PDF report.")
    parser.add_argument("--peak", nargs=3, metavar=("JOB", "DATA_DIR", "CHILD"), help="internal")
    args = parser.parse_args()
    if args.peak:
        peak(*args.peak)
        return
    print("bundle (one run; ratios against a full replay of the same child, same store)")
    for kind in kinds():
        bench_store(kind, args.events, args.repeat, args.pdf)


if __name__ == "__main__":
    main()
