"""Another user's read latency while three hostile bundle uploads are checked, against the
same reads with no uploads, in one run on one `sendtrail serve` (issue 14, item 2).

    .venv/bin/python -m bench.verify_stall
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.verify_load import Load, median_ms, reads, server, under_attack


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, server(Path(tmp)) as (base, headers, child):
        quiet = Load()
        reads(base, headers, child, 20, quiet)
        attacked = under_attack(base, headers, child)
    calm, busy = median_ms(quiet.reads), median_ms(attacked.reads)
    print(f"reads alone: median {calm:.1f} ms, max {max(quiet.reads) * 1000:.1f} ms")
    print(
        f"reads during 3 hostile uploads: median {busy:.1f} ms, "
        f"max {max(attacked.reads) * 1000:.1f} ms (ratio {busy / calm:.2f})"
    )
    print(f"hostile answers: {sorted(attacked.hostile_statuses)}")


if __name__ == "__main__":
    main()
