"""Errors are mapped to exit codes once (issue 16.7): one table, one set of names."""

from __future__ import annotations

import ast
from pathlib import Path

from api.exit_codes import (
    EXIT_FAILED,
    EXIT_KEYS,
    EXIT_NOT_FOUND,
    EXIT_REFUSED,
    EXIT_STORAGE,
    exit_code,
)
from domain.errors import ChildErased, ChildNotFound, InvalidValue, VersionConflict
from exporters.verify import VerificationError
from ledger.key_errors import PrivacyError
from ledger.keyless import StoreUnavailable

API = Path(__file__).resolve().parents[2] / "api"


def test_each_kind_of_error_has_its_code() -> None:
    assert exit_code(ChildErased("gone", field="child_id")) == EXIT_NOT_FOUND
    assert exit_code(ChildNotFound("no such child")) == EXIT_NOT_FOUND
    assert exit_code(InvalidValue("bad", field="x")) == EXIT_REFUSED
    assert exit_code(VersionConflict(expected=1, actual=2)) == EXIT_REFUSED
    assert exit_code(VerificationError("tampered", where="events.jsonl")) == EXIT_FAILED
    assert exit_code(PrivacyError("no key")) == EXIT_KEYS
    assert exit_code(StoreUnavailable("disk full", where="store")) == EXIT_STORAGE
    assert exit_code(RuntimeError("a bug")) is None  # not hidden behind a code


def test_no_command_module_names_its_own_exit_codes() -> None:
    for path in API.glob("*.py"):
        if path.name == "exit_codes.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    name = getattr(target, "id", "")
                    assert not name.startswith("EXIT_"), f"{path.name} defines {name}"
