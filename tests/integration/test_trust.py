"""Nothing is "verified" against keys taken from the bundle (issue 18.1), and the signed
summary's claims are checked against what the bundle carries (18.4).

A forger who re-signs a bundle with keys of their own and puts those keys in it makes a
bundle that is *consistent*; it must never pass as the setting's. Trust comes from the keys
given on the command line, from the trust store, or (on a server) from its own keys."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore
from domain import commands as cmd
from domain.envelope import EnvelopeDraft, RecordedBy
from exporters import dsse
from exporters.archive import read_zip, write_zip
from exporters.dsse import key_id
from exporters.trust import TrustStore, TrustStoreError, anchor_of
from exporters.verify import VerificationError, verify_bundle
from ledger import checkpoint as cp
from ledger.keys import load_public, public_pem
from tests.support.bundles import Store, make_store, resign

EXIT_SIGNER_UNKNOWN = 6


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    made = make_store(tmp_path_factory.mktemp("trust") / "data")
    yield made
    made.records.close()


@pytest.fixture
def bundle(store: Store, tmp_path: Path) -> Path:
    path = tmp_path / "bundle.zip"
    path.write_bytes(store.bundle(store.children[4]).content)
    return path


@pytest.fixture
def verifier(tmp_path: Path) -> dict[str, str]:
    """An inspector's environment: an empty data folder of their own (their trust store)."""
    return {"SENDTRAIL_DATA": str(tmp_path / "inspector")}


def fingerprints(store: Store) -> tuple[str, str]:
    keys = store.exporter.keys
    return key_id(keys.exporter.public_key()), key_id(keys.log_public)


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={**env, "COLUMNS": "300"})
    return result.exit_code, " ".join(result.output.split())


def forged(store: Store, *, signer: bool, log: bool) -> bytes:
    """The genuine bundle re-signed with a forger's exporter key and/or log key, with the
    forger's public keys put in the bundle in place of the setting's."""
    files = read_zip(store.bundle(store.children[4]).content)
    if log:
        forger_log = Ed25519PrivateKey.generate()
        head, _ = cp.parse(files["data/audit/checkpoint.txt"].decode())
        files["data/audit/checkpoint.txt"] = cp.sign(head, forger_log, head.origin).encode()
        files.pop("data/audit/previous-checkpoint.txt", None)
        files.pop("data/audit/consistency.json", None)
        files["log.pub.pem"] = public_pem(forger_log.public_key())
    key = store.exporter.keys.exporter
    if signer:
        key = Ed25519PrivateKey.generate()
        files["signer.pub.pem"] = public_pem(key.public_key())
    return resign(files, key)


class TestCommandLine:
    def test_without_a_trust_anchor_an_intact_bundle_is_not_verified(
        self, store: Store, bundle: Path, verifier: dict[str, str]
    ) -> None:
        code, said = run(verifier, "verify", str(bundle))
        assert code == EXIT_SIGNER_UNKNOWN
        assert "INTACT, SIGNER UNKNOWN" in said
        assert "VERIFIED:" not in said
        signer, log = fingerprints(store)
        assert signer in said
        assert log in said

    def test_a_trusted_setting_verifies_and_is_named(
        self, store: Store, bundle: Path, verifier: dict[str, str], tmp_path: Path
    ) -> None:
        keys = store.settings.keys_dir
        code, said = run(
            verifier,
            "trust",
            "add",
            "Oak Nursery",
            "--key",
            str(keys / "exporter.pub.pem"),
            "--log-key",
            str(keys / "log.pub.pem"),
        )
        assert code == 0, said
        code, said = run(verifier, "verify", str(bundle))
        assert code == 0, said
        assert "VERIFIED" in said
        assert "trusted through Oak Nursery" in said
        code, listed = run(verifier, "trust", "list")
        assert "Oak Nursery" in listed
        assert fingerprints(store)[0] in listed
        assert run(verifier, "trust", "remove", "Oak Nursery")[0] == 0
        assert run(verifier, "verify", str(bundle))[0] == EXIT_SIGNER_UNKNOWN
        assert run(verifier, "trust", "remove", "Oak Nursery")[0] == 3

    def test_fingerprints_may_be_typed_as_published(
        self, store: Store, bundle: Path, verifier: dict[str, str]
    ) -> None:
        signer, log = fingerprints(store)
        spaced = ":".join(signer[i : i + 2] for i in range(0, 64, 2)).upper()
        code, said = run(verifier, "trust", "add", "Oak", "--signer", spaced, "--log", log)
        assert code == 0, said
        assert run(verifier, "verify", str(bundle))[0] == 0

    def test_a_bad_fingerprint_is_refused_naming_the_rule(self, verifier: dict[str, str]) -> None:
        code, said = run(verifier, "trust", "add", "Oak", "--signer", "abc", "--log", "d" * 64)
        assert code == 2
        assert "64 hexadecimal digits" in said
        assert not (Path(verifier["SENDTRAIL_DATA"]) / "trust.json").exists()

    @pytest.mark.parametrize(
        ("signer", "log"), [(True, False), (False, True), (True, True)], ids=["dsse", "log", "both"]
    )
    def test_a_forgery_with_the_forgers_own_keys_never_verifies(
        self,
        store: Store,
        verifier: dict[str, str],
        tmp_path: Path,
        signer: bool,
        log: bool,
    ) -> None:
        fake = tmp_path / "forged.zip"
        fake.write_bytes(forged(store, signer=signer, log=log))
        genuine_signer, genuine_log = fingerprints(store)
        TrustStore(Path(verifier["SENDTRAIL_DATA"]) / "trust.json").add(
            "Oak", genuine_signer, genuine_log
        )
        code, said = run(verifier, "verify", str(fake))
        assert code != 0
        assert "VERIFIED:" not in said
        keys = store.settings.keys_dir
        pinned, said = run(
            verifier,
            "verify",
            str(fake),
            "--key",
            str(keys / "exporter.pub.pem"),
            "--log-key",
            str(keys / "log.pub.pem"),
        )
        assert pinned == 1, said


class TestSignedSummary:
    @pytest.mark.parametrize(
        ("claim", "value"),
        [("events_admitted", 1), ("events_listed", 3), ("checkpoint_size", 2), ("root", "00" * 32)],
    )
    def test_a_summary_claiming_other_than_the_bundle_carries_fails(
        self, store: Store, claim: str, value: object
    ) -> None:
        files = read_zip(store.bundle(store.children[4]).content)
        summary = json.loads(files["data/bundle.json"])
        summary[claim] = value
        files["data/bundle.json"] = json.dumps(summary).encode()
        keys = store.exporter.keys
        with pytest.raises(VerificationError) as failed:
            verify_bundle(
                resign(files, keys.exporter),  # even signed with the setting's own key
                key=keys.exporter.public_key(),
                log_key=keys.log_public,
            )
        assert failed.value.where == "data/bundle.json"
        assert claim in failed.value.reason


class TestServer:
    @pytest.fixture
    def client(self, store: Store, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
        settings = Settings(data_dir=tmp_path / "server")
        other = make_store(settings.data_dir, seed=9)  # another installation, its own keys
        other.records.close()
        app = create_app(settings)
        with TestClient(app) as client:
            users: UserStore = app.state.services.users
            token = users.add("Inspector", role="inspector", setting_id="s")[1]
            client.headers["Authorization"] = f"Bearer {token}"
            yield client, str(settings.trust_store_path)

    def test_a_bundle_of_another_setting_is_intact_but_not_verified_until_trusted(
        self, store: Store, client: tuple[TestClient, str]
    ) -> None:
        http, trust_path = client
        data = store.bundle(store.children[4]).content
        answer = http.post("/v1/verify", content=data, headers={"Content-Type": "application/zip"})
        found = answer.json()
        assert found["verified"] is False
        assert found["status"] == "signer_unknown"
        assert found["trust_anchor"] is None
        TrustStore(Path(trust_path)).add("Oak", *fingerprints(store))
        found = http.post(
            "/v1/verify", content=data, headers={"Content-Type": "application/zip"}
        ).json()
        assert (found["verified"], found["status"], found["trust_anchor"]) == (
            True,
            "verified",
            "Oak",
        )

    def test_its_own_bundles_are_verified_with_its_own_keys_named(
        self, client: tuple[TestClient, str]
    ) -> None:
        http, _ = client
        services = http.app.state.services  # type: ignore[attr-defined]
        child = services.records.child_ids()
        first = next(iter(child))
        own = services.exporter.export(first, as_of=None, known_at=None, reason=None)
        found = http.post(
            "/v1/verify", content=own.content, headers={"Content-Type": "application/zip"}
        ).json()
        assert found["verified"] is True
        assert found["trust_anchor"].startswith("this installation's own keys")


def test_an_unreadable_trust_store_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "trust.json"
    broken.write_text("{not json")
    with pytest.raises(TrustStoreError):
        TrustStore(broken).anchors()


def test_dsse_key_ids_never_decide_trust(store: Store) -> None:
    """An envelope signed by a forger but naming the genuine key's keyid still fails: the
    signature is checked with the trusted key, whatever the keyid says."""
    files = read_zip(store.bundle(store.children[4]).content)
    rebuilt = read_zip(resign(files, Ed25519PrivateKey.generate()))
    envelope = json.loads(rebuilt["signatures/bundle.dsse.json"])
    keys = store.exporter.keys
    envelope["signatures"][0]["keyid"] = dsse.key_id(keys.exporter.public_key())
    rebuilt["signatures/bundle.dsse.json"] = json.dumps(envelope).encode()
    trusted = anchor_of("Oak", keys.exporter.public_key(), keys.log_public)
    with pytest.raises(VerificationError):
        verify_bundle(write_zip(rebuilt), anchors=[trusted])


class TestSpecConformance:
    def test_dsse_accepts_url_safe_base64_and_a_missing_or_other_keyid(self, store: Store) -> None:
        keys = store.exporter.keys
        body = dsse.statement("tagmanifest-sha256.txt", "ab" * 32, {"x": 1})
        envelope = json.loads(dsse.sign_envelope(body, keys.exporter))
        signature = envelope["signatures"][0]
        envelope["payload"] = (
            base64.urlsafe_b64encode(base64.b64decode(envelope["payload"])).decode().rstrip("=")
        )
        signature["sig"] = base64.urlsafe_b64encode(base64.b64decode(signature["sig"])).decode()
        del signature["keyid"]
        opened = dsse.open_envelope(json.dumps(envelope).encode(), keys.exporter.public_key())
        assert opened["predicate"] == {"x": 1}
        signature["keyid"] = "someone-else"
        assert dsse.open_envelope(json.dumps(envelope).encode(), keys.exporter.public_key())
        with pytest.raises(dsse.SignatureError):
            dsse.open_envelope(
                json.dumps(envelope).encode(), Ed25519PrivateKey.generate().public_key()
            )

    def test_notes_with_unicode_line_separators_verify(self, store: Store) -> None:
        child = store.children[0]
        record = store.records.get_child(child)
        store.records.handle(
            child,
            cmd.RecordObservation(
                area="physical",
                notes="First line\u2028second line\u2029third paragraph",
                observer="Key person",
            ),
            EnvelopeDraft(date(2025, 3, 3), RecordedBy("u-kp", "practitioner", record.setting_id)),
            expected_version=record.version,
        )
        content = store.bundle(child).content
        keys = store.exporter.keys
        verified = verify_bundle(content, key=keys.exporter.public_key(), log_key=keys.log_public)
        assert verified.entries_listed == store.records.get_child(child).version


class TestPublishedKeys:
    def test_each_installation_gets_its_own_log_origin(self, tmp_path: Path) -> None:
        first, second = (Settings(data_dir=tmp_path / n) for n in ("a", "b"))
        for settings in (first, second):
            ensure_keys(settings)
        assert first.log_origin != second.log_origin
        assert first.log_origin.startswith("sendtrail.local/log/")
        old = Settings(data_dir=tmp_path / "made-before")
        assert old.log_origin == "sendtrail.local/log"  # an installation made before

    def test_the_keys_are_published_for_anyone(self, tmp_path: Path) -> None:
        settings = Settings(data_dir=tmp_path / "pub")
        ensure_keys(settings)
        with TestClient(create_app(settings)) as client:
            shown = client.get("/.well-known/sendtrail-keys.json")
            page = client.get("/keys")
        assert shown.status_code == 200
        assert page.status_code == 200
        found = shown.json()
        keys = settings.keys_dir
        assert found["log_origin"] == settings.log_origin
        assert found["keys"]["exporter"]["fingerprint"] == key_id(
            load_public(keys / "exporter.pub.pem")
        )
        assert found["keys"]["log"]["fingerprint"] == key_id(load_public(keys / "log.pub.pem"))
        assert found["keys"]["log"]["fingerprint"] in page.text
        assert settings.log_origin in page.text

    def test_keys_status_shows_origin_and_fingerprints(self, tmp_path: Path) -> None:
        env = {"SENDTRAIL_DATA": str(tmp_path / "st")}
        ensure_keys(Settings(data_dir=tmp_path / "st"))
        code, said = run(env, "keys", "status")
        assert code == 0, said
        settings = Settings(data_dir=tmp_path / "st")
        assert f"log origin {settings.log_origin}" in said
        assert key_id(load_public(settings.keys_dir / "log.pub.pem")) in said

    def test_an_anchor_pinning_another_origin_does_not_vouch(
        self, store: Store, bundle: Path, verifier: dict[str, str]
    ) -> None:
        signer, log = fingerprints(store)
        store_path = Path(verifier["SENDTRAIL_DATA"]) / "trust.json"
        TrustStore(store_path).add("Oak", signer, log, origin="elsewhere.example/log")
        assert run(verifier, "verify", str(bundle))[0] == EXIT_SIGNER_UNKNOWN
        TrustStore(store_path).add("Oak", signer, log, origin=store.settings.log_origin)
        assert run(verifier, "verify", str(bundle))[0] == 0

    def test_the_report_shows_the_fingerprints_on_its_first_page(self, store: Store) -> None:
        files = read_zip(
            store.exporter.export(store.children[4], as_of=None, known_at=None, reason=None).content
        )
        cover = files["data/report.html"].decode().split("<main>")[0]
        signer, log = fingerprints(store)
        assert signer in cover
        assert log in cover
