"""Ed25519 key files: the log key signs checkpoints, the exporter key signs bundles.

Private keys are PEM (PKCS#8) files of mode 0600, never overwritten; public halves are
exported beside them as SubjectPublicKeyInfo PEM, which `openssl pkeyutl` reads.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

LOG_KEY = "log"
EXPORTER_KEY = "exporter"


class KeyFileError(Exception):
    """A key file is missing, unreadable, of the wrong kind, or would be overwritten."""


@dataclass(frozen=True)
class KeyPaths:
    """Where one key pair lives."""

    private: Path
    public: Path


def key_paths(keys_dir: Path, name: str) -> KeyPaths:
    return KeyPaths(keys_dir / f"{name}.key.pem", keys_dir / f"{name}.pub.pem")


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def create_key_pair(keys_dir: Path, name: str) -> KeyPaths:
    """Make a new Ed25519 pair; refuses to overwrite an existing private or public file."""
    paths = key_paths(keys_dir, name)
    for path in (paths.private, paths.public):
        if path.exists():
            raise KeyFileError(f"{path.name} already exists: refusing to overwrite a key")
    keys_dir.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # O_EXCL: never clobber a key created by a concurrent run; 0600 from the first byte.
    fd = os.open(paths.private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    paths.public.write_bytes(public_pem(key.public_key()))
    if name == LOG_KEY:
        new_log_origin(keys_dir)
    return paths


LOG_ORIGIN_FILE = "log-origin.txt"
LEGACY_ORIGIN = "sendtrail.local/log"  # of installations made before origins were unique


def new_log_origin(keys_dir: Path) -> str:
    """Give a new log its own origin (the name every checkpoint and cosignature is for),
    kept beside its key; an origin already there is kept."""
    path = keys_dir / LOG_ORIGIN_FILE
    origin = f"{LEGACY_ORIGIN}/{secrets.token_hex(8)}"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return log_origin(keys_dir)
    with os.fdopen(fd, "w") as out:
        out.write(origin + "\n")
    return origin


def log_origin(keys_dir: Path) -> str:
    """This installation's log origin: made with its log key, or the one every installation
    had before (whose checkpoints were signed with it)."""
    try:
        found = (keys_dir / LOG_ORIGIN_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return LEGACY_ORIGIN
    return found or LEGACY_ORIGIN


def load_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise KeyFileError(f"cannot read private key {path.name}: {type(error).__name__}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path.name} is not an Ed25519 private key")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as error:
        raise KeyFileError(f"cannot read public key {path.name}: {type(error).__name__}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{path.name} is not an Ed25519 public key")
    return key
