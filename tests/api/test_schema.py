"""schemathesis against the app's own OpenAPI schema: no 5xx, and every response keeps to
what the schema documents (status code, content type, headers and body).

Given a seeded demo store and a SENCO of one of its settings, every generated request is
sent signed in as that SENCO. A well-formed child id in a path is swapped for one of that
SENCO's children and a write names the record's current version, so the handlers and the
domain run rather than stopping at 404 or 409; some ids are kept unknown for the 404 path.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, cast
from uuid import UUID

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.bootstrap import open_records, set_record_clock
from api.cli_serve import ensure_keys
from api.demo import build_demo_cohort
from api.settings import Settings
from api.users import UserStore
from domain.application import ChildRecords
from ledger.log import LedgerBackend

# About a minute on two cores: 47 operations, each through schemathesis' phases.
pytestmark = pytest.mark.slow

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 20
EXPORTS = "/v1/children/{child_id}/exports"
REQUESTS = "/v1/children/{child_id}/requests"
PROFILES = ("generic-cop", "example-shire-apdr", "example-borough-notional", "example-city-nospend")
UNKNOWN = "unknown-child"
NOBODY = str(UUID(int=0))  # a well-formed id that no child has
# The names a bundle's members have, so that some uploads get past "not a BagIt bag".
MEMBERS = (
    "bagit.txt",
    "bag-info.txt",
    "manifest-sha256.txt",
    "tagmanifest-sha256.txt",
    "signatures/bundle.dsse.json",
    "data/bundle.json",
    "data/events.jsonl",
    "data/audit/checkpoint.txt",
)


@st.composite
def zips(draw: st.DrawFn) -> bytes:
    """A zip of a few members with bundle-like (or path-like) names and arbitrary bytes."""
    names = st.sampled_from(MEMBERS) | st.from_regex(r"[A-Za-z0-9._/-]{1,40}", fullmatch=True)
    members = draw(st.dictionaries(names, st.binary(max_size=200), max_size=6))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# POST /v1/verify takes the bundle as raw application/zip bytes.
schemathesis.openapi.media_type("application/zip", st.binary(max_size=512) | zips())

# The document the app serves at /openapi.json. It is read at import, from an app that is
# never started (no store is opened); the requests go to the cohort's own app.
# (schemathesis.pytest.from_fixture would load it per test from the started app, but its
# lazy loader reads `Function._nodeid`, which pytest 9.2 no longer has.)
schema = schemathesis.openapi.from_dict(
    create_app().openapi(),
    # The coverage phase tries every boundary of every field. Its negative half only ever
    # meets request validation (422), which the negative fuzzing also reaches, at a
    # fraction of the time.
    config=schemathesis.Config.from_dict(
        {"phases": {"coverage": {"generation": {"mode": "positive"}}}}
    ),
)


@schema.hook
def flatmap_path_parameters(
    _context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    """Mark about half of the fuzzed child ids to stay unknown (`Cohort.aim`: 404)."""
    if not path_parameters or "child_id" not in path_parameters:
        return st.just(path_parameters)
    return st.sampled_from([path_parameters, {**path_parameters, "child_id": UNKNOWN}])


@dataclass(frozen=True)
class Cohort:
    """The app on a seeded store, and a SENCO who may see some of its children."""

    app: FastAPI
    records: ChildRecords  # a second reader on the same store, for current versions
    token: str
    children: tuple[str, ...]  # the SENCO's children that generated requests name
    spare: str  # a SENCO's child that no generated request touches

    def aim(self, case: schemathesis.Case[Any]) -> dict[str, str]:
        """Point the case at a seeded child and return the headers to send with it."""
        headers = {"Authorization": f"Bearer {self.token}"}
        child = str((case.path_parameters or {}).get("child_id", ""))
        if child == UNKNOWN:
            case.path_parameters["child_id"] = NOBODY
            return headers
        try:
            index = UUID(child).int % len(self.children)
        except ValueError:
            return headers  # none, or malformed on purpose: the app must answer 422
        case.path_parameters["child_id"] = self.children[index]
        if case.operation.path == EXPORTS:
            self._without_pdf(case)
        if case.operation.path == REQUESTS:
            self._as_html(case)
        self._known_profile(case)
        if case.method.upper() == "POST":
            headers["If-Match"] = self._current_version(case)
        return headers

    def _current_version(self, case: schemathesis.Case[Any]) -> str:
        """The record's version, in the body too when it has one: a generated number would
        almost always be stale, and the domain would never be reached."""
        version = self.records.get_child(UUID(case.path_parameters["child_id"])).version
        if isinstance(case.body, dict) and isinstance(case.body.get("expected_version"), int):
            case.body = {**case.body, "expected_version": version}
        return str(version)

    @staticmethod
    def _known_profile(case: schemathesis.Case[Any]) -> None:
        """A generated `la` names a profile in use half the time (one of the built-in ones),
        so readiness and requests reach the profiles; the rest stay unknown (422)."""
        query = case.query if isinstance(case.query, dict) else None
        if query and isinstance(query.get("la"), str) and len(query["la"]) % 2 == 0:
            query["la"] = PROFILES[len(query["la"]) % len(PROFILES)]

    @staticmethod
    def _as_html(case: schemathesis.Case[Any]) -> None:
        """Generated LA requests are laid out as HTML: a PDF within a page budget takes
        several renders (tests/api/test_la_requests.py asks for one)."""
        if isinstance(case.body, dict):
            case.body = {k: v for k, v in case.body.items() if k != "pages"} | {"format": "html"}

    @staticmethod
    def _without_pdf(case: schemathesis.Case[Any]) -> None:
        """Generated exports leave out the PDF report: rendering it takes seconds, and more
        as the generated writes lengthen the record. `pdf: true` has its own test below."""
        if isinstance(case.body, dict) and case.body.get("pdf", True) is True:
            case.body = {**case.body, "pdf": False}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cohort]:
    config = Settings(data_dir=tmp_path_factory.mktemp("schema") / "data")
    ensure_keys(config)
    records = open_records(config)
    ids = build_demo_cohort(
        records,
        children=6,
        seed=3,
        today=date(2026, 11, 24),
        record_clock=lambda c: set_record_clock(records, c),
    )
    setting = records.get_child(ids[0]).setting_id
    *own, spare = (str(i) for i in ids if records.get_child(i).setting_id == setting)
    _, token = UserStore(cast(LedgerBackend, records.recorder)).add(
        "Schema senco", role="senco", setting_id=setting
    )
    yield Cohort(create_app(config), records, token, tuple(own), spare)
    records.close()


@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@schema.parametrize()
def test_every_operation_keeps_to_its_schema(case: schemathesis.Case[Any], cohort: Cohort) -> None:
    headers = cohort.aim(case)
    case.call_and_validate(app=cohort.app, headers=headers, checks=CHECKS)


def test_an_export_with_the_pdf_keeps_to_its_schema(cohort: Cohort) -> None:
    """Given a SENCO's child, when the bundle is exported with the default `pdf: true`,
    then the response is the documented zip, and it carries the PDF report."""
    case = schema[EXPORTS]["POST"].Case(
        path_parameters={"child_id": cohort.spare}, body={}, media_type="application/json"
    )
    headers = {"Authorization": f"Bearer {cohort.token}"}

    response = case.call_and_validate(app=cohort.app, headers=headers, checks=CHECKS)

    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert any(name.endswith("report.pdf") for name in names)
