"""`export-setting` then `import --from-sendtrail` into an empty installation: every view of
every child equal at several dates (except record time and provenance), files carried,
re-import skipped, tampering refused with nothing stored. Both stores."""

from __future__ import annotations

import csv
import io
import json
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import bagit
import psycopg
import pytest

from api.bootstrap import open_key_store, open_ledger, open_records, set_record_clock
from api.cli_export_setting import setting_keys
from api.cli_serve import ensure_keys
from api.demo import build_demo_cohort
from api.importing.from_sendtrail import SendtrailImporter
from api.importing.mapping import BUILTIN_DIR, load_mapping
from api.importing.run import Importer, run_import
from api.settings import Settings
from domain import commands as cmd
from domain.application import ChildRecords
from domain.envelope import EnvelopeDraft, RecordedBy
from exporters.setting_export import SettingExport, SettingExportError, export_setting
from ledger.documents import DocumentStore
from ledger.log import LedgerBackend
from projections.cohort import CohortProjection
from projections.views import VIEWS, ChildViews

TODAY = date(2026, 11, 24)
AS_OF = (date(2023, 9, 1), date(2024, 9, 1), date(2025, 3, 15), date(2025, 12, 1), TODAY)
EXAMPLES = BUILTIN_DIR.parent / "examples"


@pytest.fixture
def target(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """A second, empty installation on the same kind of store."""
    if settings.database_url is None:
        yield Settings(data_dir=tmp_path / "target", database_url=None)
        return
    base = settings.database_url.partition("?")[0]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield Settings(data_dir=tmp_path / "target", database_url=f"{base}?schema={schema}")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}_keys" CASCADE')


def _attach(records: ChildRecords, child_id: UUID, content: bytes) -> None:
    """A file uploaded and attached to an observation (as the API does)."""
    store = DocumentStore(cast(LedgerBackend, records.recorder))
    aead = open_key_store(records).aead(child_id, create=False)
    doc, _ = store.put(
        child_id,
        io.BytesIO(content),
        name="drawing.txt",
        media_type="text/plain",
        metadata_stripped=False,
        aead=aead,
    )
    child = records.get_child(child_id)
    records.handle(
        child_id,
        cmd.RecordObservation(
            area="physical", notes="Drew a circle with a crayon.", observer="Key person"
        ),
        EnvelopeDraft(
            date(2025, 10, 2),
            RecordedBy("u-kp", "practitioner", child.setting_id),
            attachments=[doc.as_attachment()],
        ),
    )


def _source(settings: Settings) -> tuple[list[UUID], UUID, UUID]:
    """A varied history: the demo cohort (record times days to weeks after the events), a
    file, a correction and a mistake mark, imported children with month-precise dates, and
    one erased record."""
    ensure_keys(settings)
    records = open_records(settings)
    try:
        ids = build_demo_cohort(
            records,
            children=6,
            seed=3,
            today=TODAY,
            record_clock=lambda c: set_record_clock(records, c),
        )
        set_record_clock(records, records.clock)
        _attach(records, ids[0], b"a fictional drawing")
        records.note_access(ids[0], user="u-senco", role="senco", setting="s", view="plan")
        who = RecordedBy("u-senco", "senco", records.get_child(ids[1]).setting_id)
        records.handle(
            ids[1],
            cmd.Correct(supersedes=2, statement="Date of entry was wrong."),
            EnvelopeDraft(TODAY, who),
        )
        records.handle(
            ids[1],
            cmd.MarkMistaken(target_version=3, reason="Wrong child."),
            EnvelopeDraft(TODAY, who),
        )
        for name in ("pupil-list", "chronology", "provision-map"):
            outcome = run_import(
                Importer(records, load_mapping(name), EXAMPLES / f"{name}.csv", user="u-admin"),
                dry_run=False,
            )
            assert not outcome.refused
        erased = ids[5]
        records.handle(
            erased,
            cmd.Erase(reason="Fictional erasure"),
            EnvelopeDraft(TODAY, RecordedBy("u-admin", "admin", who.setting)),
        )
        return list(records.child_ids()), erased, ids[0]
    finally:
        records.close()


def _imported_rows_documents(settings: Settings, ids: list[UUID]) -> int:
    """How many documents the imports kept: each child's own rows of a source file."""
    records = open_records(settings)
    try:
        store = DocumentStore(cast(LedgerBackend, records.recorder))
        return sum(d.name.startswith("imported-") for child in ids for d in store.documents(child))
    finally:
        records.close()


def _export(settings: Settings, out: Path, setting: str | None = None) -> SettingExport:
    records = open_records(settings)
    try:
        return export_setting(
            records,
            open_ledger(records, settings),
            DocumentStore(cast(LedgerBackend, records.recorder)),
            lambda c: open_key_store(records).aead(c, create=False),
            out,
            keys=setting_keys(settings),
            setting=setting,
        )
    finally:
        records.close()


def _import(settings: Settings, folder: Path, *, dry: bool = False) -> Any:
    records = open_records(settings)
    try:
        return SendtrailImporter(records, folder, user="u-mover").run(dry_run=dry)
    finally:
        records.close()


def _views(settings: Settings, ids: list[UUID]) -> dict[tuple[str, str, str], Any]:
    records = open_records(settings)
    try:
        views = ChildViews(records, open_ledger(records, settings))
        return {
            (str(c), name, day.isoformat()): views.view(name, c, as_of=day)
            for c in ids
            for name in VIEWS
            for day in AS_OF
        }
    finally:
        records.close()


def _cohort(settings: Settings) -> dict[str, Any]:
    """The cohort dashboard's answers (its read models caught up first)."""
    records = open_records(settings)
    try:
        cohort = CohortProjection(records, cast(LedgerBackend, records.recorder))
        cohort.catch_up()
        return {
            "children": cohort.contents().children,
            "costs": cohort.contents().costs,
            "by_status": cohort.by_status_and_need(),
            "overdue": cohort.overdue_reviews(TODAY),
            "high_concern": cohort.high_concern_without_plan(),
            "not_notified": cohort.plans_without_parent_notification(),
            "ehc": cohort.ehc_deadlines_due(TODAY, 365),
            "funding": cohort.cost_by_funding_source(),
        }
    finally:
        records.close()


def _without_record_time(value: Any, rows: list[dict[str, Any]]) -> Any:
    """The view less what differs by design: record time, basis (now `imported`) and
    provenance. Chronology rows are kept aside to check that provenance instead."""
    if isinstance(value, dict):
        if "recorded_at" in value and "kind" in value:
            rows.append(value)
        return {
            k: _without_record_time(v, rows)
            for k, v in value.items()
            if k not in ("recorded_at", "basis", "provenance")
        }
    if isinstance(value, list):
        return [_without_record_time(v, rows) for v in value]
    return value


def _same_views(
    source: Settings, target: Settings, ids: list[UUID], *, origin: str
) -> dict[tuple[str, str, str], Any]:
    """Every view of every child at every date of AS_OF is the same in both installations,
    but for record time, basis and provenance; that provenance names the source entry."""
    before, after = _views(source, ids), _views(target, ids)
    assert before.keys() == after.keys()
    for key in before:
        source_rows: list[dict[str, Any]] = []
        target_rows: list[dict[str, Any]] = []
        assert _without_record_time(after[key], target_rows) == _without_record_time(
            before[key], source_rows
        ), key
        for was, now in zip(source_rows, target_rows, strict=True):
            assert now["basis"] == "imported"
            provenance = now["provenance"]
            assert provenance["source_origin"] == origin
            assert provenance["source_basis"] == was["basis"]
            assert provenance["source_recorded_at"][:19] == was["recorded_at"][:19]
            assert len(provenance["source_leaf_hash"]) == 64
            assert (was.get("provenance") is not None) == ("source_provenance" in provenance)
    return after


def test_round_trip_reproduces_every_view(
    settings: Settings, target: Settings, tmp_path: Path
) -> None:
    ids, erased, attached = _source(settings)
    out = tmp_path / "export"
    done = _export(settings, out)
    assert (done.children, done.erased_left_out) == (len(ids), 1)
    imported_rows = _imported_rows_documents(settings, ids)
    assert imported_rows >= 2  # each imported child keeps its own rows of the source file
    assert done.documents == 1 + imported_rows
    bagit.Bag(str(out)).validate()  # a valid BagIt bag, checked by the library
    manifest = json.loads((out / "data" / "export.json").read_text())
    assert str(erased) not in {c["child_id"] for c in manifest["children"]}
    observations = (out / "data" / "summary" / "ObservationRecorded.csv").read_text("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(observations)))
    assert len(rows) == done.kinds["ObservationRecorded"]
    assert "Drew a circle with a crayon." in {r["notes"] for r in rows}

    (read,) = (out / "data" / "children" / str(attached) / "access.jsonl").read_text().splitlines()
    assert json.loads(read)["event"]["view"] == "plan"  # who read it there, with its proof
    assert len(json.loads(read)["inclusion_proof"]) > 0

    dry = _import(target, out, dry=True)
    assert not dry.refused
    assert dry.events == done.events
    assert not dry.written
    first = _import(target, out)
    assert not first.refused
    assert (first.children, first.events, first.documents) == (
        len(ids),
        done.events,
        1 + imported_rows,
    )

    after = _same_views(settings, target, ids, origin=manifest["origin"])

    dashboard = _cohort(settings)
    assert len(dashboard["children"]) == len(ids)
    assert dashboard["by_status"]
    assert _cohort(target) == dashboard  # the cohort dashboard too

    records = open_records(target)  # the file is there, under the child's key here
    try:
        store = DocumentStore(cast(LedgerBackend, records.recorder))
        (doc,) = store.documents(attached)
        aead = open_key_store(records).aead(attached, create=False)
        assert store.read(attached, doc.sha256, aead) == b"a fictional drawing"
    finally:
        records.close()

    records = open_records(target)  # rows imported there from a spreadsheet count here
    try:
        for name in ("pupil-list", "chronology", "provision-map"):
            rerun = run_import(
                Importer(records, load_mapping(name), EXAMPLES / f"{name}.csv", user="u-admin"),
                dry_run=False,
            )
            assert not rerun.refused
            assert rerun.skipped == rerun.rows
            assert rerun.entries == 0
    finally:
        records.close()

    again = _import(target, out)
    assert not again.refused
    assert (again.children, again.events, again.skipped) == (0, 0, done.events)
    assert _views(target, ids[:1]) == {k: v for k, v in after.items() if k[0] == str(ids[0])}


def test_later_export_adds_only_new_entries_and_one_setting(
    settings: Settings, target: Settings, tmp_path: Path
) -> None:
    ensure_keys(settings)
    records = open_records(settings)
    try:
        ids = build_demo_cohort(records, children=2, seed=4, today=TODAY)
        setting = records.get_child(ids[0]).setting_id
        assert records.get_child(ids[1]).setting_id != setting
    finally:
        records.close()
    first = _export(settings, tmp_path / "one", setting=setting)
    assert first.children == 1
    assert _import(target, tmp_path / "one").children == 1
    records = open_records(settings)
    try:
        who = RecordedBy("u-senco", "senco", setting)
        records.handle(
            ids[0],
            cmd.RecordObservation(area="physical", notes="Later.", observer="KP"),
            EnvelopeDraft(TODAY, who),
        )
    finally:
        records.close()
    later = _export(settings, tmp_path / "later")
    outcome = _import(target, tmp_path / "later")
    assert not outcome.refused
    assert (outcome.skipped, outcome.events) == (first.events, later.events - first.events)
    assert outcome.children == 2  # one extended by its new entry, one new
    origin = json.loads((tmp_path / "later" / "data" / "export.json").read_text())["origin"]
    _same_views(settings, target, ids, origin=origin)


def _tampered(out: Path, tmp_path: Path, change: str) -> Path:
    copy = tmp_path / f"tampered-{change}"
    shutil.copytree(out, copy)
    manifest = json.loads((copy / "data" / "export.json").read_text())
    events = copy / "data" / "children" / manifest["children"][0]["child_id"] / "events.jsonl"
    lines = events.read_text().splitlines()
    if change == "document":  # a digest that would lead out of the folder
        listing = {"documents": [{"sha256": "../../../keys/x", "name": "x", "media_type": "a/b"}]}
        (events.parent / "documents.json").write_text(json.dumps(listing))
    elif change == "content":
        line = json.loads(lines[1])
        line["event"]["notes"] = "Rewritten."
        line["event"].setdefault("summary", "Rewritten.")
        lines[1] = json.dumps(line)
    elif change == "tail":  # the record's tail cut off
        lines = lines[:-1]
    events.write_text("\n".join(lines) + "\n")
    # Re-bag, so only the proofs can tell (the manifests are no defence on their own).
    bag = bagit.Bag(str(copy))
    bag.save(manifests=True)
    return copy


@pytest.mark.parametrize("change", ["content", "tail", "document"])
def test_tampered_export_is_refused_and_nothing_stored(
    settings: Settings, target: Settings, tmp_path: Path, change: str
) -> None:
    ensure_keys(settings)
    records = open_records(settings)
    try:
        build_demo_cohort(records, children=2, seed=5, today=TODAY)
    finally:
        records.close()
    _export(settings, tmp_path / "export")
    outcome = _import(target, _tampered(tmp_path / "export", tmp_path, change))
    assert outcome.refused
    assert not outcome.written
    expected = {"content": "commitment", "tail": "tail", "document": "sha256"}[change]
    assert expected in outcome.refused[0][1]
    records = open_records(target)
    try:
        assert not list(records.child_ids())
    finally:
        records.close()


def test_export_refuses_a_folder_with_files(settings: Settings, tmp_path: Path) -> None:
    ensure_keys(settings)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(SettingExportError, match="not an empty folder"):
        _export(settings, tmp_path / "full")
