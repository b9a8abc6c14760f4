"""The layering of DESIGN.md, checked: api -> exporters -> projections -> {domain, ledger}."""

from __future__ import annotations

import ast
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
    assert "Contracts: 5 kept, 0 broken" in run.stdout


def imported_roots(path: Path) -> set[str]:
    """Every top-level package a module imports, wherever the import stands (indented
    under `if TYPE_CHECKING:` or inside a function included)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_imports_are_found_wherever_they_stand(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import fastapi\n"
        "def f():\n    from psycopg import sql\n"
    )
    assert imported_roots(module) == {"typing", "fastapi", "psycopg"}


def test_domain_imports_only_stdlib_and_eventsourcing() -> None:
    allowed_roots = {"eventsourcing", "domain", "__future__"} | set(sys.stdlib_module_names)
    for path in (ROOT / "domain").glob("*.py"):
        for root in imported_roots(path):
            assert root in allowed_roots, f"{path.name} imports {root}"


def test_web_pages_never_import_the_http_routes() -> None:
    for path in (ROOT / "api" / "web").glob("*.py"):
        source = ast.parse(path.read_text())
        for node in ast.walk(source):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("api.routes"), f"{path.name}: {node.module}"
