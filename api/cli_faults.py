"""How every command tells a storage or key fault: one line naming the cause, one exit code.

Exit codes (the README's table): 4 the key store refused (KEK file missing, wrong or
readable by others; key store missing, empty, damaged or another installation's; a data
key missing; a ciphertext that fails authentication); 5 the store — event store or key
store — could not be read or written (disk full, database unreachable, read-only, I/O).
Installed once on the whole typer app, so `sendtrail` and tests through typer's CliRunner
see the same.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
import typer
from eventsourcing.persistence import PersistenceError
from rich.console import Console
from rich.markup import escape

from api.exit_codes import EXIT_KEYS, EXIT_STORAGE
from api.keyless import store_name
from api.settings import Settings
from ledger.faults import DAMAGED, classify, in_folder
from ledger.key_errors import KeyStoreRefused, KeyStoreUnavailable, PrivacyError
from ledger.keyless import StoreUnavailable

console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])
STORE_ERRORS = (PersistenceError, sqlite3.Error, psycopg.Error)


def explain(error: BaseException) -> tuple[int, str] | None:
    """(exit code, one line) for a storage or key fault; None for anything else."""
    if isinstance(error, KeyStoreUnavailable):
        if error.cause == DAMAGED:
            return EXIT_KEYS, f"Cannot use the key store: key store damaged: {error.file}"
        return EXIT_STORAGE, f"Cannot use the store: {error.cause} (key store {error.file})"
    if isinstance(error, KeyStoreRefused):
        return EXIT_KEYS, f"Key store refused: {error}"
    if isinstance(error, PrivacyError):
        return EXIT_KEYS, f"Key store: {error}"
    if isinstance(error, StoreUnavailable):
        return EXIT_STORAGE, f"Cannot use the store: {error.cause} ({error.where})"
    if not isinstance(error, STORE_ERRORS):
        return None  # an OSError of some other file (an export's folder, say) is not the store
    fault = classify(error)
    if fault is None:
        return None
    settings = Settings()
    if settings.database_url is None:
        fault = in_folder(fault, settings.sqlite_path.parent)
    return EXIT_STORAGE, f"Cannot use the store: {fault.cause} ({store_name(settings)})"


def told(command: F) -> F:
    """`command`, with storage and key faults told in one line and their exit code."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except Exception as error:
            said = explain(error)
            if said is None:
                raise
            console.print(f"[red]{escape(said[1])}[/red]", soft_wrap=True)
            raise typer.Exit(said[0]) from None

    return run  # type: ignore[return-value]


def install(app: typer.Typer) -> None:
    """Wrap every command of `app` and of its sub-apps with `told`."""
    for command in app.registered_commands:
        if command.callback is not None:
            command.callback = told(command.callback)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            install(group.typer_instance)
