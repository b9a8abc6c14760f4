"""Erasure (crypto-shredding) on SQLite and PostgreSQL: after `sendtrail erase`, a marker
written in the child's events is found in no file of the data dir (key store included) and
in no `pg_dump`; the child's keys are gone; reads fail with a typed error; other children,
the audit and a bundle exported before the erasure are untouched."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import psycopg
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi.testclient import TestClient
from psycopg.sql import SQL, Identifier
from typer.testing import CliRunner

from api.app import create_app
from api.bootstrap import Exporter, open_key_store, open_records
from api.cli import app as cli
from api.erasure import erase_child
from api.settings import Settings
from api.users import UserStore
from domain import commands as cmd
from domain.access import access_log_id
from domain.application import ChildRecords
from domain.envelope import EnvelopeDraft, RecordedBy
from domain.errors import ChildErased, LegalHoldActive
from exporters.archive import read_zip
from exporters.verify import verify_bundle
from ledger.kek import read_keks
from ledger.keys import EXPORTER_KEY, LOG_KEY, create_key_pair
from ledger.keystore_pg import PostgresKeys
from ledger.log import LedgerBackend
from projections.cohort import CohortProjection
from tests.conftest import POSTGRES_URL, OpenStore, _postgres_skip_reason
from tests.factories import (
    NOW,
    SENCO,
    fixed_clock,
    on,
    register,
    with_parent,
)
from tests.support.audit import run_audit
from tests.support.erasure import MARKER, a_child_with_the_marker, files_holding, pg_dump


def _env(settings: Settings) -> dict[str, str]:
    env = {"SENDTRAIL_DATA": str(settings.data_dir)}
    if settings.database_url:
        env["SENDTRAIL_DATABASE_URL"] = settings.database_url
    return env


def cli_erase(settings: Settings, child: UUID, *extra: str, answer: str | None = None) -> Any:
    args = ["erase", str(child), "--reason", "parent's request (Art. 17)", *extra]
    return CliRunner().invoke(cli, args, env=_env(settings), input=answer)


def raw_data_key(settings: Settings, originator: UUID) -> tuple[bytes, bytes]:
    """(wrapped, raw) data key, opened by hand from the key store and the KEK file: the
    wrapping format as a third party would read it."""
    import sqlite3

    where = settings.key_store_location
    if isinstance(where, PostgresKeys):  # the key tables beside the events
        with psycopg.connect(where.conninfo) as conn:
            found = conn.execute(
                SQL(
                    "SELECT kek_version, wrapped FROM {}.data_keys WHERE originator_id = %s"
                ).format(Identifier(where.schema)),
                [str(originator)],
            ).fetchone()
        assert found is not None
        version, wrapped = int(found[0]), bytes(found[1])
    else:
        with sqlite3.connect(where) as db:
            version, wrapped = db.execute(
                "SELECT kek_version, wrapped FROM data_keys WHERE originator_id = ?",
                [str(originator)],
            ).fetchone()
    kek = read_keks(settings.kek_path)[version]
    ad = f"sendtrail-data-key/1|{originator}|{version}".encode()
    return bytes(wrapped), AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], ad)


def dump_holding(settings: Settings, needles: dict[str, bytes]) -> list[str]:
    """'dump: needle' for every needle in a pg_dump of the events and the keys (bytes
    columns are written there in hex)."""
    dump = pg_dump(settings)
    return [f"dump: {name}" for name, n in needles.items() if n in dump or n.hex().encode() in dump]


@dataclass
class Erased:
    settings: Settings
    target: UUID
    others: list[UUID]
    bundle: bytes
    before: dict[UUID, list[dict[str, Any]]]
    cohort_before: list[tuple[Any, ...]]
    needles: dict[str, bytes]
    found_before: list[str]
    cli_output: str


def _histories(records: ChildRecords, ids: list[UUID]) -> dict[UUID, list[dict[str, Any]]]:
    return {c: [dict(vars(e)) for e in records.history(c)] for c in ids}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def erased(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Erased]:
    data = tmp_path_factory.mktemp("erasure") / "data"
    schema = None
    if request.param == "postgres":
        reason = _postgres_skip_reason()
        if reason:
            pytest.skip(reason)
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    settings = Settings(
        data_dir=data,
        database_url=f"{POSTGRES_URL}?schema={schema}" if schema else None,
        snapshot_interval=4,  # so the erased child has snapshots too
    )
    for name in (LOG_KEY, EXPORTER_KEY):
        create_key_pair(settings.keys_dir, name)
    records = open_records(settings, clock=fixed_clock)
    backend = cast(LedgerBackend, records.recorder)
    target = a_child_with_the_marker(records).child_id
    others = [with_parent(register(records)).child_id for _ in range(2)]
    records.note_access(target, user=f"u-{MARKER}", role="senco", setting="s", view="plan")
    UserStore(backend).add(f"{MARKER} parent", role="parent", setting_id="s", child_id=str(target))
    cohort = CohortProjection(records, backend)
    cohort.catch_up()
    assert records.snapshots is not None
    assert records.snapshots.recorder.select_events(target)  # sealed snapshots exist
    bundle = Exporter(records, settings, pdf=False).export(
        target, as_of=None, known_at=None, reason=None
    )
    needles = {"marker": MARKER.encode()}
    for originator in records.stored_ids(target):
        wrapped, key = raw_data_key(settings, originator)
        needles |= {f"wrapped {originator}": wrapped, f"key {originator}": key}
        needles[f"key hex {originator}"] = key.hex().encode()
    # Before: the parent user's name (clear text in the users table) holds the marker, and
    # the key store holds the wrapped keys, so the scans below can find what they look for.
    found_before = (
        files_holding(data, needles) if schema is None else dump_holding(settings, needles)
    )
    before = _histories(records, others)
    cohort_before = [r for r in cohort.contents().children if r[0] != str(target)]
    records.close()

    result = cli_erase(settings, target, "--yes")
    assert result.exit_code == 0, result.output
    yield Erased(
        settings,
        target,
        others,
        bundle.content,
        before,
        cohort_before,
        needles,
        found_before,
        " ".join(result.output.split()),
    )
    if schema:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}_keys" CASCADE')


@pytest.fixture
def reader(erased: Erased) -> Iterator[ChildRecords]:
    records = open_records(erased.settings, clock=fixed_clock)
    yield records
    records.close()


class TestAfterErasure:
    def test_the_cli_says_what_it_did(self, erased: Erased) -> None:
        assert "RecordErased recorded as v" in erased.cli_output
        assert "2 data key(s) destroyed" in erased.cli_output
        assert "1 parent user(s) removed" in erased.cli_output

    def test_every_read_of_the_child_fails_with_a_typed_error(
        self, erased: Erased, reader: ChildRecords
    ) -> None:
        with pytest.raises(ChildErased):
            reader.get_child(erased.target)
        with pytest.raises(ChildErased):
            reader.get_child(erased.target, version=2)
        with pytest.raises(ChildErased):
            reader.history(erased.target)
        with pytest.raises(ChildErased):
            reader.accesses(erased.target)
        with pytest.raises(ChildErased):
            reader.note_access(erased.target, user="u", role="senco", setting="s", view="plan")
        assert erased.target not in list(reader.child_ids())
        assert erased.target in list(reader.child_ids(include_erased=True))

    def test_the_keys_are_destroyed_and_tombstoned(
        self, erased: Erased, reader: ChildRecords
    ) -> None:
        keys = open_key_store(reader)
        for originator in (erased.target, access_log_id(erased.target)):
            assert not keys.has_key(originator)
            assert keys.is_erased(originator)
        assert all(keys.has_key(other) for other in erased.others)

    def test_other_children_read_exactly_as_before(
        self, erased: Erased, reader: ChildRecords
    ) -> None:
        assert _histories(reader, erased.others) == erased.before

    def test_the_audit_still_passes(self, erased: Erased) -> None:
        code, output = run_audit(erased.settings)
        assert code == 0, output
        assert "AUDIT OK" in output

    def test_a_bundle_exported_before_still_verifies_offline(self, erased: Erased) -> None:
        verified = verify_bundle(erased.bundle)
        assert verified.child_id == str(erased.target)
        assert verified.entries_admitted >= 8
        assert MARKER.encode() in read_zip(erased.bundle)["data/events.jsonl"]  # in clear

    def test_the_read_models_keep_nothing_of_the_child(
        self, erased: Erased, reader: ChildRecords
    ) -> None:
        backend = cast(LedgerBackend, reader.recorder)
        cohort = CohortProjection(reader, backend)
        cohort.catch_up()
        contents = cohort.contents()
        assert str(erased.target) not in {row[0] for row in contents.children}
        assert str(erased.target) not in {cost[0] for cost in contents.costs}
        assert contents.children == erased.cohort_before  # the others, as they were
        rebuilt = CohortProjection(reader, backend)
        rebuilt.rebuild()
        assert rebuilt.contents().children == contents.children
        with backend.ledger_cursor() as cursor:
            cursor.execute(
                backend.tables.q("SELECT COUNT(*) AS n FROM {p}api_users WHERE child_id = ?"),
                [str(erased.target)],
            )
            assert cursor.fetchone()["n"] == 0

    def test_no_file_of_the_data_dir_nor_a_pg_dump_holds_the_marker_or_the_keys(
        self, erased: Erased
    ) -> None:
        if erased.settings.database_url is None:  # the scan finds what is there
            assert any(f.endswith(": marker") for f in erased.found_before)
            assert any(f.startswith("keystore.db: wrapped") for f in erased.found_before)
        else:
            assert "dump: marker" in erased.found_before  # the parent's name was there
            assert any(f.startswith("dump: wrapped") for f in erased.found_before)  # the keys
            dump = pg_dump(erased.settings)
            assert str(erased.others[0]).encode() in dump  # the dump has the data...
            assert dump_holding(erased.settings, erased.needles) == []  # ...none of the child's
        assert files_holding(erased.settings.data_dir, erased.needles) == []


class TestErasingOneChild:
    def test_a_legal_hold_refuses_erasure_and_keeps_everything(
        self, open_store: OpenStore, settings: Settings
    ) -> None:
        records = open_store()
        child = a_child_with_the_marker(records)
        child.do(cmd.PlaceLegalHold, NOW, SENCO, reason="tribunal appeal pending")
        result = cli_erase(settings, child.child_id, "--yes")
        assert result.exit_code == 2
        assert "legal hold" in result.output
        reader = open_store()
        assert len(reader.history(child.child_id)) == child.version
        assert open_key_store(reader).has_key(child.child_id)
        child.do(cmd.LiftLegalHold, NOW, SENCO, reason="appeal decided")
        assert cli_erase(settings, child.child_id, "--yes").exit_code == 0
        with pytest.raises(ChildErased):
            open_store().get_child(child.child_id)

    def test_without_yes_it_asks_and_no_keeps_the_record(
        self, open_store: OpenStore, settings: Settings
    ) -> None:
        child = a_child_with_the_marker(open_store())
        result = cli_erase(settings, child.child_id, answer="n\n")
        assert "Erase child" in result.output
        assert result.exit_code == 1
        assert open_store().get_child(child.child_id).version == child.version
        answered = cli_erase(settings, child.child_id, answer="y\n")
        assert answered.exit_code == 0, answered.output

    def test_show_says_the_record_was_erased(
        self, open_store: OpenStore, settings: Settings
    ) -> None:
        child = a_child_with_the_marker(open_store())
        assert cli_erase(settings, child.child_id, "--yes").exit_code == 0
        env = {**_env(settings), "COLUMNS": "200"}
        shown = CliRunner().invoke(cli, ["show", str(child.child_id)[:8]], env=env)
        assert shown.exit_code == 3
        assert "record was erased" in shown.output

    def test_an_unknown_child_or_a_prefix_is_refused(self, settings: Settings) -> None:
        assert cli_erase(settings, uuid.uuid4(), "--yes").exit_code == 3
        result = CliRunner().invoke(
            cli, ["erase", "abcd", "--reason", "x", "--yes"], env=_env(settings)
        )
        assert result.exit_code == 2
        assert "full id" in result.output

    def test_an_interrupted_erasure_is_finished_by_running_it_again(
        self, open_store: OpenStore, settings: Settings
    ) -> None:
        records = open_store()
        child = a_child_with_the_marker(records)
        # The erasure event was stored, then the process died before the keys went.
        records.handle(child.child_id, cmd.Erase(reason="retention period over"), on(NOW))
        with pytest.raises(ChildErased):
            records.get_child(child.child_id)
        assert open_key_store(records).has_key(child.child_id)
        result = cli_erase(settings, child.child_id, "--yes")
        assert result.exit_code == 0, result.output
        assert "already recorded" in " ".join(result.output.split())
        assert not open_key_store(open_store()).has_key(child.child_id)
        assert cli_erase(settings, child.child_id, "--yes").exit_code == 0  # idempotent

    def test_the_api_answers_410_gone_and_lists_the_others(self, tmp_path: Path) -> None:
        settings = Settings(data_dir=tmp_path / "data")
        for name in (LOG_KEY, EXPORTER_KEY):
            create_key_pair(settings.keys_dir, name)
        records = open_records(settings)
        kept, gone = register(records), a_child_with_the_marker(records)
        backend = cast(LedgerBackend, records.recorder)
        _, token = UserStore(backend).add("A senco", role="senco", setting_id="test-setting")
        headers = {"Authorization": f"Bearer {token}"}
        with TestClient(create_app(settings)) as client:
            assert client.get(f"/v1/children/{gone.child_id}", headers=headers).status_code == 200
            erase_child(
                records,
                backend,
                gone.child_id,
                draft=lambda s: EnvelopeDraft(records.clock(), RecordedBy("u-admin", "admin", s)),
                reason="parent's request",
            )
            for path in ("", "/plan", "/chronology", "/events"):
                response = client.get(f"/v1/children/{gone.child_id}{path}", headers=headers)
                assert response.status_code == 410, path
                body = response.json()
                assert body["type"].endswith("/record_erased")
                assert MARKER not in response.text
            listed = client.get("/v1/children", headers=headers).json()["children"]
            assert [c["child_id"] for c in listed] == [str(kept.child_id)]
        records.close()


def test_erase_is_refused_by_the_domain_under_a_legal_hold(
    memory_records: ChildRecords,
) -> None:
    child = register(memory_records)
    child.do(cmd.PlaceLegalHold, NOW, SENCO, reason="litigation")
    with pytest.raises(LegalHoldActive):
        child.do(cmd.Erase, NOW, SENCO, reason="parent's request")
    assert child.history_kinds()[-1] == "LegalHoldPlaced"


class TestRetentionSchedule:
    def test_the_report_puts_due_records_first_and_dispose_shreds_only_those(
        self, open_store: OpenStore, settings: Settings
    ) -> None:
        create_key_pair(settings.keys_dir, LOG_KEY)
        records = open_store()
        due = register(records, born=date(1992, 2, 29), registered=date(1995, 9, 1))
        held = register(records, born=date(1990, 1, 1), registered=date(1993, 9, 1))
        held.do(cmd.PlaceLegalHold, NOW, SENCO, reason="claim pending")
        young = register(records)
        unknown = records.register(
            cmd.RegisterChild(
                given_name="Testy",
                family_name="Fictional",
                date_of_birth=None,
                setting_id="test-setting",
            ),
            on(date(2024, 9, 2)),
        )
        env = {**_env(settings), "COLUMNS": "200"}
        shown = CliRunner().invoke(cli, ["retention", "report", "--today", "2026-11-24"], env=env)
        assert shown.exit_code == 0, shown.output
        rows = [line for line in shown.output.splitlines() if "test-setting" in line]
        assert [r.split("│")[1].strip() for r in rows] == [
            str(c) for c in (due.child_id, unknown, held.child_id, young.child_id)
        ]
        assert "2023-03-01" in rows[0]  # 29 February + 31 years: 1 March in a common year
        assert rows[0].split("│")[4].strip() == "due"
        assert rows[1].split("│")[4].strip() == "needs review"
        assert rows[2].split("│")[4].strip() == "legal hold"
        assert rows[3].split("│")[4].strip() == "retained"

        disposed = CliRunner().invoke(cli, ["retention", "dispose", "--yes"], env=env)
        assert disposed.exit_code == 0, disposed.output
        assert "Disposed of 1 record(s)" in disposed.output
        reader = open_store()
        with pytest.raises(ChildErased):
            reader.get_child(due.child_id)
        assert not open_key_store(reader).has_key(due.child_id)
        for kept in (held.child_id, young.child_id, unknown):
            reader.get_child(kept)
        code, output = run_audit(settings)
        assert code == 0, output
        again = CliRunner().invoke(cli, ["retention", "report"], env=env)
        assert str(due.child_id) not in again.output
