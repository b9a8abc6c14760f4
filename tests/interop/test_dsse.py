"""DSSE envelopes checked both ways with securesystemslib, an independent implementation
of the DSSE spec: it verifies our bundle's envelope with the setting's exporter key and
refuses forged ones; our verifier accepts a bundle whose envelope securesystemslib made."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError as SslibVerificationError
from securesystemslib.signer import CryptoSigner, SSlibKey

from exporters import dsse
from exporters.bundle import ENVELOPE
from exporters.verify import VerificationError, verify_bundle
from tests.interop.conftest import Exported, rezip, unzip


def exporter_key(exported: Exported) -> SSlibKey:
    """The setting's exporter key, named by the keyid our envelopes carry (securesystemslib
    matches signatures to keys by keyid)."""
    public = exported.store.exporter.keys.exporter.public_key()
    return SSlibKey.from_crypto(public, keyid=dsse.key_id(public))


def envelope_of(content: bytes) -> Envelope:
    return Envelope.from_dict(json.loads(unzip(content)[ENVELOPE]))


class TestSecuresystemslibReadsOurs:
    def test_the_bundles_envelope_verifies_with_the_exporter_key(self, exported: Exported) -> None:
        for bundle in (exported.first, exported.later):
            envelope = envelope_of(bundle.content)
            assert envelope.payload_type == "application/vnd.in-toto+json"
            key = exporter_key(exported)
            assert list(envelope.verify([key], 1)) == [key.keyid]
            statement = json.loads(envelope.payload)
            assert statement["predicate"]["checkpoint_size"] == bundle.checkpoint_size

    def test_an_envelope_resigned_with_another_key_fails(self, exported: Exported) -> None:
        envelope = envelope_of(exported.later.content)
        forger = Ed25519PrivateKey.generate()
        text = dsse.sign_envelope(envelope.payload, forger)
        with pytest.raises(SslibVerificationError):
            Envelope.from_dict(json.loads(text)).verify([exporter_key(exported)], 1)
        # Even when the forged signature claims the setting's keyid.
        resigned = json.loads(text)  # (from_dict takes its argument apart)
        resigned["signatures"][0]["keyid"] = exporter_key(exported).keyid
        with pytest.raises(SslibVerificationError):
            Envelope.from_dict(resigned).verify([exporter_key(exported)], 1)

    def test_a_changed_payload_fails(self, exported: Exported) -> None:
        envelope = envelope_of(exported.later.content)
        statement = json.loads(envelope.payload)
        statement["predicate"]["events_admitted"] += 1
        envelope.payload = json.dumps(statement).encode()
        with pytest.raises(SslibVerificationError):
            envelope.verify([exporter_key(exported)], 1)


class TestOurVerifierReadsSecuresystemslibs:
    def test_a_bundle_signed_by_securesystemslib_verifies(self, exported: Exported) -> None:
        keys = exported.store.exporter.keys
        files = unzip(exported.later.content)
        ours = envelope_of(exported.later.content)
        theirs = Envelope(ours.payload, ours.payload_type, {})
        theirs.sign(CryptoSigner(keys.exporter))  # securesystemslib's own keyid and encoding
        files[ENVELOPE] = json.dumps(theirs.to_dict()).encode()
        verified = verify_bundle(
            rezip(files), key=keys.exporter.public_key(), log_key=keys.log_public
        )
        assert verified.entries_listed == exported.later.listed

        forged = Envelope(ours.payload, ours.payload_type, {})
        forged.sign(CryptoSigner(Ed25519PrivateKey.generate()))
        files[ENVELOPE] = json.dumps(forged.to_dict()).encode()
        with pytest.raises(VerificationError):
            verify_bundle(rezip(files), key=keys.exporter.public_key(), log_key=keys.log_public)
