"""A small world for the page tests: a fictional demo cohort on a fresh SQLite store with
keys, and one user per role (the same users and tokens the API uses)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import cast
from uuid import UUID

from fastapi.testclient import TestClient

from api.bootstrap import open_records, set_record_clock
from api.cli_serve import ensure_keys
from api.demo import build_demo_cohort
from api.settings import Settings
from api.users import UserStore
from domain.application import ChildRecords
from ledger.log import LedgerBackend
from tests.factories import shared_with

ROLES = ("admin", "senco", "practitioner", "parent", "inspector")
TODAY = date(2026, 11, 24)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
NONCE = re.compile(r'name="nonce" value="([^"]+)"')
VERSION = re.compile(r'name="expected_version" value="([0-9]+)"')


@dataclass
class World:
    settings: Settings
    tokens: dict[str, str]
    user_ids: dict[str, str]
    own: UUID  # a child with a plan, provision and an EHC request, in the users' setting
    other: UUID  # a child of another setting
    sibling: UUID  # another child of the users' setting (not the parent's)


def _first_person(records: ChildRecords, child_id: UUID) -> str | None:
    """The person a parent account of this child is bound to (its first linked person)."""
    return next(iter(records.get_child(child_id).people), None)


def build_world(data_dir: Path) -> World:
    settings = Settings(data_dir=data_dir)
    ensure_keys(settings)
    records = open_records(settings)
    ids = build_demo_cohort(
        records,
        children=6,
        seed=3,
        today=TODAY,
        record_clock=lambda clock: set_record_clock(records, clock),
    )
    own, other, sibling = ids[4], ids[5], ids[0]  # the demo alternates two settings
    setting = records.get_child(own).setting_id
    assert records.get_child(other).setting_id != setting
    assert records.get_child(sibling).setting_id == setting
    shared_with(records, own, "test-la", TODAY)  # the inspector reads only this child
    store = UserStore(cast(LedgerBackend, records.recorder))
    tokens, user_ids = {}, {}
    for role in ROLES:
        user, tokens[role] = store.add(
            f"Test {role}",
            role=role,
            setting_id=setting,
            child_id=str(own) if role == "parent" else None,
            person_id=_first_person(records, own) if role == "parent" else None,
            organisation="test-la" if role == "inspector" else None,
        )
        user_ids[role] = user.user_id
    tokens["outsider"] = store.add(
        "Other senco", role="senco", setting_id=records.get_child(other).setting_id
    )[1]
    tokens["other-parent"] = store.add(
        "Other parent",
        role="parent",
        setting_id=setting,
        child_id=str(sibling),
        person_id=_first_person(records, sibling),
    )[1]
    records.close()
    return World(settings, tokens, user_ids, own, other, sibling)


def sign_in(client: TestClient, token: str) -> None:
    """Sign `client` in with `token` through the sign-in form."""
    form = client.get("/sign-in")
    nonce = NONCE.search(form.text)
    assert nonce is not None
    response = client.post(
        "/sign-in", data={"token": token, "nonce": nonce.group(1)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)
