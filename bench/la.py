"""LA readiness and pre-filled requests for a long record (a known history plus
observations, 2,000 events in all).

    python -m bench.la [--events 2000] [--pages 20]

Baselines of the same run: the generic readiness hints (the built-in `generic` profile, the
overview's) over the same entries (for readiness and filling), one PDF render of the whole
request (for fitting it to a page budget), and the same export without a request (for the
bundle).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from api import la_requests
from api.bootstrap import Exporter, LaRequest, open_records
from api.settings import Settings
from domain import commands as cmd
from domain.envelope import RecordedBy
from exporters.la_document import request_document
from ledger.keys import EXPORTER_KEY, LOG_KEY, create_key_pair
from projections.la_profile import BUILTIN_DIR, parse_profile, scan_profiles
from projections.la_readiness import la_readiness
from projections.la_request import fill_request
from projections.readiness import readiness
from tests.factories import SENCO, TODAY, fixed_clock
from tests.la_history import on_store, register_known_child

KP = RecordedBy("bench-kp", "practitioner", "test-setting")


def timed(run: Callable[[], Any], repeat: int = 5) -> float:
    """Median seconds of `repeat` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        for name in (LOG_KEY, EXPORTER_KEY):
            create_key_pair(settings.keys_dir, name)
        records = open_records(settings, clock=fixed_clock)
        child, _ = register_known_child(records, "Bench")
        add = on_store(records, child)
        written = records.get_child(child).version
        for n in range(args.events - written):
            day = date(2024, 9, 9) + timedelta(days=n * 800 // args.events)
            add(
                cmd.RecordObservation,
                day,
                by=KP,
                basis="fact",
                area="communication_language",
                notes=f"Observation {n}: joined the group briefly; named objects with a model.",
                observer="Key person",
            )
        exporter = Exporter(records, settings, pdf=False)
        entries = exporter.views.admitted(child)
        profiles = scan_profiles([BUILTIN_DIR]).profiles
        print(f"{len(entries)} events, {len(profiles)} profiles, as of {TODAY}")

        base = timed(lambda: readiness(entries, today=TODAY))
        print(f"generic readiness hints (baseline): {base * 1000:.1f} ms")
        for pid, each in sorted(profiles.items()):
            check = timed(partial(la_readiness, entries, each, today=TODAY))
            fill = timed(partial(fill_request, entries, each, today=TODAY))
            print(
                f"  {pid:<26} readiness {check * 1000:6.1f} ms ({check / base:4.1f}x)   "
                f"fill {fill * 1000:6.1f} ms ({fill / base:4.1f}x)"
            )

        # The Code of Practice profile without its limit on observations: a case file of
        # every observation, so that fitting it to the page budget has work to do.
        raw = (BUILTIN_DIR / "generic-cop.toml").read_bytes().replace(b", limit = 12", b"")
        unlimited = parse_profile(BUILTIN_DIR / "generic-cop.toml", raw)
        filled = fill_request(entries, unlimited, today=TODAY)
        html = timed(lambda: request_document(filled, pdf_wanted=False))
        one = timed(lambda: request_document(filled, pdf_wanted=True), repeat=3)
        fitted = request_document(filled, pdf_wanted=True, pages=args.pages)
        fit = timed(lambda: request_document(filled, pdf_wanted=True, pages=args.pages), repeat=3)
        budget = fitted.request["page_budget"]
        print(
            f"generic-cop request, every observation: HTML {html * 1000:.0f} ms; "
            f"one PDF render {one:.2f} s "
            f"({budget['pages_full']} pages, baseline); within {args.pages} pages {fit:.2f} s "
            f"({fit / one:.1f}x, {budget['used']} pages, "
            f"{len(fitted.request['left_out'])} statements left out and listed)"
        )

        def export(la: LaRequest | None) -> None:
            exporter.export(child, as_of=TODAY, known_at=None, reason=None, by=SENCO, la=la)

        plain = timed(lambda: export(None), repeat=3)
        loaded = profiles["generic-cop"]
        with_la = timed(lambda: export(la_requests.la_request(loaded)), repeat=3)
        print(
            f"export without PDF report: {plain:.2f} s (baseline); with the request "
            f"(HTML+JSON) {with_la:.2f} s ({with_la / plain:.2f}x)"
        )
        records.close()


if __name__ == "__main__":
    main()
