"""Subject access bundles (`sendtrail sar`): a parent gets the whole record, signed and
verifiable offline, except entries flagged as third-party information, which are listed
(leaf and proof, no content) and named in data/redactions.json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.bootstrap import Exporter, open_records
from api.cli import app as cli
from api.settings import Settings
from domain import commands as cmd
from domain.application import ChildRecords
from domain.envelope import EnvelopeDraft
from domain.events import EvidenceBundleExported
from exporters.archive import read_zip
from exporters.bundle import Bundle
from exporters.verify import WITHHELD, VerificationError, verify_bundle
from ledger.keys import EXPORTER_KEY, LOG_KEY, create_key_pair
from tests.factories import PARENT, PRACTITIONER, SENCO, ChildBuilder, register, with_parent
from tests.support.bundles import resign

THIRD_PARTY_WORDS = "another-family-narwhal-93"


@dataclass
class Sar:
    settings: Settings
    records: ChildRecords
    exporter: Exporter
    child: ChildBuilder
    withheld: list[int]
    bundle: Bundle


@pytest.fixture(scope="module")
def sar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sar]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("sar") / "data")
    for name in (LOG_KEY, EXPORTER_KEY):
        create_key_pair(settings.keys_dir, name)
    records = open_records(settings)
    child = with_parent(register(records))
    child.do(
        cmd.RecordObservation,
        date(2025, 1, 6),
        PRACTITIONER,
        area="personal_social_emotional",
        notes="Shared the sand tray with a friend.",
        observer="Key person",
    )
    third = EnvelopeDraft(date(2025, 1, 7), PRACTITIONER, sensitivity="third_party")
    child.version = records.handle(
        child.child_id,
        cmd.RecordObservation(
            area="personal_social_emotional",
            notes=f"Upset after {THIRD_PARTY_WORDS}'s parent shouted at pick-up.",
            observer="Key person",
        ),
        third,
        expected_version=child.version,
    )
    flagged = child.version
    child.do(
        cmd.Correct,
        date(2025, 1, 8),
        SENCO,
        supersedes=flagged,
        statement=f"{THIRD_PARTY_WORDS}: aunt",
    )
    child.do(cmd.RecordParentView, date(2025, 1, 9), PARENT, person_id="parent-1", view="Happy.")
    exporter = Exporter(records, settings, pdf=False)
    bundle = exporter.export(
        child.child_id, as_of=None, known_at=None, reason=None, subject_access=True
    )
    yield Sar(settings, records, exporter, child, [flagged, flagged + 1], bundle)
    records.close()


def lines_of(files: dict[str, bytes]) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in files["data/events.jsonl"].splitlines()]


class TestSubjectAccessBundle:
    def test_it_verifies_offline_and_counts_what_it_withholds(self, sar: Sar) -> None:
        verified = verify_bundle(sar.bundle.content)
        assert verified.entries_withheld == 2
        assert verified.entries_listed == sar.child.version
        assert verified.entries_admitted == sar.child.version - 2

    def test_withheld_entries_are_listed_without_content_and_named(self, sar: Sar) -> None:
        files = read_zip(sar.bundle.content)
        lines = {line["leaf"]["version"]: line for line in lines_of(files)}
        for version in sar.withheld:
            assert lines[version]["admitted"] is False
            assert lines[version]["not_admitted_because"] == WITHHELD
            assert lines[version]["event"] is None
            assert lines[version]["stored"] is None
        redactions = json.loads(files["data/redactions.json"])
        assert [r["version"] for r in redactions["withheld"]] == sar.withheld
        assert [r["kind"] for r in redactions["withheld"]] == [
            "ObservationRecorded",
            "RecordCorrected",
        ]
        summary = json.loads(files["data/bundle.json"])
        assert summary["purpose"] == "subject_access"
        assert summary["withheld"] == sar.withheld
        assert b"Entries withheld</th><td>2:" in files["data/report.html"]

    def test_no_file_of_the_bundle_holds_the_third_party_words(self, sar: Sar) -> None:
        files = read_zip(sar.bundle.content)
        assert not [
            name for name, content in files.items() if THIRD_PARTY_WORDS.encode() in content
        ]
        # ...which a bundle for the EHC request does hold.
        ehc = sar.exporter.export(sar.child.child_id, as_of=None, known_at=None, reason=None)
        assert THIRD_PARTY_WORDS.encode() in read_zip(ehc.content)["data/events.jsonl"]
        assert THIRD_PARTY_WORDS.encode() in read_zip(ehc.content)["data/chronology.json"]

    def test_the_export_is_recorded_on_the_child_as_a_subject_access(self, sar: Sar) -> None:
        exports = [
            e
            for e in sar.records.history(sar.child.child_id)
            if isinstance(e, EvidenceBundleExported)
        ]
        assert exports[0].purpose == "subject_access"
        assert exports[0].bundle_sha256 == sar.bundle.sha256


class TestSubjectAccessTampering:
    def _signed(self, sar: Sar, files: dict[str, bytes]) -> bytes:
        return resign(files, sar.exporter.keys.exporter)

    def _fails(self, data: bytes) -> VerificationError:
        with pytest.raises(VerificationError) as error:
            verify_bundle(data)
        return error.value

    def test_a_withheld_entry_passed_off_as_outside_as_of(self, sar: Sar) -> None:
        files = read_zip(sar.bundle.content)
        lines = files["data/events.jsonl"].splitlines(keepends=True)
        index = sar.withheld[0] - 1
        line = json.loads(lines[index])
        line["not_admitted_because"] = "outside as_of"
        lines[index] = json.dumps(line).encode() + b"\n"
        files["data/events.jsonl"] = b"".join(lines)
        error = self._fails(self._signed(sar, files))
        assert error.reason == "withheld entries differ from those the signed summary lists"

    def test_redactions_that_do_not_match_the_signed_list(self, sar: Sar) -> None:
        files = read_zip(sar.bundle.content)
        redactions = json.loads(files["data/redactions.json"])
        redactions["withheld"] = redactions["withheld"][:1]
        files["data/redactions.json"] = json.dumps(redactions).encode()
        error = self._fails(self._signed(sar, files))
        assert error.where == "data/redactions.json"

    def test_an_ordinary_entry_hidden_as_withheld(self, sar: Sar) -> None:
        files = read_zip(sar.bundle.content)
        lines = files["data/events.jsonl"].splitlines(keepends=True)
        line = json.loads(lines[2])  # v3: an ordinary observation
        line.update(admitted=False, not_admitted_because=WITHHELD, stored=None, event=None)
        lines[2] = json.dumps(line).encode() + b"\n"
        files["data/events.jsonl"] = b"".join(lines)
        error = self._fails(self._signed(sar, files))
        assert "v3" in error.where


def test_the_sar_command_writes_a_bundle_that_verify_accepts(sar: Sar, tmp_path: Path) -> None:
    env = {"SENDTRAIL_DATA": str(sar.settings.data_dir), "COLUMNS": "200"}
    out = tmp_path / "sar.zip"
    made = CliRunner().invoke(
        cli, ["sar", str(sar.child.child_id), "-o", str(out), "--no-pdf"], env=env
    )
    assert made.exit_code == 0, made.output
    checked = CliRunner().invoke(cli, ["verify", str(out)], env=env)
    assert checked.exit_code == 0, checked.output
    assert "(2 withheld as third-party information)" in checked.output
