"""Readable results (issue 18.8): `verify` on the CLI, the API and the web names the
child, the setting, the as-of and known-at times, when the bundle was exported, the trust
anchor and the witnesses, in plain words, and explains the first failure."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from api.app import create_app
from api.users import UserStore
from exporters.archive import read_zip
from exporters.bundle import Bundle
from exporters.verify import VerificationError, verify_bundle
from exporters.verify_words import described
from ledger.cosignature import Witness, body_of, cosign
from ledger.keys import EXPORTER_KEY, key_paths, load_private
from tests.support.bundles import Store, make_store, resign, verify_pinned

NAMES = {"demo-nursery-oak": "Oak Tree Nursery"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    made = make_store(tmp_path_factory.mktemp("words") / "data")
    made.settings = made.settings.model_copy(update={"setting_names": NAMES})
    made.exporter.settings = made.settings
    yield made
    made.records.close()


@pytest.fixture(scope="module")
def exported(store: Store) -> Bundle:
    child = store.children[2]
    return store.exporter.export(child, as_of=None, known_at=None, reason="EHC request")


def child_of(bundle: Bundle) -> dict[str, str]:
    plan = json.loads(read_zip(bundle.content)["data/support-plan.json"])
    child: dict[str, str] = plan["child"]
    return child


def run(tmp_path: Path, store: Store, bundle: bytes) -> tuple[int, str]:
    path = tmp_path / "bundle.zip"
    path.write_bytes(bundle)
    return verify_pinned(store, path)


def test_the_signed_summary_names_the_setting(exported: Bundle) -> None:
    summary = json.loads(read_zip(exported.content)["data/bundle.json"])
    assert summary["setting"] == {"id": "demo-nursery-oak", "name": "Oak Tree Nursery"}


def test_the_verifier_reads_child_and_setting_from_the_signed_bundle(exported: Bundle) -> None:
    result = verify_bundle(exported.content)
    child = child_of(exported)
    assert result.child_name == f"{child['given_name']} {child['family_name']}"
    assert (result.setting_id, result.setting_name) == ("demo-nursery-oak", "Oak Tree Nursery")


def test_the_cli_names_everything_in_plain_words(
    store: Store, exported: Bundle, tmp_path: Path
) -> None:
    code, said = run(tmp_path, store, exported.content)
    assert code == 0, said
    child = child_of(exported)
    lines = {m.group(1): m.group(2) for m in re.finditer(r"^  (\w[\w ]*):\s+(.*)$", said, re.M)}
    assert lines["Child"].startswith(f"{child['given_name']} {child['family_name']} (record ")
    assert str(store.children[2]) in lines["Child"]
    assert lines["Setting"] == "Oak Tree Nursery (demo-nursery-oak)"
    day = exported.as_of
    assert f"{day.day} {day:%b} {day.year}" in lines["Record"]
    known = exported.known_at.astimezone(UTC)
    assert f"{known:%H:%M} UTC (record time)" in lines["Record"]
    today = datetime.now(tz=UTC).date()
    assert lines["Exported"].startswith(f"on {today.day} {today:%b} {today.year} ({today})")
    assert "not before " in lines["Exported"]
    assert lines["Trust anchor"] == "the keys given (--key, --log-key)"
    assert "Witnesses" in lines


def test_the_first_failure_is_explained(store: Store, exported: Bundle, tmp_path: Path) -> None:
    files = read_zip(exported.content)
    files["data/chronology.json"] = files["data/chronology.json"].replace(b"a", b"b", 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, body in files.items():
            out.writestr(name, body)
    code, said = run(tmp_path, store, buffer.getvalue())
    assert code == 1
    assert "NOT VERIFIED: data/chronology.json: file changed" in said
    assert "Do not rely on this copy" in said
    assert "Child:" not in said  # nothing is vouched for in a failed bundle


def test_a_summary_naming_another_setting_than_the_record_fails(
    store: Store, exported: Bundle
) -> None:
    files = read_zip(exported.content)
    summary = json.loads(files["data/bundle.json"])
    summary["setting"] = {"id": "another-setting", "name": "Another"}
    files["data/bundle.json"] = json.dumps(summary).encode()
    key = load_private(key_paths(store.settings.keys_dir, EXPORTER_KEY).private)
    with pytest.raises(VerificationError, match="setting differs from the support plan"):
        verify_bundle(resign(files, key))


@pytest.mark.parametrize("day", ["2020-01-01", "not a day", "2999-01-01"])
def test_a_summary_giving_an_impossible_export_day_fails(
    store: Store, exported: Bundle, day: str
) -> None:
    """Before the newest entry was recorded, not a date, or after the trusted timestamp
    (here: a bundle without one passes a future day; with one it must not)."""
    files = read_zip(exported.content)
    summary = json.loads(files["data/bundle.json"])
    summary["exported_on"] = day
    files["data/bundle.json"] = json.dumps(summary).encode()
    key = load_private(key_paths(store.settings.keys_dir, EXPORTER_KEY).private)
    if day.startswith("2999"):
        assert verify_bundle(resign(files, key)).exported_on == day
        return
    with pytest.raises(VerificationError, match=r"exported_on is not a date|export day is before"):
        verify_bundle(resign(files, key))


def test_the_api_names_them_too(store: Store, exported: Bundle) -> None:
    app = create_app(store.settings)
    with TestClient(app) as client:
        users: UserStore = app.state.services.users
        token = users.add("Inspector", role="inspector", setting_id="demo-nursery-oak")[1]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/zip"}
        found = client.post("/v1/verify", content=exported.content, headers=headers).json()
        assert found["status"] == "verified"
        child = child_of(exported)
        assert found["child_name"] == f"{child['given_name']} {child['family_name']}"
        assert found["setting_name"] == "Oak Tree Nursery"
        assert found["setting_id"] == "demo-nursery-oak"
        assert datetime.fromisoformat(found["exported_not_before"]) == exported.known_at
        assert found["exported_on"] == datetime.now(tz=UTC).date().isoformat()
        assert any(line.startswith("Exported: on ") for line in found["described"])
        described = found["described"]
        assert any(line.startswith("Trust anchor: this installation") for line in described)
        broken = client.post("/v1/verify", content=b"PK not a zip", headers=headers).json()
        assert broken["status"] == "failed"
        assert broken["heading"] == "The file is not a readable bundle"
        assert "child_name" not in broken or broken["child_name"] is None


def test_a_bundle_from_before_the_summary_named_setting_and_day_still_reads(
    store: Store, exported: Bundle
) -> None:
    """Bundles made before this summary named its setting and export day verify as they
    did; the setting is the support plan's, and the export is dated by what it proves."""
    files = read_zip(exported.content)
    summary = json.loads(files["data/bundle.json"])
    del summary["setting"], summary["exported_on"]
    files["data/bundle.json"] = json.dumps(summary).encode()
    key = load_private(key_paths(store.settings.keys_dir, EXPORTER_KEY).private)
    result = verify_bundle(resign(files, key))
    assert (result.setting_id, result.setting_name) == ("demo-nursery-oak", "demo-nursery-oak")
    assert result.exported_on == ""
    words = dict(described(result))
    assert words["Exported"].startswith("not before ")
    assert words["Setting"] == "demo-nursery-oak"


def test_the_witnesses_are_named_with_when_they_cosigned(store: Store, tmp_path: Path) -> None:
    """A witness's cosignature on the bundle's checkpoint: named with its signed time when
    the verifier asks for that witness, and not named when it asks for another."""
    bundle = store.bundle(store.children[1])
    ledger = store.exporter.ledger
    note = read_zip(bundle.content)["data/audit/checkpoint.txt"].decode()
    witness_key = Ed25519PrivateKey.generate()
    when = int(datetime(2026, 11, 30, 12, 0, tzinfo=UTC).timestamp())
    line = cosign(body_of(note), witness_key, "la.example/witness", when)
    ledger.add_cosignature(bundle.checkpoint_size, "la.example/witness", line)
    cosigned = store.bundle(store.children[1]).content
    asked = Witness("la.example/witness", witness_key.public_key())
    other = Witness("other.example/witness", Ed25519PrivateKey.generate().public_key())
    result = verify_bundle(cosigned, witnesses=[asked, other], witnesses_required=1)
    assert result.witnessed_at == (("la.example/witness", datetime.fromtimestamp(when, UTC)),)
    words = dict(described(result))
    assert words["Witnesses"] == "la.example/witness, cosigned 30 Nov 2026, 12:00 UTC"
    unasked = dict(described(verify_bundle(cosigned, witnesses=[other])))["Witnesses"]
    assert unasked.startswith("no witness cosignature checked")


def test_the_report_says_the_day_it_was_exported(exported: Bundle) -> None:
    report = read_zip(exported.content)["data/report.html"].decode()
    today = datetime.now(tz=UTC).date()
    assert f"{today.day} {today:%b} {today.year}; the moment is recorded on the child" in report
