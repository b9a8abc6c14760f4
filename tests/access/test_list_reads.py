"""Every read of personal data is in an access log (issue 14, item 5): a list of children
(names, dates of birth, SEN status, need) is logged on each child shown, ids only, through
the API and the web list alike; children not shown get nothing."""

from __future__ import annotations

from datetime import date
from typing import cast
from uuid import UUID

from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import open_records
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore
from domain import commands as cmd
from domain.application import ChildRecords
from ledger.log import LedgerBackend
from tests.factories import SETTING, fixed_clock, on, register
from tests.web.world import sign_in


def _views(records: ChildRecords, child: UUID) -> list[tuple[str, str, str]]:
    return [(a.user, a.role, a.view) for a in records.accesses(child)]


def test_list_reads_are_logged_on_each_child_shown(settings: Settings) -> None:
    ensure_keys(settings)
    records = open_records(settings, clock=fixed_clock)
    shown = [register(records).child_id, register(records).child_id]
    elsewhere = records.register(
        cmd.RegisterChild(
            given_name="Other",
            family_name="Setting",
            date_of_birth=date(2023, 1, 1),
            setting_id="another-setting",
        ),
        on(date(2024, 9, 2)),
    )
    senco, token = UserStore(cast(LedgerBackend, records.recorder)).add(
        "Test senco", role="senco", setting_id=SETTING
    )
    records.close()
    with TestClient(create_app(settings), follow_redirects=False) as client:
        listed = client.get("/v1/children", headers={"Authorization": f"Bearer {token}"})
        assert listed.status_code == 200
        assert {c["child_id"] for c in listed.json()["children"]} == {str(c) for c in shown}
        sign_in(client, token)
        assert client.get("/children").status_code == 200
    records = open_records(settings, clock=fixed_clock)
    try:
        for child in shown:
            assert _views(records, child) == [(senco.user_id, "senco", "list")] * 2
        assert _views(records, elsewhere) == []
    finally:
        records.close()


def test_the_access_log_of_a_list_read_holds_no_names(settings: Settings) -> None:
    ensure_keys(settings)
    records = open_records(settings, clock=fixed_clock)
    child = register(records).child_id
    _, token = UserStore(cast(LedgerBackend, records.recorder)).add(
        "Test senco", role="senco", setting_id=SETTING
    )
    records.close()
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/children", headers={"Authorization": f"Bearer {token}"}).is_success
    records = open_records(settings, clock=fixed_clock)
    try:
        (access,) = records.accesses(child)
        text = repr(vars(access))
        assert "Testy" not in text
        assert "Fictional" not in text
        assert "Test senco" not in text
    finally:
        records.close()


def test_reads_logged_by_two_servers_in_turn_are_all_kept_in_order(settings: Settings) -> None:
    """Each process remembers where it last wrote a child's access log; when another
    server has written since, its read is still logged, after the other's."""
    ensure_keys(settings)
    first = open_records(settings, clock=fixed_clock)
    second = open_records(settings, clock=fixed_clock)
    try:
        child = register(first).child_id
        for n in range(3):
            for name, records in (("first", first), ("second", second)):
                records.note_access(child, user=f"u-{name}", role="senco", setting="s", view=f"{n}")
        expected = [(f"u-{name}", str(n)) for n in range(3) for name in ("first", "second")]
        for records in (first, second):
            assert [(a.user, a.view) for a in records.accesses(child)] == expected
    finally:
        first.close()
        second.close()
