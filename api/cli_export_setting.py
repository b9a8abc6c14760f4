"""`sendtrail export-setting DIR`: every child's whole record, open and checkable, for a
setting that leaves or moves (see exporters.setting_export)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast
from uuid import UUID

import typer
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from rich.console import Console
from rich.progress import Progress

from api.bootstrap import open_key_store, open_ledger, open_records
from api.exit_codes import EXIT_REFUSED
from api.settings import Settings
from exporters.setting_export import SettingExportError, SettingKeys, export_setting
from ledger.documents import DocumentStore
from ledger.keys import EXPORTER_KEY, LOG_KEY, KeyFileError, key_paths, load_private, load_public
from ledger.log import LedgerBackend

console = Console()


def setting_keys(settings: Settings) -> SettingKeys:
    """The log's public key (and private key, to sign a checkpoint covering everything)."""
    log = key_paths(settings.keys_dir, LOG_KEY)
    exporter = key_paths(settings.keys_dir, EXPORTER_KEY)
    return SettingKeys(
        log_public=load_public(log.public),
        origin=settings.log_origin,
        log_private=load_private(log.private) if log.private.exists() else None,
        exporter_public=load_public(exporter.public) if exporter.public.exists() else None,
    )


def export_setting_command(
    folder: Annotated[Path, typer.Argument(help="A new (or empty) folder to write.")],
    setting: Annotated[
        str | None,
        typer.Option("--setting", help="Only the children whose record is in this setting."),
    ] = None,
) -> None:
    """Write every child's record (events with their leaves and proofs, files, a CSV per
    kind of entry), the signed checkpoint and the public keys, as a BagIt folder that
    another system, or `sendtrail import DIR --from-sendtrail`, can take in whole. It is
    personal data in clear: keep it as safely as the installation."""
    settings = Settings()
    records = open_records(settings)
    try:
        keys = setting_keys(settings)
        ledger = open_ledger(records, settings)
        store = DocumentStore(cast(LedgerBackend, records.recorder))

        def aead(child_id: UUID) -> AESGCM:
            return open_key_store(records).aead(child_id, create=False)

        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Exporting entries", total=None)
            done = export_setting(
                records,
                ledger,
                store,
                aead,
                folder,
                keys=keys,
                setting=setting,
                progress=lambda n: progress.advance(task, n),
            )
    except (SettingExportError, KeyFileError) as error:
        console.print(f"[red]Cannot export:[/red] {error}")
        raise typer.Exit(EXIT_REFUSED) from None
    finally:
        records.close()
    left_out = f"; {done.erased_left_out} erased records left out" if done.erased_left_out else ""
    console.print(
        f"Wrote {done.events} entries of {done.children} children, {done.documents} files and "
        f"{len(done.kinds)} CSV summaries to {folder} (checkpoint size "
        f"{done.checkpoint_size}){left_out}. It holds personal data in clear.",
        markup=False,
    )
