"""`sendtrail keys rotate-kek` and `sendtrail keys status`."""

from __future__ import annotations

import typer
from rich.console import Console

from api.bootstrap import open_key_store, open_records
from api.settings import Settings
from ledger.key_errors import PrivacyError

EXIT_REFUSED = 2
console = Console()


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
        status = open_key_store(records).status()
    except PrivacyError as error:
        console.print(f"[red]Refused:[/red] {error}")
        raise typer.Exit(EXIT_REFUSED) from None
    finally:
        records.close()
    console.print(
        f"key store {settings.key_store_path}: KEK version {status.active_kek} active "
        f"(KEK file {settings.kek_path} holds versions "
        f"{', '.join(map(str, status.kek_versions_in_file))}); "
        f"{status.data_keys} data key(s); {status.erased} erased"
    )
