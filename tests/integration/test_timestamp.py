"""Trusted timestamps (RFC 3161) on evidence bundles, against a throwaway local timestamp
authority: `openssl ts -reply` behind a tiny HTTP server on 127.0.0.1. A bundle exported
with `--tsa` verifies and reports its time, `openssl ts -verify` accepts the token, and
each way a timestamp can be wrong fails with its reason."""

from __future__ import annotations

import hashlib
import io
import shutil
import socket
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from asn1crypto import tsp
from typer.testing import CliRunner

from api.cli import app
from exporters.archive import read_zip, write_zip
from exporters.bundle import Bundle, build_bundle
from exporters.timestamp import TimestampError, read_token, request_token, verify_token
from exporters.verify import VerificationError, verify_bundle
from tests.support.bundles import Store, make_store, resign

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None,
    reason="openssl is not installed: the local timestamp authority is `openssl ts -reply`",
)

ENVELOPE = "signatures/bundle.dsse.json"
TIMESTAMP = "signatures/timestamp.tsr"
CONFIG = """\
[ req ]
distinguished_name = name
prompt = no
[ name ]
CN = unused
[ root_ext ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ tsa_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ tsa ]
default_tsa = granting
[ granting ]
serial = {folder}/serial
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
tsa_name = yes
ess_cert_id_alg = {ess}
[ refusing ]
serial = {folder}/serial
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha512
"""
KEYS = {"rsa": "-newkey rsa:2048", "ec": "-newkey ec -pkeyopt ec_paramgen_curve:P-256"}


def openssl(command: str, *, cwd: Path) -> str:
    """Runs `openssl COMMAND` (words split on spaces; file names relative to `cwd`)."""
    run = subprocess.run(
        ["openssl", *command.split()], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


@dataclass
class Authority:
    """A root CA and a TSA certificate it issued (critical EKU timeStamping)."""

    folder: Path
    root: Path
    cert: Path
    key: Path

    def reply(self, query: bytes, *, section: str = "granting") -> bytes:
        """What `openssl ts -reply` answers; only the signer's certificate goes in."""
        (self.folder / "q.tsq").write_bytes(query)
        openssl(
            "ts -reply -queryfile q.tsq -signer tsa.pem -inkey tsa.key -config openssl.cnf "
            f"-section {section} -out r.tsr",
            cwd=self.folder,
        )
        return (self.folder / "r.tsr").read_bytes()

    def token_over(self, data: bytes) -> bytes:
        """A token made by openssl alone, from query to token."""
        (self.folder / "data.bin").write_bytes(data)
        openssl("ts -query -data data.bin -sha256 -cert -out q.tsq", cwd=self.folder)
        self.reply((self.folder / "q.tsq").read_bytes())
        openssl("ts -reply -in r.tsr -token_out -out t.tst", cwd=self.folder)
        return (self.folder / "t.tst").read_bytes()


def make_authority(folder: Path, *, key: str = "rsa", ess: str = "sha256") -> Authority:
    folder.mkdir(parents=True)
    (folder / "openssl.cnf").write_text(CONFIG.format(folder=folder, ess=ess))
    common = f"-nodes -config openssl.cnf {KEYS[key]}"
    openssl(
        f"req -x509 -new {common} -keyout root.key -out root.pem -days 2 "
        "-subj /CN=sendtrail-test-root -extensions root_ext",
        cwd=folder,
    )
    openssl(
        f"req -new {common} -keyout tsa.key -out tsa.csr -subj /CN=sendtrail-test-TSA",
        cwd=folder,
    )
    openssl(
        "x509 -req -in tsa.csr -CA root.pem -CAkey root.key -set_serial 2 -days 2 "
        "-extfile openssl.cnf -extensions tsa_ext -out tsa.pem",
        cwd=folder,
    )
    return Authority(folder, folder / "root.pem", folder / "tsa.pem", folder / "tsa.key")


@dataclass
class LocalTsa:
    """The authority behind HTTP: POST / grants, POST /refuse refuses (bad algorithm),
    POST /html answers a web page. It keeps every query it was sent."""

    authority: Authority
    url: str
    queries: list[bytes] = field(default_factory=list)


def serve(authority: Authority) -> tuple[HTTPServer, LocalTsa]:
    queries: list[bytes] = []

    def handle(self: BaseHTTPRequestHandler) -> None:
        query = self.rfile.read(int(self.headers["Content-Length"]))
        queries.append(query)
        if self.path == "/html":
            body, kind = b"<html>maintenance</html>", "text/html"
        else:
            section = "refusing" if self.path == "/refuse" else "granting"
            body, kind = authority.reply(query, section=section), "application/timestamp-reply"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    handler = type(
        "TsaHandler",
        (BaseHTTPRequestHandler,),
        {"do_POST": handle, "log_message": lambda *_: None},
    )
    server = HTTPServer(("127.0.0.1", 0), handler)
    return server, LocalTsa(authority, f"http://127.0.0.1:{server.server_address[1]}/", queries)


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTsa]:
    server, local = serve(make_authority(tmp_path_factory.mktemp("tsa") / "rsa"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield local
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    made = make_store(tmp_path_factory.mktemp("timestamp") / "data")
    yield made
    made.records.close()


def stamped(store: Store, tsa: LocalTsa, *, url: str | None = None) -> Bundle:
    return build_bundle(
        store.records,
        store.exporter.ledger,
        store.exporter.views,
        store.children[4],
        as_of=None,
        known_at=None,
        keys=store.exporter.keys,
        timestamp=partial(request_token, url or tsa.url, timeout=10),
    )


@pytest.fixture(scope="module")
def bundle(store: Store, tsa: LocalTsa) -> Bundle:
    return stamped(store, tsa)


def fails(data: bytes, store: Store, *, tsa_cert: bytes | None = None) -> VerificationError:
    with pytest.raises(VerificationError) as error:
        verify_bundle(
            data,
            key=store.exporter.keys.exporter.public_key(),
            log_key=store.exporter.keys.log_public,
            tsa_cert=tsa_cert,
        )
    return error.value


def with_file(bundle: Bundle, name: str, content: bytes | None) -> bytes:
    files = read_zip(bundle.content)
    if content is None:
        del files[name]
    else:
        files[name] = content
    return write_zip(files)


class TestExportAndVerify:
    def test_export_with_tsa_then_verify_reports_the_trusted_time(
        self, store: Store, tsa: LocalTsa, tmp_path: Path
    ) -> None:
        runner = CliRunner()
        env = {"SENDTRAIL_DATA": str(store.settings.data_dir), "SENDTRAIL_DATABASE_URL": None}
        out = tmp_path / "bundle.zip"
        before = datetime.now(tz=UTC).replace(microsecond=0)
        child = store.children[4]
        version = store.records.get_child(child).version
        made = runner.invoke(
            app, ["export", str(child), "-o", str(out), "--no-pdf", "--tsa", tsa.url], env=env
        )
        after = datetime.now(tz=UTC)
        assert made.exit_code == 0, made.output
        assert "Timestamped by CN=sendtrail-test-TSA at" in made.output
        assert store.records.get_child(child).version == version + 1
        assert store.exporter.views.timeline.entries(child)[-1].kind == "EvidenceBundleExported"

        result = verify_bundle(out.read_bytes())
        assert result.timestamped_at is not None
        assert before <= result.timestamped_at <= after
        assert result.timestamp_authority == "CN=sendtrail-test-TSA"
        # On the setting's own machine: its own keys are the trust anchor (issue 18.1).
        checked = runner.invoke(
            app, ["verify", str(out), "--tsa-cert", str(tsa.authority.cert)], env=env
        )
        assert checked.exit_code == 0, checked.output
        assert f"TRUSTED TIME: signed by {result.timestamped_at.isoformat()}" in checked.output
        assert "sendtrail-test-TSA" in checked.output
        unpinned = runner.invoke(app, ["verify", str(out)], env=env)
        assert unpinned.exit_code == 0, unpinned.output
        assert "check it against the TSA's root" in " ".join(unpinned.output.split())

    def test_the_query_asks_for_sha256_of_the_envelope_with_a_nonce_and_the_certificate(
        self, bundle: Bundle, tsa: LocalTsa
    ) -> None:
        envelope = read_zip(bundle.content)[ENVELOPE]
        queries = [tsp.TimeStampReq.load(q) for q in tsa.queries]
        query = next(
            q
            for q in queries
            if q["message_imprint"]["hashed_message"].native == hashlib.sha256(envelope).digest()
        )
        assert query["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha256"
        assert query["cert_req"].native is True
        assert query["nonce"].native is not None
        assert bundle.timestamp is not None
        assert bundle.timestamp.nonce == query["nonce"].native

    def test_openssl_accepts_the_token_with_the_verify_txt_recipe(
        self, bundle: Bundle, tsa: LocalTsa, tmp_path: Path
    ) -> None:
        with zipfile.ZipFile(io.BytesIO(bundle.content)) as archive:
            archive.extractall(tmp_path)
        text = (tmp_path / "VERIFY.txt").read_text()
        step = text.split("4. The signed bundle existed at a trusted time")[1]
        recipe = step.split("openssl ts -verify", 1)[1].split("\n\n")[0]
        command = "openssl ts -verify" + recipe.replace("TSA-CERT.pem", str(tsa.authority.root))
        run = subprocess.run(
            ["sh", "-c", command], cwd=tmp_path, capture_output=True, text=True, check=False
        )
        assert "Verification: OK" in run.stdout, run.stdout + run.stderr
        shown = openssl(f"ts -reply -in {TIMESTAMP} -token_in -text", cwd=tmp_path)
        assert "CN=sendtrail-test-TSA" in shown
        certs = openssl(f"pkcs7 -inform DER -in {TIMESTAMP} -print_certs", cwd=tmp_path)
        assert certs.count("subject=") == 1  # only the signer's certificate, no chain

    def test_without_a_tsa_nothing_changes_and_with_one_only_the_token_differs(
        self, store: Store, tsa: LocalTsa
    ) -> None:
        plain = store.bundle(store.children[4])
        assert plain.content == store.bundle(store.children[4]).content
        plain_files = read_zip(plain.content)
        assert TIMESTAMP not in plain_files
        assert b"trusted_timestamp" not in plain_files["data/bundle.json"]
        assert "trusted time" not in plain_files["VERIFY.txt"].decode()
        assert verify_bundle(plain.content).timestamped_at is None

        first, second = read_zip(stamped(store, tsa).content), read_zip(stamped(store, tsa).content)
        assert first.keys() == second.keys()
        assert [n for n in first if first[n] != second[n]] == [TIMESTAMP]

    def test_a_pinned_tsa_certificate(self, bundle: Bundle, store: Store, tsa: LocalTsa) -> None:
        own = tsa.authority.cert.read_bytes()
        result = verify_bundle(bundle.content, tsa_cert=own)
        assert result.timestamped_at == (bundle.timestamp.gen_time if bundle.timestamp else None)
        error = fails(bundle.content, store, tsa_cert=tsa.authority.root.read_bytes())
        assert (error.where, error.reason) == (
            TIMESTAMP,
            "the token was not signed with the given TSA certificate",
        )
        plain = store.bundle(store.children[4])
        error = fails(plain.content, store, tsa_cert=own)
        assert (error.where, error.reason) == (
            TIMESTAMP,
            "missing: a trusted timestamp was required",
        )


class TestTamper:
    def test_a_byte_flipped_in_the_tsa_signature(self, bundle: Bundle, store: Store) -> None:
        token = bytearray(read_zip(bundle.content)[TIMESTAMP])
        token[-1] ^= 0x01  # the last bytes of a token are its signature value
        error = fails(with_file(bundle, TIMESTAMP, bytes(token)), store)
        assert (error.where, error.reason) == (TIMESTAMP, "the TSA signature does not verify")

    def test_the_time_in_the_token_moved_back(self, bundle: Bundle, store: Store) -> None:
        token = read_zip(bundle.content)[TIMESTAMP]
        assert bundle.timestamp is not None
        when = bundle.timestamp.gen_time.strftime("%Y%m%d%H%M%S").encode()
        earlier = str(int(when[:4]) - 1).encode() + when[4:]
        assert token.count(when) == 1
        error = fails(with_file(bundle, TIMESTAMP, token.replace(when, earlier)), store)
        assert (error.where, error.reason) == (
            TIMESTAMP,
            "the signed digest does not match the timestamp info (TSTInfo changed)",
        )

    def test_a_genuine_token_over_other_data(
        self, bundle: Bundle, store: Store, tsa: LocalTsa
    ) -> None:
        other = request_token(tsa.url, b"another bundle's envelope", timeout=10)
        error = fails(with_file(bundle, TIMESTAMP, other), store)
        assert (error.where, error.reason) == (
            TIMESTAMP,
            "the timestamp is over other data (message imprint differs)",
        )

    def test_the_envelope_replaced_after_timestamping(self, bundle: Bundle, store: Store) -> None:
        # An insider with the exporter key changes the record and re-signs; the old token
        # still vouches only for the old envelope.
        files = read_zip(bundle.content)
        files["data/readiness.json"] = files["data/readiness.json"].replace(b"met", b"MET", 1)
        forged = read_zip(resign(files, store.exporter.keys.exporter))
        assert forged[ENVELOPE] != files[ENVELOPE]
        forged[TIMESTAMP] = files[TIMESTAMP]
        error = fails(write_zip(forged), store)
        assert (error.where, error.reason) == (
            TIMESTAMP,
            "the timestamp is over other data (message imprint differs)",
        )

    def test_the_token_removed(self, bundle: Bundle, store: Store) -> None:
        error = fails(with_file(bundle, TIMESTAMP, None), store)
        assert (error.where, error.reason) == (
            TIMESTAMP,
            "missing: the signed statement says the bundle was timestamped",
        )

    def test_another_file_under_signatures(self, bundle: Bundle, store: Store) -> None:
        error = fails(with_file(bundle, "signatures/extra.sig", b"trust me"), store)
        assert (error.where, error.reason) == (
            "signatures/extra.sig",
            "file added (not a signature file of a bundle)",
        )


class TestAuthorityFailures:
    def test_a_refusing_tsa_fails_the_export_and_records_nothing(
        self, store: Store, tsa: LocalTsa, tmp_path: Path
    ) -> None:
        child = store.children[3]
        version = store.records.get_child(child).version
        out = tmp_path / "refused.zip"
        env = {"SENDTRAIL_DATA": str(store.settings.data_dir), "SENDTRAIL_DATABASE_URL": None}
        made = CliRunner().invoke(
            app,
            ["export", str(child), "-o", str(out), "--no-pdf", "--tsa", tsa.url + "refuse"],
            env=env,
        )
        assert made.exit_code == 2, made.output
        said = " ".join(made.output.split())
        assert said.startswith("Cannot export: no trusted timestamp: ")
        assert "refused: rejection: bad_alg" in said
        assert not out.exists()
        assert store.records.get_child(child).version == version  # no EvidenceBundleExported

    @pytest.mark.parametrize(
        ("path", "reason"),
        [
            ("refuse", "the timestamp authority refused: rejection: bad_alg"),
            ("html", "the timestamp authority answered text/html content"),
        ],
    )
    def test_request_token_names_what_went_wrong(
        self, tsa: LocalTsa, path: str, reason: str
    ) -> None:
        with pytest.raises(TimestampError) as error:
            request_token(tsa.url + path, b"data", timeout=10)
        assert error.value.reason.startswith(reason)

    def test_an_unreachable_tsa(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with pytest.raises(TimestampError) as error:
            request_token(f"http://127.0.0.1:{port}/", b"data", timeout=5)
        assert error.value.reason.startswith("cannot reach the timestamp authority")


@pytest.mark.parametrize(("key", "ess"), [("rsa", "sha1"), ("ec", "sha256"), ("ec", "sha1")])
def test_tokens_openssl_makes_with_other_keys_and_ess_versions_verify(
    tmp_path: Path, key: str, ess: str
) -> None:
    authority = make_authority(tmp_path / key, key=key, ess=ess)
    token = authority.token_over(b"the envelope")
    stamp = read_token(token, b"the envelope", tsa_cert=authority.cert.read_bytes())
    assert stamp.authority == "CN=sendtrail-test-TSA"
    assert verify_token(token, b"the envelope") == stamp.gen_time
    whole_reply = (authority.folder / "r.tsr").read_bytes()
    assert verify_token(whole_reply, b"the envelope") == stamp.gen_time
    with pytest.raises(TimestampError, match="message imprint differs"):
        verify_token(token, b"another envelope")
