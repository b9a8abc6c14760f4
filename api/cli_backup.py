"""`sendtrail backup DIR` and `sendtrail restore DIR` (procedure in the README).

Exit codes: 0 done; 1 a check failed (a file differs from the manifest, or the restored
store fails its audit: the file, leaf or record is named); 2 refused (a non-empty target,
no log key, no pg_dump); 4 the key store refused, or the KEK is missing for a restored
store; 5 the store could not be read or written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress as Bar
from rich.progress import TaskID

from api.backup import BackupRefused, Progress, take_backup
from api.backup_manifest import BackupInvalid
from api.crash_points import crash_at
from api.exit_codes import EXIT_FAILED, EXIT_KEYS, EXIT_REFUSED
from api.restore import RestoreFailed, RestoreRefused, restore
from api.settings import Settings
from ledger.audit import AuditError
from ledger.keys import LOG_KEY, KeyFileError, key_paths, load_private

console = Console()


@contextmanager
def _bar() -> Iterator[Progress]:
    """A rich progress bar per phase (key store, event store)."""
    with Bar(console=console, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def advance(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what.capitalize(), total=total or 1)
            bar.update(tasks[what], completed=done, total=total or 1)

        yield advance


def _refuse(message: str, code: int = EXIT_REFUSED) -> typer.Exit:
    console.print(f"[red]Refused:[/red] {escape(message)}", soft_wrap=True)
    return typer.Exit(code)


def backup(
    folder: Annotated[Path, typer.Argument(help="A new (or empty) folder for the backup.")],
) -> None:
    """Back up the event store and the key store online, consistently, with a signed
    checkpoint and a manifest of SHA-256 hashes. The KEK file is never copied."""
    settings = Settings()
    try:
        log_key = load_private(key_paths(settings.keys_dir, LOG_KEY).private)
    except KeyFileError as error:
        raise _refuse(f"{error}: the backup's checkpoint is signed with the log key") from None
    try:
        with _bar() as progress:
            done = take_backup(
                settings,
                folder,
                log_key=log_key,
                progress=progress,
                step=crash_at(settings.test_crash_at),
            )
    except BackupRefused as error:
        raise _refuse(str(error)) from None
    manifest = done.manifest
    needed = ", ".join(map(str, manifest.kek_versions_needed)) or "none"
    console.print(
        f"Backed up to {folder}: {manifest.checkpoint_size} events at a signed checkpoint, "
        f"{len(manifest.files)} files listed with SHA-256 in manifest.json and SHA256SUMS. "
        f"The KEK is not in it: keep KEK version(s) {needed} apart, as long as this backup.",
        soft_wrap=True,
    )


def restore_command(
    folder: Annotated[Path, typer.Argument(help="The backup folder (with manifest.json).")],
) -> None:
    """Restore a backup into an empty installation, check every hash, audit the result and
    (with the KEK file in place) read every record."""
    settings = Settings()
    try:
        with _bar() as progress:
            done = restore(settings, folder, progress=progress)
    except BackupInvalid as error:
        console.print(f"[red]RESTORE REFUSED[/red] {error.where}: {error.reason}", soft_wrap=True)
        raise typer.Exit(EXIT_FAILED) from None
    except RestoreRefused as error:
        raise _refuse(str(error)) from None
    except (AuditError, RestoreFailed) as error:
        console.print(
            f"[red]RESTORED BUT AUDIT FAILED[/red] {error.where}: {error.reason}", soft_wrap=True
        )
        raise typer.Exit(EXIT_FAILED) from None
    report = done.audit
    console.print(
        f"Restored {folder}: AUDIT OK, {report.leaves} leaves, {report.children} records, "
        f"the backup's checkpoint at {done.manifest.checkpoint_size} verified.",
        soft_wrap=True,
    )
    if done.kek_missing:
        console.print(
            f"[yellow]Not readable yet:[/yellow] put the KEK file holding version(s) "
            f"{', '.join(map(str, done.kek_missing))} at {settings.kek_path}.",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_KEYS)
    console.print(
        f"Every record reads: {done.readable} decrypted, {done.erased} erased.", soft_wrap=True
    )
