"""A store written by the code before events were encoded once with orjson (kept in
tests/fixtures/store-2026-12, see its make_store.py) still reads, audits and takes new
events: the same views, the same decoded events, the same root."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import rfc8785
from eventsourcing.persistence import JSONTranscoder, StoredEvent

from api.bootstrap import open_ledger, open_records
from api.settings import Settings
from domain import commands as cmd
from domain.application import ChildRecords
from domain.envelope import EnvelopeDraft, RecordedBy
from domain.errors import ChildErased
from ledger.audit import audit
from ledger.framing import SALT_KEY, parse
from ledger.keys import load_public
from ledger.log import Ledger
from ledger.mapper import CommittingMapper
from projections.views import VIEWS, ChildViews
from tests.factories import fixed_clock

FIXTURE = Path(__file__).parent.parent / "fixtures" / "store-2026-12"
EXPECTED: dict[str, Any] = json.loads((FIXTURE / "expected.json").read_text())
TODAY = date(2026, 11, 24)
SENCO = RecordedBy("fixture-senco", "senco", "fixture-setting")


@pytest.fixture
def old_store(tmp_path: Path) -> Settings:
    """A copy of the old store (the KEK file kept at mode 0600, as the key store demands)."""
    data = tmp_path / "store"
    shutil.copytree(FIXTURE / "store", data)
    (data / "keys" / "kek.json").chmod(0o600)
    return Settings(data_dir=data, snapshot_interval=10)


def as_json(value: Any) -> Any:
    """A view as expected.json holds it (dates and decimals as strings)."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def audited(settings: Settings, ledger: Ledger) -> int:
    report = audit(
        ledger,
        log_key=load_public(settings.keys_dir / "log.pub.pem"),
        key_name=EXPECTED["origin"],
        extra_checkpoints=[EXPECTED["checkpoint"]],
    )
    return report.leaves


def stock_transcoder(records: ChildRecords) -> JSONTranscoder:
    """eventsourcing's own stdlib-JSON transcoder with the application's types: the
    reader the old store was written for."""
    stock = JSONTranscoder()
    records.register_transcodings(stock)
    return stock


class TestAStoreWrittenByTheOldEncoder:
    def test_it_audits_to_the_same_root(self, old_store: Settings) -> None:
        records = open_records(old_store, clock=fixed_clock)
        ledger = open_ledger(records, old_store)
        assert audited(old_store, ledger) == EXPECTED["leaves"]
        assert ledger.root().hex() == EXPECTED["root"]
        records.close()

    def test_every_view_reads_as_it_did(self, old_store: Settings) -> None:
        records = open_records(old_store, clock=fixed_clock)
        views = ChildViews(records, open_ledger(records, old_store))
        for child, expected in EXPECTED["children"].items():
            for name in VIEWS:
                assert as_json(views.view(name, UUID(child), as_of=TODAY)) == expected[name]
        with pytest.raises(ChildErased):
            records.get_child(UUID(EXPECTED["erased"]))
        records.close()

    def test_every_event_and_snapshot_decodes_as_the_stock_transcoder_decodes_it(
        self, old_store: Settings
    ) -> None:
        records = open_records(old_store, clock=fixed_clock)
        mapper = records.mapper
        assert isinstance(mapper, CommittingMapper)
        stock = stock_transcoder(records)
        stored: list[StoredEvent] = list(records.recorder.select_notifications(1, 10_000))
        for child in EXPECTED["children"]:
            assert records.snapshots is not None
            stored += records.snapshots.recorder.select_events(UUID(child))
        sealed = {parse(s.state).sealed for s in stored}
        assert sealed == {False, True}, "the fixture holds clear and sealed frames"
        for item in stored:
            if item.originator_id == UUID(EXPECTED["erased"]):
                continue
            expected = stock.decode(mapper.payload(item))
            expected.pop(SALT_KEY)
            event = mapper.to_domain_event(item)
            state = {
                k: v
                for k, v in vars(event).items()
                if k not in ("originator_id", "originator_version")
            }
            assert state == expected
        assert len(stored) > EXPECTED["leaves"]
        records.close()

    def test_it_takes_new_events_and_still_audits(self, old_store: Settings) -> None:
        records = open_records(old_store, clock=fixed_clock)
        ledger = open_ledger(records, old_store)
        children = [UUID(c) for c in EXPECTED["children"]]
        for child in children:
            records.handle(
                child,
                cmd.RecordObservation(
                    area="physical",
                    notes="Written by the orjson encoder «after» the old ones.",
                    observer="KP",
                ),
                EnvelopeDraft(TODAY, SENCO),
            )
        assert audited(old_store, ledger) == EXPECTED["leaves"] + len(children)
        for child in children:
            newest = records.history(child)[-1]
            assert vars(newest)["notes"] == "Written by the orjson encoder «after» the old ones."
        records.close()

    def test_new_payloads_are_the_canonical_bytes_with_the_salt_last(
        self, old_store: Settings
    ) -> None:
        records = open_records(old_store, clock=fixed_clock)
        mapper = records.mapper
        assert isinstance(mapper, CommittingMapper)
        child = UUID(next(iter(EXPECTED["children"])))
        records.handle(
            child,
            cmd.RecordObservation(area="physical", notes="Zoë “ok”", observer="KP"),
            EnvelopeDraft(TODAY, SENCO),
        )
        stored = records.recorder.select_events(child, desc=True, limit=1)[0]
        payload = mapper.payload(stored)
        decoded = json.loads(payload)
        salt = bytes.fromhex(decoded.pop(SALT_KEY))
        canonical = rfc8785.dumps(decoded)
        assert payload == canonical[:-1] + f',"{SALT_KEY}":"{salt.hex()}"}}'.encode()
        assert parse(stored.state).commitment == hashlib.sha256(salt + canonical).digest()
        records.close()
