"""`sendtrail import` on the real store: shipped mappings on their examples, hostile
variants refused with nothing stored, dry run equal to the real run, idempotent re-runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]

from api.bootstrap import open_ledger, open_records
from api.importing.mapping import BUILTIN_DIR, MappingError, load_mapping, parse_mapping
from api.importing.run import Importer, run_import
from api.settings import Settings
from domain.application import ChildRecords
from projections.views import ChildViews
from tests.factories import fixed_clock

EXAMPLES = BUILTIN_DIR.parent / "examples"


def _import(records: ChildRecords, name: str, file: Path, *, dry: bool = False):  # type: ignore[no-untyped-def]
    return run_import(Importer(records, load_mapping(name), file, user="u-admin"), dry_run=dry)


def _events(records: ChildRecords) -> list[Any]:
    return [e for c in records.child_ids() for e in records.history(c)]


def test_examples_import_with_provenance_and_rerun_skips(records: ChildRecords) -> None:
    dry = _import(records, "pupil-list", EXAMPLES / "pupil-list.csv", dry=True)
    assert not dry.refused
    assert dry.children_created == 2
    assert not _events(records)
    out = _import(records, "pupil-list", EXAMPLES / "pupil-list.csv")
    assert (out.children_created, out.entries) == (dry.children_created, dry.entries)
    chron = _import(records, "chronology", EXAMPLES / "chronology.csv")
    prov = _import(records, "provision-map", EXAMPLES / "provision-map.csv")
    assert not chron.refused
    assert not prov.refused
    assert chron.entries == 3
    events = _events(records)
    assert len(events) == out.entries + chron.entries + prov.entries
    for event in events:
        assert event.basis == "imported"
        p = event.provenance
        assert p["source_system"] == "MIS pupil list"
        assert p["imported_by"] == "u-admin"
        assert len(p["source_file_sha256"]) == 64
        assert p["row"] >= 2
    month = [e for e in events if e.precision == "month"]
    assert len(month) == 1
    assert month[0].occurred_at.day == 1
    again = _import(records, "chronology", EXAMPLES / "chronology.csv")
    assert again.skipped == 3
    assert again.entries == 0
    assert _import(records, "pupil-list", EXAMPLES / "pupil-list.csv").skipped == 2
    assert len(_events(records)) == len(events)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("P9,,Cy,Bad,31/02/2021,R,N,,01/09/2024\n", "DOB"),  # no 31 February
        ("P9,,Cy,Bad,01/01/2021,R,X,,01/09/2024\n", "status"),  # not a SEN status
        ("P9,,Cy,Bad,01/01/2021,R,N\n", "(file)"),  # ragged row
        ("P9,,Cy,Bad,01/01/2021,R,N,,01/09/2099\n", "occurred_at"),  # in the future
    ],
)
def test_one_bad_row_stores_nothing(
    records: ChildRecords, tmp_path: Path, body: str, field: str
) -> None:
    good = (EXAMPLES / "pupil-list.csv").read_text()
    file = tmp_path / "pupils.csv"
    file.write_text(good + body)
    out = _import(records, "pupil-list", file)
    assert out.refused
    assert out.refused[0][1] == field
    assert not out.written
    assert not _events(records)


def test_xlsx_and_formula_refused(records: ChildRecords, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Pupils"
    lines = (EXAMPLES / "pupil-list.csv").read_text().splitlines()
    for line in lines:
        sheet.append(line.split(","))
    book.save(tmp_path / "pupils.xlsx")
    out = _import(records, "pupil-list", tmp_path / "pupils.xlsx")
    assert not out.refused
    assert out.children_created == 2
    sheet.append(["P3", "", "=1+1", "X", "01/01/2021", "R", "N", "", "01/09/2024"])
    book.save(tmp_path / "formula.xlsx")
    bad = _import(records, "pupil-list", tmp_path / "formula.xlsx")
    assert bad.refused
    assert "formula" in bad.refused[0][2]


def test_chronology_for_unknown_child_refused(records: ChildRecords) -> None:
    out = _import(records, "chronology", EXAMPLES / "chronology.csv")
    assert out.refused
    assert out.refused[0][1] == "Pupil ID"
    assert not _events(records)


def test_broken_mapping_names_field_and_rule(tmp_path: Path) -> None:
    raw = (BUILTIN_DIR / "pupil-list.toml").read_bytes().replace(b'date_order = "dmy"', b"")
    with pytest.raises(MappingError) as error:
        parse_mapping(tmp_path / "m.toml", raw)
    assert error.value.field == "date_order"
    raw = (BUILTIN_DIR / "chronology.toml").read_bytes().replace(b'text = "Entry"', b"")
    with pytest.raises(MappingError, match="must map text"):
        parse_mapping(tmp_path / "m.toml", raw)


def test_chronology_marks_imported_entries(settings: Settings) -> None:
    records = open_records(settings, clock=fixed_clock)
    try:
        _import(records, "pupil-list", EXAMPLES / "pupil-list.csv")
        _import(records, "chronology", EXAMPLES / "chronology.csv")
        child = next(
            c
            for c in records.child_ids()
            if (records.history(c)[0].provenance or {}).get("source_child") == "P001"
        )
        views = ChildViews(records, open_ledger(records, settings))
        rows = views.view("chronology", child)["entries"]
        assert rows
        assert {r["basis"] for r in rows} == {"imported"}
        assert {r["provenance"]["source_system"] for r in rows} == {"MIS pupil list"}
        assert "month" in {r["precision"] for r in rows}
    finally:
        records.close()


def test_each_child_keeps_only_its_own_rows_of_the_source_as_a_document(
    records: ChildRecords, settings: Settings
) -> None:
    """Issue 22.2: the source is kept as a document on the child's first imported entry;
    the file holds other children's rows, so each child keeps only its own."""
    import csv
    import io
    from typing import cast
    from uuid import UUID

    from api.bootstrap import open_key_store
    from ledger.documents import DocumentStore
    from ledger.log import LedgerBackend

    _import(records, "pupil-list", EXAMPLES / "pupil-list.csv")
    _import(records, "chronology", EXAMPLES / "chronology.csv")
    store = DocumentStore(cast(LedgerBackend, records.recorder))
    keys = open_key_store(records)
    seen: dict[str, set[str]] = {}
    for child_id in records.child_ids():
        history = records.history(child_id)
        named = {a["sha256"]: e for e in history for a in e.attachments if isinstance(a, dict)}
        docs = store.documents(child_id)
        assert {d.sha256 for d in docs} == set(named)  # every kept file named by an entry
        for doc in docs:
            assert (doc.media_type, doc.name[:9]) == ("text/csv", "imported-")
            text = store.read(child_id, doc.sha256, keys.aead(child_id, create=False)).decode()
            rows = list(csv.DictReader(io.StringIO(text)))
            assert rows
            pupils = {row["Pupil ID"] for row in rows}
            assert len(pupils) == 1  # this child's rows only
            provenance = named[doc.sha256].provenance
            assert provenance is not None
            assert str(provenance["row"]) in {row["source row"] for row in rows}
            seen.setdefault(next(iter(pupils)), set()).add(str(UUID(str(child_id))))
    assert all(len(children) == 1 for children in seen.values())
    assert len(seen) == 2  # both pupils, each in its own record
