"""`sendtrail witness serve`: run an independent witness for one or more settings' logs
(typically the LA's, a trust's or the governors'), and `sendtrail witness key` to show its
public key for the settings and verifiers that rely on it."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from api.exit_codes import EXIT_REFUSED
from ledger.keys import KeyFileError, load_public, raw_public

witness_app = typer.Typer(help="An independent witness of settings' logs.", no_args_is_help=True)


def witness_key(path: Path) -> Ed25519PrivateKey:
    """The witness's private key, made (0600) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path.name} is not an Ed25519 private key")
    return key


def public_text(public: Ed25519PublicKey) -> str:
    return base64.b64encode(raw_public(public)).decode()


@witness_app.command("key")
def key(
    key_file: Annotated[Path, typer.Option("--key", help="The witness's private key (PEM).")],
    name: Annotated[str, typer.Option(help="The witness's name, e.g. la.example/witness.")],
) -> None:
    """Print the witness's name and public key, as settings' SENDTRAIL_WITNESSES want it."""
    public = witness_key(key_file).public_key()
    typer.echo(f"{name} {public_text(public)}")


@witness_app.command("serve")
def serve(
    name: Annotated[str, typer.Option(help="The witness's name, e.g. la.example/witness.")],
    key_file: Annotated[Path, typer.Option("--key", help="Its private key (made if missing).")],
    state: Annotated[Path, typer.Option(help="Its state file (SQLite), kept crash-safe.")],
    log: Annotated[
        list[str], typer.Option(help="A log it witnesses: ORIGIN=LOG-PUBLIC-KEY.pem (repeat).")
    ],
    host: str = "127.0.0.1",
    port: int = 8080,
) -> None:
    """Cosign checkpoints of the given logs (C2SP tlog-witness add-checkpoint)."""
    import uvicorn

    from api.witness_http import witness_app as make_app
    from ledger.witness import WitnessService, WitnessState

    logs = {}
    for item in log:
        origin, sep, pem = item.partition("=")
        if not sep or not origin:
            typer.echo("Refused: --log must be ORIGIN=LOG-PUBLIC-KEY.pem")
            raise typer.Exit(EXIT_REFUSED)
        try:
            logs[origin] = load_public(Path(pem))
        except KeyFileError as error:
            typer.echo(f"Refused: {error}")
            raise typer.Exit(EXIT_REFUSED) from None
    from api.crash_points import crash_at
    from api.settings import Settings

    step = crash_at(Settings().test_crash_at)
    service = WitnessService(name, witness_key(key_file), logs, WitnessState(state), step=step)
    uvicorn.run(make_app(service), host=host, port=port, log_level="warning")
