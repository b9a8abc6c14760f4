"""The layering of DESIGN.md, checked: api -> exporters -> projections -> {domain, ledger}."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_linter_contracts_hold() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is a dev dependency"
    run = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Contracts: 3 kept, 0 broken" in run.stdout


def test_domain_imports_only_stdlib_and_eventsourcing() -> None:
    allowed_roots = {"eventsourcing", "domain", "__future__"} | set(sys.stdlib_module_names)
    for path in (ROOT / "domain").glob("*.py"):
        for line in path.read_text().splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] in ("import", "from") and not line.startswith(" "):
                root = words[1].split(".")[0]
                assert root in allowed_roots, f"{path.name} imports {root}"
