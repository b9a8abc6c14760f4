"""What `exporters.verify` and its parts share: the error naming the first failure, the
bundle's fixed names, and reading a JSON file of the bundle."""

from __future__ import annotations

import json
from typing import Any

REASONS = ("outside as_of", "recorded after known_at")
WITHHELD = "withheld: third-party information"  # subject access: listed, never shown
PROOF_MARKER = "consistency-proof "
DEFAULT_PROOF_FILE = "consistency-proof.json"  # where `checkpoint --proof-from` writes it
ENVELOPE = "signatures/bundle.dsse.json"
REQUEST_PREFIX = "data/la-request."
REQUEST_JSON = "data/la-request.json"
TIMESTAMP = "signatures/timestamp.tsr"
PLAN_FILE = "support-plan.json"  # the view that names the child and its setting


class VerificationError(Exception):
    """The first failure: what is wrong, and which file or entry it concerns."""

    def __init__(self, reason: str, *, where: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.reason = reason
        self.where = where


def read_json(files: dict[str, bytes], name: str) -> Any:
    try:
        return json.loads(files[name])
    except KeyError:
        raise VerificationError("missing", where=name) from None
    except ValueError:
        raise VerificationError("not valid JSON", where=name) from None
