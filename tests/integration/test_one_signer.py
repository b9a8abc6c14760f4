"""One log, one signer: a server or command whose log key (or origin) is not the one that
signed the log's checkpoints never signs into it. Without this, a second app server
started without the installation's key files made keys of its own and signed checkpoints
beside the first one's: a log split between two signers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.bootstrap import open_ledger, open_records
from api.cli_serve import ensure_keys
from api.settings import Settings
from domain.application import ChildRecords
from ledger.checkpoint import SignerChanged
from ledger.keys import LOG_KEY, create_key_pair, key_paths, load_private, load_public
from ledger.log import Ledger
from tests.factories import register
from tests.processes import one_line, sendtrail


@pytest.fixture
def signed(settings: Settings) -> Iterator[tuple[ChildRecords, Ledger]]:
    """A store with a record and a checkpoint signed with the installation's log key."""
    ensure_keys(settings)
    records = open_records(settings)
    register(records)
    ledger = open_ledger(records, settings)
    ledger.create_checkpoint(_own_key(settings), settings.log_origin)
    yield records, ledger
    records.close()


def _own_key(settings: Settings) -> Ed25519PrivateKey:
    return load_private(key_paths(settings.keys_dir, LOG_KEY).private)


def test_the_installation_key_signs_on(
    signed: tuple[ChildRecords, Ledger], settings: Settings
) -> None:
    records, ledger = signed
    register(records)
    ledger.create_checkpoint(_own_key(settings), settings.log_origin)
    assert len(ledger.checkpoints()) == 2
    ledger.check_signer(_own_key(settings).public_key(), settings.log_origin)


def test_another_key_or_origin_is_refused_and_nothing_is_stored(
    signed: tuple[ChildRecords, Ledger], settings: Settings
) -> None:
    records, ledger = signed
    register(records)
    other_dir = settings.data_dir / "other-keys"
    create_key_pair(other_dir, LOG_KEY)
    other = load_private(key_paths(other_dir, LOG_KEY).private)
    with pytest.raises(SignerChanged) as caught:
        ledger.create_checkpoint(other, settings.log_origin)
    assert "another log key or origin" in str(caught.value)
    with pytest.raises(SignerChanged):  # the installation's key, under another origin name
        ledger.create_checkpoint(_own_key(settings), "sendtrail.local/log/another")
    with pytest.raises(SignerChanged):
        ledger.check_signer(load_public(key_paths(other_dir, LOG_KEY).public), settings.log_origin)
    assert len(ledger.checkpoints()) == 1  # nothing signed, nothing stored


def test_a_server_or_command_with_new_key_files_refuses_to_start(
    signed: tuple[ChildRecords, Ledger], settings: Settings
) -> None:
    records, _ = signed
    records.close()
    paths = key_paths(settings.keys_dir, LOG_KEY)
    for path in (paths.private, paths.public):
        path.unlink()  # as if this server had never been given the installation's keys
    served = sendtrail(settings, "serve", "--port", "1", timeout=60)  # refused before it listens
    assert served.returncode == 2, one_line(served)
    assert "Refused: this log's checkpoints were signed with another log key" in one_line(served)
    signing = sendtrail(settings, "checkpoint")
    assert signing.returncode == 2, one_line(signing)
    assert "another log key or origin" in one_line(signing)
    reader = open_records(settings)
    try:
        assert len(open_ledger(reader, settings).checkpoints()) == 1
    finally:
        reader.close()
