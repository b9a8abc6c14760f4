"""BagIt (RFC 8493) tag files, written in memory in a fixed order so bags are
deterministic; the `bagit` library validates what we write in the tests."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def _manifest(files: Mapping[str, bytes]) -> bytes:
    return _listing({name: hashlib.sha256(content).hexdigest() for name, content in files.items()})


def _listing(digests: Mapping[str, str]) -> bytes:
    return "".join(f"{digests[name]}  {name}\n" for name in sorted(digests)).encode()


def bag(
    payload: Mapping[str, bytes], tag_files: Mapping[str, bytes], info: Mapping[str, str]
) -> dict[str, bytes]:
    """A complete bag: payload under data/, the tag files, bag-info, both manifests."""
    files = {f"data/{name}": content for name, content in payload.items()}
    size = sum(len(c) for c in payload.values())
    bag_info = {**info, "Payload-Oxum": f"{size}.{len(payload)}"}
    tags = {
        "bagit.txt": BAGIT_TXT,
        "bag-info.txt": "".join(f"{k}: {v}\n" for k, v in bag_info.items()).encode(),
        "manifest-sha256.txt": _manifest(files),
        **tag_files,
    }
    files.update(tags)
    files["tagmanifest-sha256.txt"] = _manifest(tags)
    return files


def directory_tags(
    payload_digests: Mapping[str, str], payload_bytes: int, info: Mapping[str, str]
) -> dict[str, bytes]:
    """The tag files of a bag kept as a directory whose payload was written (and hashed)
    file by file: `payload_digests` maps each path under data/ to its SHA-256."""
    bag_info = {**info, "Payload-Oxum": f"{payload_bytes}.{len(payload_digests)}"}
    tags = {
        "bagit.txt": BAGIT_TXT,
        "bag-info.txt": "".join(f"{k}: {v}\n" for k, v in bag_info.items()).encode(),
        "manifest-sha256.txt": _listing({f"data/{n}": d for n, d in payload_digests.items()}),
    }
    tags["tagmanifest-sha256.txt"] = _manifest(tags)
    return tags
