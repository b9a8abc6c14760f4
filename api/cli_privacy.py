"""`sendtrail erase`, `sendtrail keys rotate-kek` and `sendtrail keys status`."""

from __future__ import annotations

from typing import Annotated, cast
from uuid import UUID

import typer
from rich.console import Console

from api.bootstrap import open_key_store, open_records
from api.crash_points import Step, crash_at
from api.erasure import ErasureRefused, erase_child
from api.exit_codes import EXIT_NOT_FOUND, EXIT_REFUSED
from api.pending_erasures import finish_pending_erasures, pending_erasures
from api.published_keys import published
from api.settings import Settings
from domain.application import ChildRecords
from domain.envelope import EnvelopeDraft, RecordedBy
from domain.errors import ChildNotFound, DomainError
from ledger.key_errors import PrivacyError
from ledger.log import LedgerBackend

console = Console()


def erase(
    child: Annotated[str, typer.Argument(help="The child's full id (no prefixes here).")],
    reason: Annotated[str, typer.Option(help="Why (kept in the erasure event, then shredded).")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a child's record for good: destroy its data keys and purge the read models.

    Refused under a legal hold. The audit log keeps verifying, other children are
    untouched, and bundles exported earlier still verify offline. Safe to re-run: a run
    interrupted after the erasure was recorded finishes the rest.
    """
    try:
        child_id = UUID(child)
    except ValueError:
        console.print("[red]Refused:[/red] give the child's full id to erase it")
        raise typer.Exit(EXIT_REFUSED) from None
    settings = Settings()
    step = crash_at(settings.test_crash_at)
    records = open_records(settings)
    try:
        finish_interrupted(records, step)
        if not records.is_erased(child_id):
            records.get_child(child_id)  # ChildNotFound before asking anything
        if not yes:
            typer.confirm(
                f"Erase child {child_id}? Its data key is destroyed: no event of this record "
                "can be read again, by anyone",
                abort=True,
            )
        done = erase_child(
            records,
            cast(LedgerBackend, records.recorder),
            child_id,
            draft=lambda setting: EnvelopeDraft(
                records.clock(), RecordedBy("cli", "admin", setting)
            ),
            reason=reason,
            step=step,
        )
    except ChildNotFound:
        console.print("[red]No child with that id.[/red]")
        raise typer.Exit(EXIT_NOT_FOUND) from None
    except DomainError as error:  # a legal hold
        console.print(f"[red]Refused:[/red] {error.message}")
        raise typer.Exit(EXIT_REFUSED) from None
    except ErasureRefused as error:
        console.print(f"[red]Refused:[/red] {error}")
        raise typer.Exit(EXIT_REFUSED) from None
    finally:
        records.close()
    recorded = (
        f"RecordErased recorded as v{done.erased_version}"
        if done.erased_version is not None
        else "the erasure was already recorded"
    )
    console.print(
        f"Erased child {child_id}: {recorded}; {done.keys_destroyed} data key(s) destroyed; "
        f"read models purged ({done.users_removed} parent user(s) removed). The audit log "
        "still verifies, and bundles exported earlier still verify offline."
    )


def finish_interrupted(records: ChildRecords, step: Step) -> None:
    """Finish every erasure that was recorded but not finished (say which)."""
    backend = cast(LedgerBackend, records.recorder)
    for child in finish_pending_erasures(records, backend, open_key_store(records), step=step):
        console.print(f"Finished the interrupted erasure of child {child}: its keys are destroyed.")


def rotate_kek() -> None:
    """Rewrap every data key under a new key-encryption key (events are not touched)."""
    settings = Settings()
    records = open_records(settings)
    try:
        keys = open_key_store(records)
        version = keys.rotate_kek()
        status = keys.status()
    except PrivacyError as error:
        console.print(f"[red]Refused:[/red] {error}")
        raise typer.Exit(EXIT_REFUSED) from None
    finally:
        records.close()
    console.print(
        f"KEK rotated to version {version}: {status.data_keys} data key(s) rewrapped; "
        f"{settings.kek_path} now holds only the new KEK."
    )


def keys_status() -> None:
    """Show the key store: active KEK version, data keys, erased records."""
    settings = Settings()
    records = open_records(settings)
    try:
        keys = open_key_store(records)
        status = keys.status()
        pending = pending_erasures(cast(LedgerBackend, records.recorder), keys)
    except PrivacyError as error:
        console.print(f"[red]Refused:[/red] {error}")
        raise typer.Exit(EXIT_REFUSED) from None
    finally:
        records.close()
    console.print(
        f"key store {settings.key_store_name}: KEK version {status.active_kek} active "
        f"(KEK file {settings.kek_path} holds versions "
        f"{', '.join(map(str, status.kek_versions_in_file))}); "
        f"{status.data_keys} data key(s); {status.erased} erased; "
        f"{len(pending)} erasure(s) pending"
    )
    shown = published(settings)
    console.print(f"log origin {shown['log_origin']}")
    for role, found in shown["keys"].items():
        console.print(f"{role} key fingerprint {found['fingerprint']}")
    for child in pending:
        console.print(
            f"[yellow]pending[/yellow] {child}: recorded as erased but its keys still exist "
            "(any erasure command, or restarting serve, finishes it)"
        )
