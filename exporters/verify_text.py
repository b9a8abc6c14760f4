# ruff: noqa: E501 - the recipes are printed as they must be pasted, long lines and all
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

Without sendtrail: unzip the bundle into an empty folder, go into it, and paste each
recipe below (the lines between ```sh and ```) into bash. Each needs only coreutils,
openssl and python3, writes nothing into the folder, prints what it checked, and stops
with a non-zero exit status at the first thing wrong.

0. The keys are the setting's own (compare fingerprints with what the setting published)

   A bundle carries its signer's and its log's public keys, so a forger can put their own
   here. Set the two fingerprints the setting publishes (its /keys page, or
   `sendtrail keys status`), then run:

```sh
set -eu
PUBLISHED_SIGNER="${{PUBLISHED_SIGNER:?set it to the exporter key fingerprint the setting published}}"
PUBLISHED_LOG="${{PUBLISHED_LOG:?set it to the log key fingerprint the setting published}}"
fp() {{ openssl pkey -pubin -in "$1" -outform DER | tail -c 32 | sha256sum | cut -d' ' -f1; }}
test "$(fp signer.pub.pem)" = "$PUBLISHED_SIGNER" || {{ echo "signer.pub.pem is not the setting's exporter key"; exit 1; }}
test "$(fp log.pub.pem)" = "$PUBLISHED_LOG" || {{ echo "log.pub.pem is not the setting's log key"; exit 1; }}
echo "0: both keys are the ones the setting published"
```

1. Nothing in the bundle was changed, added or removed (BagIt manifests)

```sh
set -eu
sha256sum --quiet --strict -c manifest-sha256.txt
sha256sum --quiet --strict -c tagmanifest-sha256.txt
listed=$(sed 's/^[0-9a-f]*  //' manifest-sha256.txt | sort)
present=$(find data -type f | sort)
test "$listed" = "$present" || {{ echo "files under data/ differ from manifest-sha256.txt"; exit 1; }}
echo "1: every file is as listed; nothing added or removed"
```

2. The bundle was signed with the exporter key (DSSE envelope over the tag manifest)

```sh
set -eu
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
python3 - "$T" <<'PY'
import base64, hashlib, json, sys
b64 = lambda s: base64.b64decode(s.replace("-", "+").replace("_", "/") + "=" * (-len(s) % 4))
env = json.load(open("signatures/bundle.dsse.json"))
body, kind = b64(env["payload"]), env["payloadType"].encode()
open(sys.argv[1] + "/pae.bin", "wb").write(b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body))
open(sys.argv[1] + "/sig.bin", "wb").write(b64(env["signatures"][0]["sig"]))
subject = json.loads(body)["subject"][0]["digest"]["sha256"]
if subject != hashlib.sha256(open("tagmanifest-sha256.txt", "rb").read()).hexdigest():
    sys.exit("the signature does not cover tagmanifest-sha256.txt")
PY
openssl pkeyutl -verify -pubin -inkey signer.pub.pem -rawin -in "$T/pae.bin" -sigfile "$T/sig.bin"
echo "2: signed with signer.pub.pem, over this tag manifest"
```

3. The log checkpoint was signed with the log key (C2SP signed note)

```sh
set -eu
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
python3 - "$T" <<'PY'
import base64, sys
note = open("data/audit/checkpoint.txt", encoding="utf-8").read()
body, _, signatures = note.partition("\\n\\n")
origin = body.split("\\n")[0]
line = [s for s in signatures.split("\\n") if s.startswith("\\u2014 " + origin + " ")][0]
blob = base64.b64decode(line.split(" ")[-1])
open(sys.argv[1] + "/body.bin", "wb").write((body + "\\n").encode())
open(sys.argv[1] + "/sig.bin", "wb").write(blob[4:])
PY
openssl pkeyutl -verify -pubin -inkey log.pub.pem -rawin -in "$T/body.bin" -sigfile "$T/sig.bin"
echo "3: the checkpoint is signed with log.pub.pem"
```

4. Every entry is in the signed log, in its chain, with the bytes and words it committed to,
   and the child's last entry is the one the checkpoint names (RFC 9162 proofs)

```sh
set -eu
python3 - <<'PY'
import base64, hashlib, json, sys
H = lambda b: hashlib.sha256(b).digest()
jcs = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
def root_of(h, i, size, proof):
    n = size - 1
    for p in proof:
        if i % 2 or i == n:
            h = H(b"\\1" + p + h)
            while i % 2 == 0 and i:
                i, n = i >> 1, n >> 1
        else:
            h = H(b"\\1" + h + p)
        i, n = i >> 1, n >> 1
    return h
note = open("data/audit/checkpoint.txt", encoding="utf-8").read().split("\\n")
size, root = int(note[1]), base64.b64decode(note[2])
heads_count, heads_root = int(note[3].split(" ")[1]), base64.b64decode(note[3].split(" ")[2])
prev, last, count = "0" * 64, None, 0
for raw in open("data/events.jsonl", encoding="utf-8", newline="\\n").read().split("\\n")[:-1]:
    e = json.loads(raw); leaf = e["leaf"]; count += 1
    where = "entry v%d" % leaf["version"]
    h = H(b"\\0" + jcs(dict(leaf, v=1)))
    if root_of(h, leaf["index"], size, [bytes.fromhex(p) for p in e["inclusion_proof"]]) != root:
        sys.exit(where + " is not in the signed log")
    if leaf["prev"] != prev:
        sys.exit(where + ": the chain is broken (prev is not the entry before)")
    if e["stored"] is not None:
        stored = base64.b64decode(e["stored"])
        if hashlib.sha256(stored).hexdigest() != leaf["state_sha256"]:
            sys.exit(where + ": the stored bytes differ from the log")
        if stored[3:35].hex() != leaf["commitment"]:
            sys.exit(where + ": the stored commitment differs from the log")
        event = dict(e["event"]); salt = bytes.fromhex(event.pop("_commit_salt"))
        if hashlib.sha256(salt + jcs(event)).hexdigest() != leaf["commitment"]:
            sys.exit(where + ": the words differ from what the log committed to")
    prev, last = h.hex(), leaf
head = json.load(open("data/audit/child-head.json"))
child, version, index, leaf_hash = head["head"]
if (child, version, index, leaf_hash) != (last["child_id"], last["version"], last["index"], prev):
    sys.exit("the last entry is not the child's head in the checkpoint (entries left out?)")
hl = H(b"\\0" + jcs({{"child_id": child, "leaf_hash": leaf_hash, "leaf_index": index, "version": version}}))
if head["heads_count"] != heads_count or root_of(hl, head["position"], heads_count, [bytes.fromhex(p) for p in head["proof"]]) != heads_root:
    sys.exit("the child's head is not in the checkpoint's child heads")
print("4: all %d entries are in the signed log, chained, as committed; the last is the head" % count)
PY
```
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
