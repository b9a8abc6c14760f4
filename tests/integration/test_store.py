"""The application on a real store: SQLite and PostgreSQL run the same tests."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from eventsourcing.application import project_aggregate

from domain import commands as cmd
from domain.application import ChildRecords
from domain.errors import ChildNotFound, VersionConflict
from tests.conftest import OpenStore
from tests.factories import PRACTITIONER, on, register, with_parent, with_plan, with_provision


class TestChildRecordStore:
    def test_a_registered_child_reads_back_the_same_from_a_new_process(
        self, open_store: OpenStore
    ) -> None:
        writer = open_store()
        child = with_plan(with_provision(with_parent(register(writer))))
        child.do(
            cmd.RecordObservation,
            date(2025, 2, 1),
            PRACTITIONER,
            area="communication_language",
            notes="Named five animals.",
            observer="KP",
        )

        reader = open_store()
        assert reader.get_child(child.child_id) == writer.get_child(child.child_id)
        assert [type(e).__name__ for e in reader.history(child.child_id)] == [
            "ChildRegistered",
            "PersonLinked",
            "ProvisionStarted",
            "SupportPlanIssued",
            "ObservationRecorded",
        ]
        assert reader.history(child.child_id)[-1].recorded_by == PRACTITIONER

    def test_every_registered_child_is_listed_once_in_order(self, records: ChildRecords) -> None:
        ids = [register(records).child_id for _ in range(3)]
        assert list(records.child_ids(page=2)) == ids

    def test_an_unknown_child_is_not_found(self, records: ChildRecords) -> None:
        register(records)
        with pytest.raises(ChildNotFound):
            records.history(uuid4())

    def test_a_stale_expected_version_is_refused_and_stores_nothing(
        self, records: ChildRecords
    ) -> None:
        child = with_parent(register(records))
        with pytest.raises(VersionConflict) as refused:
            records.handle(
                child.child_id,
                cmd.RecordObservation(area="physical", notes="Climbed.", observer="KP"),
                on(date(2025, 2, 1), PRACTITIONER),
                expected_version=1,
            )
        assert refused.value.actual == 2
        assert len(records.history(child.child_id)) == 2

    def test_snapshots_give_the_same_state_as_a_full_replay(self, open_store: OpenStore) -> None:
        writer = open_store()
        child = with_provision(with_parent(register(writer)))
        for n in range(1, 450):
            child.do(
                cmd.DeliverSession,
                date(2025, 1, 6),
                PRACTITIONER,
                provision_id="prov-1",
                session_date=date(2025, 1, 6),
                minutes=20,
                notes=f"session {n}",
            )
        assert writer.snapshots is not None
        snapshots = list(writer.snapshots.get(child.child_id))
        assert [s.originator_version for s in snapshots] == [200, 400]

        reader = open_store()
        from_snapshot = reader.get_child(child.child_id)
        full_replay = project_aggregate(None, reader.events.get(child.child_id))
        assert full_replay == from_snapshot
        assert from_snapshot.version == 452
