"""Files in a child's record through the real app, on SQLite and PostgreSQL: upload, attach
to an entry, read back through the entry's checks; types read from the bytes; photos
stripped of their metadata; refusals store nothing; a changed file is never served;
erasure leaves nothing readable."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from uuid import UUID

import bagit
import psycopg
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from api.app import create_app
from api.bootstrap import open_key_store, open_records
from api.cli import app as cli
from api.cli_serve import ensure_keys
from api.documents_cleanup import cleanup, orphans
from api.erasure import erase_child
from api.settings import Settings
from domain.envelope import EnvelopeDraft, RecordedBy
from exporters.archive import read_zip
from exporters.verify import VerificationError, verify_bundle
from ledger.documents import DocumentStore
from ledger.log import LedgerBackend
from tests.conftest import POSTGRES_URL
from tests.processes import cli_env, one_line, sendtrail
from tests.support.bundles import resign

SETTING = "nursery-oak"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def photo_with_location() -> bytes:
    """A JPEG whose EXIF holds a GPS position and a camera model."""
    image = Image.new("RGB", (40, 30), (200, 120, 40))
    exif = Image.Exif()
    exif[0x0110] = "Phone Model X"  # Model
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@dataclass
class World:
    client: TestClient
    settings: Settings
    tokens: dict[str, str]
    child: str
    backend: LedgerBackend

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def upload(self, data: bytes, name: str = "report.pdf", who: str = "senco") -> Any:
        return self.client.post(
            f"/v1/children/{self.child}/documents",
            files={"file": (name, data, "application/octet-stream")},
            headers=self.auth(who),
        )

    def version(self) -> int:
        found = self.client.get(f"/v1/children/{self.child}", headers=self.auth("senco"))
        return int(found.json()["version"])

    def observe(self, attachments: list[str], **extra: Any) -> Any:
        return self.client.post(
            f"/v1/children/{self.child}/observations",
            json={
                "expected_version": self.version(),
                "occurred_at": "2025-03-10",
                "area": "physical",
                "notes": "Climbed the frame unaided.",
                "observer": "Key person",
                "attachments": attachments,
                **extra,
            },
            headers=self.auth("senco"),
        )

    def listed(self, who: str = "senco") -> list[dict[str, Any]]:
        found = self.client.get(f"/v1/children/{self.child}/documents", headers=self.auth(who))
        assert found.status_code == 200, found.text
        return list(found.json()["documents"])


@pytest.fixture
def world(settings: Settings) -> Iterator[World]:
    settings = settings.model_copy(update={"max_document_bytes": 64 * 1024})
    ensure_keys(settings)
    app = create_app(settings)
    with TestClient(app) as client:
        users = app.state.services.users
        tokens = {
            role: users.add(f"Test {role}", role=role, setting_id=SETTING)[1]
            for role in ("senco", "practitioner")
        }
        tokens["outsider"] = users.add("Other", role="senco", setting_id="nursery-elm")[1]
        made = client.post(
            "/v1/children",
            json={
                "given_name": "Doc",
                "family_name": "Fictional",
                "date_of_birth": "2022-05-01",
                "occurred_at": "2024-09-02",
            },
            headers={"Authorization": f"Bearer {tokens['senco']}"},
        )
        assert made.status_code == 201, made.text
        child = str(made.json()["child_id"])
        tokens["parent"] = users.add("Parent", role="parent", setting_id=SETTING, child_id=child)[1]
        yield World(client, settings, tokens, child, app.state.services.records.recorder)


class TestUploadAttachRead:
    def test_a_pdf_round_trips_and_its_entry_records_what_it_is(self, world: World) -> None:
        stored = world.upload(PDF, name="../../etc/SALT report.pdf")
        assert stored.status_code == 201, stored.text
        described = stored.json()
        assert described == {
            "sha256": hashlib.sha256(PDF).hexdigest(),
            "name": "SALT report.pdf",  # no folder from the client's side
            "media_type": "application/pdf",
            "size": len(PDF),
            "metadata_stripped": False,
        }
        made = world.observe([described["sha256"]])
        assert made.status_code == 201, made.text
        events = world.client.get(
            f"/v1/children/{world.child}/events", headers=world.auth("senco")
        ).json()["events"]
        assert events[-1]["event"]["attachments"] == [
            {k: described[k] for k in ("sha256", "name", "media_type", "size")}
        ]
        read = world.client.get(
            f"/v1/children/{world.child}/documents/{described['sha256']}",
            headers=world.auth("parent"),
        )
        assert read.status_code == 200
        assert read.content == PDF
        assert read.headers["content-type"] == "application/pdf"
        assert read.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in read.headers["content-security-policy"]
        assert read.headers["content-disposition"].startswith("inline")

    def test_a_word_document_is_a_download(self, world: World) -> None:
        stored = world.upload(docx(), name="EP report.docx")
        assert stored.status_code == 201, stored.text
        assert stored.json()["media_type"].endswith("wordprocessingml.document")
        digest = stored.json()["sha256"]
        assert world.observe([digest]).status_code == 201
        read = world.client.get(
            f"/v1/children/{world.child}/documents/{digest}", headers=world.auth("senco")
        )
        assert read.headers["content-disposition"].startswith("attachment")

    def test_a_photo_loses_its_location_and_device_before_it_is_stored(self, world: World) -> None:
        original = photo_with_location()
        assert Image.open(io.BytesIO(original)).getexif()  # the location is there before
        stored = world.upload(original, name="IMG_0042.jpg")
        assert stored.status_code == 201, stored.text
        assert stored.json()["metadata_stripped"] is True
        digest = stored.json()["sha256"]
        assert digest != hashlib.sha256(original).hexdigest()
        read = world.client.get(
            f"/v1/children/{world.child}/documents/{digest}", headers=world.auth("senco")
        )
        kept = Image.open(io.BytesIO(read.content))
        assert dict(kept.getexif()) == {}
        assert b"Phone Model X" not in read.content
        assert kept.size == (40, 30)
        assert hashlib.sha256(read.content).hexdigest() == digest

    def test_a_phones_heic_photo_is_kept_as_jpeg_without_its_location(self, world: World) -> None:
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}
        out = io.BytesIO()
        Image.new("RGB", (64, 48), (30, 120, 200)).save(
            out, format="HEIF", exif=exif.tobytes(), quality=80
        )
        stored = world.upload(out.getvalue(), name="IMG_0043.HEIC")
        assert stored.status_code == 201, stored.text
        assert stored.json()["media_type"] == "image/jpeg"
        assert stored.json()["metadata_stripped"] is True
        read = world.client.get(
            f"/v1/children/{world.child}/documents/{stored.json()['sha256']}",
            headers=world.auth("senco"),
        )
        kept = Image.open(io.BytesIO(read.content))
        assert kept.format == "JPEG"
        assert kept.size == (64, 48)
        assert dict(kept.getexif()) == {}


class TestRefusedStoresNothing:
    @pytest.mark.parametrize(
        ("data", "name"),
        [
            (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "photo.jpg"),  # a program
            (b"<html><script>alert(1)</script></html>\x00\x01", "notes.txt"),
            (b"\x00\x01\x02\x03binary", "letter.pdf"),
            (b"%PDF-1.4\n1 0 obj", "cut-short.pdf"),
        ],
    )
    def test_disguised_or_broken_files_are_415_naming_the_rule(
        self, world: World, data: bytes, name: str
    ) -> None:
        refused = world.upload(data, name=name)
        assert refused.status_code == 415
        assert refused.json()["field"] == "file"
        assert world.listed() == []

    def test_too_large_is_413_and_nothing_is_kept(self, world: World) -> None:
        refused = world.upload(b"a" * (200 * 1024), name="big.txt")
        assert refused.status_code == 413
        assert world.listed() == []

    def test_an_entry_naming_a_file_never_uploaded_is_refused(self, world: World) -> None:
        before = world.version()
        refused = world.observe([hashlib.sha256(b"never uploaded").hexdigest()])
        assert refused.status_code == 422
        assert refused.json()["field"] == "attachments"
        assert world.version() == before

    def test_a_file_of_another_child_cannot_be_attached(self, world: World) -> None:
        other = world.client.post(
            "/v1/children",
            json={"given_name": "Other", "family_name": "Fictional", "occurred_at": "2024-09-02"},
            headers=world.auth("senco"),
        ).json()["child_id"]
        stored = world.client.post(
            f"/v1/children/{other}/documents",
            files={"file": ("a.pdf", PDF, "application/pdf")},
            headers=world.auth("senco"),
        )
        assert stored.status_code == 201
        assert world.observe([stored.json()["sha256"]]).status_code == 422


class TestWhoReads:
    def test_outsiders_and_unattached_files_are_404_like_nothing(self, world: World) -> None:
        digest = world.upload(PDF).json()["sha256"]
        url = f"/v1/children/{world.child}/documents/{digest}"
        assert world.client.get(url, headers=world.auth("outsider")).status_code == 404
        assert world.client.get(url, headers=world.auth("parent")).status_code == 404  # unattached
        assert world.listed("parent") == []
        assert world.client.get(url, headers=world.auth("senco")).status_code == 200

    def test_a_file_on_a_restricted_entry_is_hidden_as_the_entry_is(self, world: World) -> None:
        digest = world.upload(PDF).json()["sha256"]
        assert world.observe([digest], sensitivity="restricted").status_code == 201
        url = f"/v1/children/{world.child}/documents/{digest}"
        assert world.client.get(url, headers=world.auth("practitioner")).status_code == 404
        assert world.client.get(url, headers=world.auth("parent")).status_code == 404
        assert world.client.get(url, headers=world.auth("senco")).status_code == 200

    def test_every_read_is_in_the_access_log(self, world: World) -> None:
        digest = world.upload(PDF).json()["sha256"]
        world.observe([digest])
        world.client.get(
            f"/v1/children/{world.child}/documents/{digest}", headers=world.auth("parent")
        )
        log = world.client.get(
            f"/v1/children/{world.child}/chronology",
            params={"include_access": "true"},
            headers=world.auth("senco"),
        ).json()["viewed_by"]
        assert ("parent", "document") in [(a["role"], a["view"]) for a in log]


class TestIntegrity:
    def test_a_changed_file_is_never_served(self, world: World) -> None:
        digest = world.upload(b"Plain words from the parent.\n", name="letter.txt").json()["sha256"]
        world.observe([digest])
        q = world.backend.tables.q
        with world.backend.ledger_cursor(commit=True) as cursor:
            cursor.execute(q("SELECT sealed FROM {p}document_chunks WHERE sha256 = ?"), [digest])
            sealed = bytearray(bytes(cursor.fetchone()["sealed"]))
            sealed[-1] ^= 1
            cursor.execute(
                q("UPDATE {p}document_chunks SET sealed = ? WHERE sha256 = ?"),
                [bytes(sealed), digest],
            )
        read = world.client.get(
            f"/v1/children/{world.child}/documents/{digest}", headers=world.auth("senco")
        )
        assert read.status_code == 409
        assert b"Plain words" not in read.content

    def test_after_erasure_nothing_of_the_files_is_left(self, world: World) -> None:
        digest = world.upload(b"Private words of a fictional family.\n", name="l.txt").json()[
            "sha256"
        ]
        world.observe([digest])
        services = world.client.app.state.services  # type: ignore[attr-defined]
        erase_child(  # what `sendtrail erase` runs
            services.records,
            world.backend,
            UUID(world.child),
            draft=lambda setting: EnvelopeDraft(
                date(2025, 4, 1), RecordedBy("u", "admin", setting)
            ),
            reason="A fictional family asked",
            forget=services.views.timeline.forget,
        )
        with world.backend.ledger_cursor() as cursor:
            cursor.execute(world.backend.tables.q("SELECT COUNT(*) AS n FROM {p}document_chunks"))
            assert int(cursor.fetchone()["n"]) == 0
        assert links(world) == []  # which entry attached which file goes with them
        read = world.client.get(
            f"/v1/children/{world.child}/documents/{digest}", headers=world.auth("senco")
        )
        assert read.status_code in (404, 410)


class TestInEveryBundle:
    def _export(self, world: World) -> tuple[bytes, Any]:
        services = world.client.app.state.services  # type: ignore[attr-defined]
        bundle = services.exporter.export(UUID(world.child), as_of=None, known_at=None, reason=None)
        return bundle.content, services.exporter.keys

    def _attach(self, world: World, data: bytes, name: str, **extra: Any) -> str:
        digest = str(world.upload(data, name=name).json()["sha256"])
        assert world.observe([digest], **extra).status_code == 201
        return digest

    def test_a_bundle_carries_the_files_and_verifies(self, world: World, tmp_path: Any) -> None:
        digest = self._attach(world, PDF, "EP report.pdf")
        content, keys = self._export(world)
        files = read_zip(content)
        assert files[f"data/files/{digest}"] == PDF
        listed = json.loads(files["data/files.json"])["files"]
        assert [(f["sha256"], f["name"]) for f in listed] == [(digest, "EP report.pdf")]
        verified = verify_bundle(content, key=keys.exporter.public_key(), log_key=keys.log_public)
        assert verified.child_id == world.child
        folder = tmp_path / "bag"  # and the bagit library agrees, file included
        for name, data in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        assert bagit.Bag(str(folder)).is_valid()

    @pytest.mark.parametrize("how", ["changed", "swapped", "removed", "added"])
    def test_a_file_changed_swapped_or_removed_fails_with_its_own_reason(
        self, world: World, how: str
    ) -> None:
        digest = self._attach(world, PDF, "EP report.pdf")
        content, keys = self._export(world)
        files = read_zip(content)
        where = f"data/files/{digest}"
        if how == "changed":
            files[where] = PDF.replace(b"Catalog", b"Catalug")
        elif how == "swapped":
            files[where] = b"%PDF-1.4\nanother report\n%%EOF\n"
        elif how == "removed":
            del files[where]
        else:
            files["data/files/" + "0" * 64] = b"smuggled"
        forged = resign(files, keys.exporter)  # even re-signed with the setting's own key
        with pytest.raises(VerificationError) as failed:
            verify_bundle(forged, key=keys.exporter.public_key(), log_key=keys.log_public)
        assert failed.value.where.startswith("data/files/")
        assert ("added" if how == "added" else "attached file") in failed.value.reason

    def test_a_subject_access_bundle_withholds_third_party_files(self, world: World) -> None:
        kept = self._attach(world, PDF, "Our letter.pdf")
        withheld = self._attach(world, docx(), "GP letter.docx", sensitivity="third_party")
        services = world.client.app.state.services  # type: ignore[attr-defined]
        bundle = services.exporter.export(
            UUID(world.child), as_of=None, known_at=None, reason=None, subject_access=True
        )
        files = read_zip(bundle.content)
        assert f"data/files/{kept}" in files
        assert f"data/files/{withheld}" not in files
        keys = services.exporter.keys
        verify_bundle(bundle.content, key=keys.exporter.public_key(), log_key=keys.log_public)


def links(world: World) -> list[tuple[str, str, int]]:
    with world.backend.ledger_cursor() as cursor:
        cursor.execute(
            world.backend.tables.q(
                "SELECT child_id, sha256, version FROM {p}document_links "
                "ORDER BY child_id, sha256, version"
            )
        )
        return [
            (str(r["child_id"]), str(r["sha256"]), int(r["version"])) for r in cursor.fetchall()
        ]


def in_process(world: World, *args: str) -> str:
    """`sendtrail ARGS` run in this process (as a subprocess would, from the environment),
    its output on one line; it must succeed."""
    ran = CliRunner().invoke(cli, list(args), env=cli_env(world.settings))
    said = " ".join(ran.output.split())
    assert ran.exit_code == 0, said
    return said


def audit_says(world: World) -> str:
    """`sendtrail audit` (key-free) counting every unattached file as an orphan."""
    return in_process(world, "audit", "--files-older-than", "0")


class TestOrphans:
    def test_an_entry_links_its_files_in_its_own_transaction(self, world: World) -> None:
        digest = world.upload(PDF, name="linked.pdf").json()["sha256"]
        stale = world.version()
        assert world.observe([digest]).status_code == 201
        assert links(world) == [(world.child, digest, stale + 1)]
        other = world.upload(b"Refused with its entry.\n", name="r.txt").json()["sha256"]
        refused = world.client.post(  # a stale expected version: the entry is not stored
            f"/v1/children/{world.child}/observations",
            json={
                "expected_version": stale,
                "occurred_at": "2025-03-11",
                "area": "physical",
                "notes": "Refused.",
                "observer": "Key person",
                "attachments": [other],
            },
            headers=world.auth("senco"),
        )
        assert refused.status_code == 409
        assert [sha for _, sha, _ in links(world)] == [digest]

    def test_the_key_free_audit_reports_orphans_until_cleaned_up(self, world: World) -> None:
        attached = world.upload(PDF, name="kept.pdf").json()["sha256"]
        assert world.observe([attached]).status_code == 201
        # An upload whose entry never came (the client gone, or a crash between the two).
        world.upload(b"Never attached.\n", name="orphan.txt")
        fresh = in_process(world, "audit")  # within the grace period: said, not an orphan yet
        assert "0 orphan file(s), 1 uploaded file(s) not attached yet (under 24 h old)" in fresh
        assert "ORPHAN FILES" not in fresh
        said = audit_says(world)
        assert "AUDIT OK" in said
        assert "1 orphan file(s)" in said
        assert "ORPHAN FILES 1 file(s) of 1 child(ren)" in said
        # A store from before links were kept: its attached file has none yet; the keyed
        # `documents orphans` reads the entries, lists only the true orphan, and links the
        # attached file, so the audit counts it no more.
        with world.backend.ledger_cursor(commit=True) as cursor:
            cursor.execute(world.backend.tables.q("DELETE FROM {p}document_links"))
        assert "2 orphan file(s)" in audit_says(world)
        listed = in_process(world, "documents", "orphans", "--older-than", "0")
        assert "1 file(s) attached to no entry" in listed
        assert attached not in listed
        assert "1 orphan file(s)" in audit_says(world)
        cleaned = in_process(world, "documents", "cleanup", "--older-than", "0", "--yes")
        assert "Deleted 1 file(s)" in cleaned
        said = audit_says(world)
        assert "0 orphan file(s)" in said
        assert "ORPHAN FILES" not in said

    def test_only_old_files_no_entry_attaches_are_cleaned_up(self, world: World) -> None:
        attached = world.upload(PDF, name="kept.pdf").json()["sha256"]
        assert world.observe([attached]).status_code == 201
        orphan = world.upload(b"Never attached.\n", name="orphan.txt").json()["sha256"]
        services = world.client.app.state.services  # type: ignore[attr-defined]
        later = datetime.now(tz=UTC) + timedelta(days=2)
        assert orphans(services.documents, services.views, now=datetime.now(tz=UTC)) == []
        assert orphans(services.documents, services.views, now=later) == [
            (UUID(world.child), orphan)
        ]
        assert cleanup(services.documents, services.views, now=later) == 1
        assert [d["sha256"] for d in world.listed()] == [attached]


@pytest.mark.slow
def test_a_backup_restores_the_files_with_the_record(world: World, tmp_path: Any) -> None:
    digest = world.upload(PDF, name="kept in the backup.pdf").json()["sha256"]
    assert world.observe([digest]).status_code == 201
    folder = tmp_path / "backup"
    made = sendtrail(world.settings, "backup", str(folder))
    assert made.returncode == 0, one_line(made)
    kek = tmp_path / "secrets" / "kek.json"
    kek.parent.mkdir()
    shutil.copy2(world.settings.kek_path, kek)
    database = None
    if world.settings.database_url is None:
        target = Settings(data_dir=tmp_path / "restored", kek_file=kek)
    else:
        database = f"restore_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        schema = world.settings.database_url.split("schema=")[1]
        server = POSTGRES_URL.rsplit("/", 1)[0]
        target = Settings(
            data_dir=tmp_path / "restored",
            kek_file=kek,
            database_url=f"{server}/{database}?schema={schema}",
        )
    try:
        restored = sendtrail(target, "restore", str(folder))
        assert restored.returncode == 0, one_line(restored)
        records = open_records(target)
        try:
            store = DocumentStore(cast(LedgerBackend, records.recorder))
            key = open_key_store(records).aead(UUID(world.child), create=False)
            assert store.read(UUID(world.child), digest, key) == PDF
        finally:
            records.close()
    finally:
        if database is not None:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')


def test_an_la_request_names_the_attached_report(world: World) -> None:
    digest = world.upload(PDF, name="EP report March.pdf").json()["sha256"]
    made = world.client.post(
        f"/v1/children/{world.child}/reports",
        json={
            "expected_version": world.version(),
            "occurred_at": "2025-03-10",
            "basis": "third_party_report",
            "attachments": [digest],
            "report_id": "ep-1",
            "author": "Demo Psychologist",
            "author_role": "Educational psychologist",
            "service": "Educational psychology",
            "report_date": "2025-03-03",
            "summary": "Cognitive profile within range; language below.",
            "recommendations": [{"recommendation_id": "r1", "text": "Visual supports"}],
        },
        headers=world.auth("senco"),
    )
    assert made.status_code == 201, made.text
    request = world.client.post(
        f"/v1/children/{world.child}/requests",
        params={"la": "generic-cop"},
        json={"format": "json"},
        headers=world.auth("senco"),
    )
    assert request.status_code == 200, request.text
    assert "The report is attached: EP report March.pdf." in request.text
