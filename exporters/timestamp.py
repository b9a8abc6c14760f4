"""RFC 3161 trusted timestamps: a timestamp authority (TSA) signs the time at which some
bytes existed, and anyone can check that token offline.

asn1crypto reads and writes the ASN.1 (TimeStampReq, TimeStampResp, the CMS SignedData
around TSTInfo); `cryptography` checks the signature with the signer certificate's key.
The check is self-contained: the token is intact, over these bytes, and signed by the
certificate it carries (or the one given). Whether that certificate belongs to a TSA you
trust is answered with the TSA's published root, e.g. `openssl ts -verify -CAfile`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from asn1crypto import cms, core, tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
UNREADABLE = "not a readable RFC 3161 timestamp token"


class TimeStampResp(core.Sequence):  # type: ignore[misc]
    """RFC 3161's TimeStampResp; asn1crypto 1.5's lacks OPTIONAL on the token, which a
    refusal leaves out, so refusals would not parse."""

    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


class TimestampError(Exception):
    """The TSA could not be reached or refused, or a token does not verify."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Stamp:
    """What a verified token says: when, who signed it, and the nonce it answered."""

    gen_time: datetime
    authority: str
    nonce: int | None


def timestamp_query(data: bytes, *, nonce: int) -> bytes:
    """A DER TimeStampReq for SHA-256(data) that asks for the signer's certificate."""
    return bytes(
        tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "hashed_message": hashlib.sha256(data).digest(),
                },
                "nonce": nonce,
                "cert_req": True,
            }
        ).dump()
    )


def request_token(url: str, data: bytes, *, timeout: float) -> bytes:
    """Ask the TSA at `url` for a token over `data`; it is verified before it is returned."""
    nonce = secrets.randbits(63)
    try:
        reply = httpx.post(
            url,
            content=timestamp_query(data, nonce=nonce),
            headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE},
            timeout=timeout,
        )
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise TimestampError(f"cannot reach the timestamp authority: {error}") from None
    if reply.status_code != httpx.codes.OK:
        raise TimestampError(f"the timestamp authority answered HTTP {reply.status_code}")
    media = reply.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != REPLY_TYPE:
        raise TimestampError(f"the timestamp authority answered {media or 'untyped'} content")
    token = token_from_reply(reply.content)
    if read_token(token, data).nonce != nonce:
        raise TimestampError("the reply does not answer this request (nonce differs)")
    return token


def token_from_reply(reply: bytes) -> bytes:
    """The TimeStampToken of a granted TimeStampResp, or the TSA's reason for refusing.

    "granted_with_mods" counts as granted: RFC 3161 has it carry a token like "granted",
    and the token is then checked in full on its own.
    """
    try:
        response = TimeStampResp.load(reply, strict=True)
        status = response["status"]
        if status["status"].native not in ("granted", "granted_with_mods"):
            raise TimestampError(f"the timestamp authority refused: {_refusal(status)}")
        return bytes(response["time_stamp_token"].dump())
    except (ValueError, TypeError, KeyError):
        raise TimestampError("the reply is not an RFC 3161 TimeStampResp") from None


def _refusal(status: Any) -> str:
    words = [str(status["status"].native)]
    if status["fail_info"].native:
        words.append(", ".join(sorted(status["fail_info"].native)))
    if status["status_string"].native:
        words.append("; ".join(status["status_string"].native)[:200])
    return ": ".join(words)


def verify_token(token: bytes, data: bytes, *, tsa_cert: bytes | None = None) -> datetime:
    """The time a token (or a whole TimeStampResp) vouches `data` existed, or TimestampError."""
    return read_token(token, data, tsa_cert=tsa_cert).gen_time


def read_token(token: bytes, data: bytes, *, tsa_cert: bytes | None = None) -> Stamp:
    """Check a token over `data` and say what it vouches for; TimestampError otherwise.

    Checked in this order, so a damaged token is reported as damaged: it parses; the
    signer certificate is the one the SignerInfo names (embedded, or `tsa_cert`, PEM or
    DER); the signed attributes' message digest is that of the TSTInfo; the signature over
    them verifies; the certificate is for timestamping, valid at genTime and the one the
    signed attributes name (ESS); and last, the message imprint is that of `data`.
    """
    if _is_reply(token):
        token = token_from_reply(token)
    try:
        signed_data, tst_der = _open(token)
        tst = tsp.TSTInfo.load(tst_der, strict=True)
        signers = signed_data["signer_infos"]
        if len(signers) != 1:
            raise TimestampError("the token needs exactly one signer")
        signer = signers[0]
        cert = _signer_certificate(signed_data, signer, tsa_cert)
        gen_time: datetime = tst["gen_time"].native
        _check_signed_attributes(signer, cert, tst_der)
        _check_certificate(cert, gen_time)
        imprint = tst["message_imprint"]
        digest = _hash(imprint["hash_algorithm"]["algorithm"].native)()
        imprinted = imprint["hashed_message"].native
        nonce = tst["nonce"].native
    except UnsupportedAlgorithm as error:
        raise TimestampError(f"unsupported algorithm: {error}") from None
    except (ValueError, TypeError, KeyError, IndexError, x509.InvalidVersion):
        raise TimestampError(UNREADABLE) from None
    if imprinted != _digest(digest, data):
        raise TimestampError("the timestamp is over other data (message imprint differs)")
    return Stamp(gen_time, cert.subject.rfc4514_string(), nonce)


def _is_reply(der: bytes) -> bool:
    # A TimeStampResp opens with its status (a SEQUENCE), a token with its type (an OID).
    if len(der) < 2 or der[0] != 0x30:
        return False
    header = 2 + (der[1] & 0x7F if der[1] & 0x80 else 0)
    return der[header : header + 1] == b"\x30"


def _open(token: bytes) -> tuple[Any, bytes]:
    content = cms.ContentInfo.load(token, strict=True)
    if content["content_type"].native != "signed_data":
        raise TimestampError(f"{UNREADABLE} (not CMS SignedData)")
    signed_data = content["content"]
    encapsulated = signed_data["encap_content_info"]
    if encapsulated["content_type"].native != "tst_info":
        raise TimestampError(f"{UNREADABLE} (it does not carry a TSTInfo)")
    return signed_data, bytes(encapsulated["content"].contents)


def _hash(name: str) -> type[hashes.HashAlgorithm]:
    if name not in HASHES:
        raise TimestampError(f"unsupported digest algorithm {name}")
    return HASHES[name]


def _digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    digest = hashes.Hash(algorithm)
    digest.update(data)
    return digest.finalize()


def _signer_certificate(signed_data: Any, signer: Any, tsa_cert: bytes | None) -> x509.Certificate:
    if tsa_cert is not None:
        given = _load_certificate(tsa_cert)
        if not _names(signer["sid"], given):
            raise TimestampError("the token was not signed with the given TSA certificate")
        return given
    certificates = signed_data["certificates"]
    embedded = [
        x509.load_der_x509_certificate(choice.chosen.dump())
        for choice in (certificates if certificates.native is not None else [])
        if choice.name == "certificate"
    ]
    for cert in embedded:
        if _names(signer["sid"], cert):
            return cert
    raise TimestampError("the token does not carry its signer's certificate")


def _load_certificate(blob: bytes) -> x509.Certificate:
    try:
        if blob.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(blob)
        return x509.load_der_x509_certificate(blob)
    except ValueError:
        raise TimestampError("the given TSA certificate is not readable") from None


def _names(sid: Any, cert: x509.Certificate) -> bool:
    """Whether a CMS SignerIdentifier names this certificate."""
    if sid.name == "issuer_and_serial_number":
        chosen = sid.chosen
        return bool(
            chosen["serial_number"].native == cert.serial_number
            and chosen["issuer"].dump() == cert.issuer.public_bytes()
        )
    try:
        key_id = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound:
        return False
    return bool(sid.chosen.native == key_id.value.digest)


def _attribute(signer: Any, name: str) -> Any:
    values = [a["values"] for a in signer["signed_attrs"] if a["type"].native == name]
    if len(values) != 1 or len(values[0]) != 1:
        raise TimestampError(f"the signed attributes need exactly one {name}")
    return values[0][0]


def _check_signed_attributes(signer: Any, cert: x509.Certificate, tst_der: bytes) -> None:
    if signer["signed_attrs"].native is None:
        raise TimestampError("the signature has no signed attributes")
    if _attribute(signer, "content_type").native != "tst_info":
        raise TimestampError("the signed content type is not TSTInfo")
    algorithm = _hash(signer["digest_algorithm"]["algorithm"].native)()
    if _attribute(signer, "message_digest").native != _digest(algorithm, tst_der):
        raise TimestampError(
            "the signed digest does not match the timestamp info (TSTInfo changed)"
        )
    # The signature covers the DER of the attributes as a SET: the [0] tag becomes 0x31.
    signed = b"\x31" + bytes(signer["signed_attrs"].dump())[1:]
    try:
        _verify_signature(cert.public_key(), signer, algorithm, signed)
    except InvalidSignature:
        raise TimestampError("the TSA signature does not verify") from None
    _check_ess(signer, cert)


def _verify_signature(
    key: Any, signer: Any, algorithm: hashes.HashAlgorithm, signed: bytes
) -> None:
    kind = signer["signature_algorithm"].signature_algo
    signature = bytes(signer["signature"].native)
    if isinstance(key, rsa.RSAPublicKey) and kind == "rsassa_pkcs1v15":
        key.verify(signature, signed, padding.PKCS1v15(), algorithm)
    elif isinstance(key, ec.EllipticCurvePublicKey) and kind == "ecdsa":
        key.verify(signature, signed, ec.ECDSA(algorithm))
    elif isinstance(key, ed25519.Ed25519PublicKey) and kind == "ed25519":
        key.verify(signature, signed)
    else:
        raise TimestampError(f"unsupported signature algorithm {kind} for this key")


def _check_ess(signer: Any, cert: x509.Certificate) -> None:
    """RFC 3161 2.4.1: the signed attributes name the signing certificate by its hash."""
    names = {a["type"].native for a in signer["signed_attrs"]}
    if "signing_certificate_v2" in names:
        first = _attribute(signer, "signing_certificate_v2")["certs"][0]
        algorithm: hashes.HashAlgorithm = _hash(first["hash_algorithm"]["algorithm"].native)()
    elif "signing_certificate" in names:
        first = _attribute(signer, "signing_certificate")["certs"][0]
        # ESSCertID (v1) is defined with SHA-1; it only names the certificate, which the
        # SignerInfo and the signature already bind.
        algorithm = hashes.SHA1()  # noqa: S303
    else:
        raise TimestampError("the signed attributes do not name the signing certificate")
    if first["cert_hash"].native != _digest(algorithm, cert.public_bytes(Encoding.DER)):
        raise TimestampError("the signed attributes name another signing certificate")


def _check_certificate(cert: x509.Certificate, gen_time: datetime) -> None:
    """RFC 3161 2.3: a TSA key is for timestamping only, marked by a critical EKU."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        usage = None
    if (
        usage is None
        or not usage.critical
        or list(usage.value) != [ExtendedKeyUsageOID.TIME_STAMPING]
    ):
        raise TimestampError(
            "the signer certificate is not a TSA certificate (critical EKU timeStamping)"
        )
    if not cert.not_valid_before_utc <= gen_time <= cert.not_valid_after_utc:
        raise TimestampError("the signer certificate was not valid at the time stamped")
