"""VERIFY.txt: how to check a bundle with standard tools only (sha256sum, openssl,
python3's standard library), for people who will not install sendtrail."""

from __future__ import annotations

from typing import Any

TEMPLATE = """\
HOW TO VERIFY THIS EVIDENCE BUNDLE
==================================

Child record: {child_id}
As of (world time): {as_of}      As known at (record time): {known_at}
Signed log checkpoint: {checkpoint_size} entries, root {root}

The quickest check, if you have sendtrail:   sendtrail verify THIS-FILE.zip
It checks everything below and names the first problem it finds.

Without sendtrail, unzip the bundle into an empty folder and run these from inside it.

1. Nothing in the bundle was changed, added or removed (BagIt manifests)

     sha256sum -c manifest-sha256.txt
     sha256sum -c tagmanifest-sha256.txt

   Every line must say OK. (Any file under data/ not listed in manifest-sha256.txt is
   an addition: compare `find data -type f | sort` with the manifest.)

2. The bundle was signed by the exporter's key (DSSE envelope, Ed25519)

     python3 - <<'PY'
     import base64, json, hashlib
     env = json.load(open("signatures/bundle.dsse.json"))
     body = base64.b64decode(env["payload"]); kind = env["payloadType"].encode()
     open("pae.bin", "wb").write(b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body))
     open("sig.bin", "wb").write(base64.b64decode(env["signatures"][0]["sig"]))
     subject = json.loads(body)["subject"][0]["digest"]["sha256"]
     actual = hashlib.sha256(open("tagmanifest-sha256.txt", "rb").read()).hexdigest()
     print("signed tag manifest matches:", subject == actual)
     PY
     openssl pkeyutl -verify -pubin -inkey signer.pub.pem -rawin -in pae.bin -sigfile sig.bin

   openssl must print "Signature Verified Successfully", python3 must print True. Compare
   signer.pub.pem with the key the setting published (or pass it with --key).

3. Every entry is in the signed log (RFC 9162 Merkle inclusion)

     python3 - <<'PY'
     import base64, hashlib, json
     H = lambda b: hashlib.sha256(b).digest()
     lines = open("data/audit/checkpoint.txt").read().split("\\n")
     size, root = int(lines[1]), base64.b64decode(lines[2])
     for raw in open("data/events.jsonl"):
         e = json.loads(raw); leaf = dict(e["leaf"], v=1)
         h = H(b"\\0" + json.dumps(leaf, sort_keys=True, separators=(",", ":")).encode())
         i, n = leaf["index"], size - 1
         for p in map(bytes.fromhex, e["inclusion_proof"]):
             if i % 2 or i == n:
                 h = H(b"\\1" + p + h)
                 while i % 2 == 0 and i:
                     i, n = i >> 1, n >> 1
             else:
                 h = H(b"\\1" + h + p)
             i, n = i >> 1, n >> 1
         assert h == root, f"entry v{{leaf['version']}} is not in the log"
         if e["stored"]:
             stored = base64.b64decode(e["stored"])
             assert hashlib.sha256(stored).hexdigest() == leaf["state_sha256"]
     print("all", sum(1 for _ in open("data/events.jsonl")), "entries are in the signed log")
     PY

   The checkpoint itself (data/audit/checkpoint.txt) is a C2SP signed note by the log
   key (log.pub.pem); `sendtrail verify` checks that signature, each child's hash chain
   (every entry's "prev" is the hash of the one before), and that the child's last entry
   is the one the checkpoint committed to.
"""

TIMESTAMP_STEP = """
4. The signed bundle existed at a trusted time (RFC 3161 timestamp)

     openssl ts -reply -in signatures/timestamp.tsr -token_in -text
     openssl ts -verify -data signatures/bundle.dsse.json -in signatures/timestamp.tsr \\
       -token_in -CAfile TSA-CERT.pem

   The first shows the time ("Time stamp:") and, if it names itself, the authority
   ("TSA:"); the second must print "Verification: OK". TSA-CERT.pem is the root
   certificate the timestamp authority publishes (get it from the authority, not from
   this bundle). The token covers the exact bytes of signatures/bundle.dsse.json, so the
   signature above was made by that time.
"""

CLOSING = """
Entries marked "admitted": false are listed (so nothing can be silently left out of the
middle) but carry no content: they happened after the as-of date or were recorded after
the as-known-at time, or, in a copy for a subject access request, they hold information
about other people (withheld, and named in data/redactions.json).
"""


def verify_text(summary: dict[str, Any]) -> str:
    """The VERIFY.txt for a bundle with this summary (step 4 only if it is timestamped)."""
    timestamp = TIMESTAMP_STEP if summary.get("trusted_timestamp") else ""
    return TEMPLATE.format(**summary) + timestamp + CLOSING
