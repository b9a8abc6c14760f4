"""`sendtrail audit`: the key-free, read-only check of the whole ledger.

It opens the event store without the application (so without the KEK), read-only and in
one snapshot, and the key store read-only: it creates and changes nothing (SQLite may leave
its own empty `-wal`/`-shm` files beside a database that had none). Exit codes: 0 intact;
1 a check failed (the first bad leaf, chain, checkpoint or record is named); 4 the key
store refused (missing, empty or another event store's while encrypted events exist);
5 the store could not be read (the file or database and the reason are named).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from api.documents_cleanup import GRACE
from api.exit_codes import EXIT_FAILED, EXIT_REFUSED, EXIT_UNREADABLE
from api.keyless import open_keyless
from api.pending_erasures import pending_erasures
from api.settings import Settings
from ledger.audit import AuditError, AuditReport, audit
from ledger.audit_since import audit_since
from ledger.documents import unlinked
from ledger.key_errors import KeyStoreRefused
from ledger.keyless import StoreUnavailable
from ledger.keys import LOG_KEY, KeyFileError, key_paths, load_public
from ledger.keystore_pg import open_key_view
from ledger.log import Ledger, LedgerBackend
from ledger.pairing import event_store_installation, refusal, uncovered_originators

console = Console()


def _say(line: str) -> None:
    console.print(line, soft_wrap=True)


def audit_command(
    since_checkpoint: Annotated[
        Path | None, typer.Option(help="A checkpoint note kept elsewhere, to check against.")
    ] = None,
    incremental: Annotated[
        bool,
        typer.Option(
            "--incremental",
            help="With --since-checkpoint: re-derive only the leaves written after it, and "
            "check the tree and heads before it are the ones it signed (see LEDGER.md).",
        ),
    ] = False,
    key_store: Annotated[
        bool,
        typer.Option(
            "--key-store/--no-key-store",
            help="Also check the key store belongs to these events and holds a key (or a "
            "tombstone) for every encrypted record; --no-key-store audits the events alone.",
        ),
    ] = True,
    files_older_than: Annotated[
        float,
        typer.Option(
            help="Count as orphans the files attached to no entry uploaded over this many "
            "hours ago (an upload may be about to be attached)."
        ),
    ] = GRACE.total_seconds() / 3600,
) -> None:
    """Re-derive every leaf, chain and root without any key, changing nothing; exit 1
    naming the first bad leaf, 4 if the key store is refused, 5 if the store is unreadable."""
    settings = Settings()
    if incremental and since_checkpoint is None:
        _say("[red]Refused:[/red] --incremental needs --since-checkpoint FILE (what to go on from)")
        raise typer.Exit(EXIT_REFUSED)
    try:
        extra = [since_checkpoint.read_text()] if since_checkpoint else []
    except OSError as error:
        _say(f"[red]Refused:[/red] cannot read {since_checkpoint}: {error.strerror}")
        raise typer.Exit(EXIT_REFUSED) from None
    log_public = key_paths(settings.keys_dir, LOG_KEY).public
    try:
        log_key = load_public(log_public)
    except KeyFileError as error:
        _say(f"[red]AUDIT NOT RUN[/red] could not read {log_public}: {escape(str(error))}")
        raise typer.Exit(EXIT_UNREADABLE) from None
    backend = open_keyless(settings)
    try:
        with backend.ledger_cursor():  # one snapshot for every check below
            report = _audit(backend, settings, log_key, extra, incremental=incremental)
            keys_said = _key_store(backend, settings) if key_store else ""
            orphaned = _unattached(backend, timedelta(hours=files_older_than))
            pending = len(_unattached(backend, timedelta(0))) - len(orphaned)
    finally:
        backend.close()
    signed = (
        f"latest signed checkpoint at {report.latest_checkpoint_size} leaves"
        if report.latest_checkpoint_size is not None
        else "no signed checkpoint yet"
    )
    _say(
        f"AUDIT OK: {report.leaves} leaves, {report.children} children, "
        f"{report.checkpoints} checkpoints verified, {signed}; root {report.root.hex()}"
        f"{keys_said}; {len(orphaned)} orphan file(s)"
        + (
            f", {pending} uploaded file(s) not attached yet (under {files_older_than:g} h old)"
            if pending
            else ""
        )
    )
    for note in report.notes:
        _say(note)
    if orphaned:
        children = len({child for child, _ in orphaned})
        _say(
            f"[yellow]ORPHAN FILES[/yellow] {len(orphaned)} file(s) of {children} child(ren), "
            f"stored over {files_older_than:g} hours ago, that no entry attaches "
            "(an upload whose entry was never stored): `sendtrail documents orphans` lists "
            "them and `sendtrail documents cleanup` deletes them. (Files attached before "
            "sendtrail recorded links count here until `documents orphans` has run once.)"
        )


def _unattached(backend: LedgerBackend, grace: timedelta) -> list[tuple[str, str]]:
    """Files no entry attaches, stored over `grace` ago (key-free: the links are plain)."""
    with backend.ledger_cursor() as cursor:
        return unlinked(cursor, backend.tables, datetime.now(tz=UTC) - grace)


def _size_of(note: str) -> int:
    """The tree size a checkpoint note claims (0 if it claims none; the audit refuses it)."""
    lines = note.split("\n")
    return int(lines[1]) if len(lines) > 1 and lines[1].isdigit() else 0


def _audit(
    backend: LedgerBackend,
    settings: Settings,
    log_key: Ed25519PublicKey,
    extra: list[str],
    *,
    incremental: bool = False,
) -> AuditReport:
    ledger = Ledger(backend, origin=settings.log_origin)
    try:
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("Auditing", total=ledger.size())
            if incremental:
                kept = _size_of(extra[0])
                bar.update(task, total=max(ledger.size() - kept, 0))
                return audit_since(
                    ledger,
                    extra[0],
                    log_key=log_key,
                    key_name=settings.log_origin,
                    progress=lambda n: bar.advance(task, n),
                )
            return audit(
                ledger,
                log_key=log_key,
                key_name=settings.log_origin,
                extra_checkpoints=extra,
                progress=lambda n: bar.advance(task, n),
            )
    except AuditError as error:
        fault = getattr(backend, "fault", None)
        if error.where == "store" and fault is not None:  # the disk, not the data
            _say(f"[red]AUDIT NOT RUN[/red] could not read the store: {fault.cause}")
            raise typer.Exit(EXIT_UNREADABLE) from None
        _say(f"[red]AUDIT FAILED[/red] {error.where}: {error.reason}")
        raise typer.Exit(EXIT_FAILED) from None
    except StoreUnavailable as error:
        _say(f"[red]AUDIT NOT RUN[/red] could not read the store: {error}")
        raise typer.Exit(EXIT_UNREADABLE) from None


def _key_store(backend: LedgerBackend, settings: Settings) -> str:
    """The key-store checks (read-only, no KEK); what to add to the OK line."""
    path = settings.key_store_name
    view = open_key_view(settings.key_store_location)
    try:
        why = refusal(backend, view, Path(path))
        if why:
            raise KeyStoreRefused(why, file=path)
        if view is None:
            return "; no key store (no encrypted event)"
        missing = uncovered_originators(backend, view)
        if missing:
            _say(
                f"[red]AUDIT FAILED[/red] record {missing[0][:8]} ({len(missing)} in all): "
                f"its events are encrypted but {path} holds neither its data key nor a "
                "tombstone (a key store older than the event store?)"
            )
            raise typer.Exit(EXIT_FAILED)
        for child in (pending := pending_erasures(backend, view)):
            _say(
                f"[yellow]PENDING ERASURE[/yellow] child {child}: recorded as erased, but "
                "its data keys still exist; `sendtrail erase ID --reason R --yes`, "
                "`retention dispose` or restarting `serve` finishes it"
            )
        installation = event_store_installation(backend)
        bound = f"bound to installation {installation[:8]}" if installation else "not bound yet"
        return (
            f"; key store {bound}, every encrypted record covered, "
            f"{len(pending)} pending erasure(s)"
        )
    finally:
        if view is not None:
            view.close()
