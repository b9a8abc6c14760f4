"""`serve`'s housekeeping round, in process on both stores: what one round does with an
erasure left unfinished, new events, and records past retention (disposed of once a day,
and only when the installation says so). Several servers and their lead:
tests/integration/test_three_servers.py and test_erasure_completes.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from api.bootstrap import open_key_store, open_services
from api.cli_serve import ensure_keys
from api.deps import Services
from api.housekeeping import DISPOSAL_EVERY, Housekeeping
from api.settings import Settings
from domain import commands as cmd
from domain.errors import ChildErased
from ledger.log import LedgerBackend
from projections.cohort import CohortProjection
from tests.factories import on, register


def _services(settings: Settings, **changes: object) -> Iterator[Services]:
    ensure_keys(settings)  # the key files `serve` makes
    svc = open_services(settings.model_copy(update=changes))
    try:
        yield svc
    finally:
        svc.records.close()


@pytest.fixture
def svc(settings: Settings) -> Iterator[Services]:
    yield from _services(settings)


@pytest.fixture
def auto(settings: Settings) -> Iterator[Services]:
    yield from _services(settings, retention_dispose="auto")


def _cohort(svc: Services) -> CohortProjection:
    return CohortProjection(svc.records, svc.records.recorder)  # type: ignore[arg-type]


class TestARound:
    def test_folds_new_events_into_the_cohort_tables(self, svc: Services) -> None:
        register(svc.records)
        register(svc.records)
        done = Housekeeping(svc).round()
        assert done.events_folded == 2
        assert _cohort(svc).pending() == 0
        assert Housekeeping(svc).round().events_folded == 0

    def test_finishes_an_erasure_left_unfinished(self, svc: Services) -> None:
        child = register(svc.records).child_id
        kept = register(svc.records).child_id
        # The erasure recorded, its keys not yet destroyed: what a server killed between
        # the two leaves behind.
        svc.records.handle(child, cmd.Erase(reason="parent's request"), on(date(2025, 1, 6)))
        keys = open_key_store(svc.records)
        assert keys.has_key(child)
        assert Housekeeping(svc).round().erasures_finished == 1
        assert not keys.has_key(child)
        assert keys.has_key(kept)
        assert Housekeeping(svc).round().erasures_finished == 0


class TestRetention:
    def test_due_records_are_kept_unless_the_installation_disposes_automatically(
        self, svc: Services
    ) -> None:
        due = register(svc.records, born=date(1990, 1, 1), registered=date(1993, 9, 1))
        done = Housekeeping(svc).round()
        assert (done.disposed, done.kept) == (0, 0)
        assert svc.records.get_child(due.child_id).version == 1

    def test_automatic_disposal_takes_only_due_records_and_runs_once_a_day(
        self, auto: Services
    ) -> None:
        due = register(auto.records, born=date(1990, 1, 1), registered=date(1993, 9, 1))
        held = register(auto.records, born=date(1990, 1, 1), registered=date(1993, 9, 1))
        held.do(cmd.PlaceLegalHold, date(2025, 1, 6), reason="claim pending")
        young = register(auto.records)
        keeper = Housekeeping(auto)
        assert keeper.round(now=1000.0).disposed == 1
        with pytest.raises(ChildErased):
            auto.records.get_child(due.child_id)
        assert not open_key_store(auto.records).has_key(due.child_id)
        for kept in (held, young):
            auto.records.get_child(kept.child_id)
        later = register(auto.records, born=date(1980, 5, 5), registered=date(1983, 9, 1))
        assert keeper.round(now=1000.0 + DISPOSAL_EVERY - 1).disposed == 0  # not yet a day
        auto.records.get_child(later.child_id)
        assert keeper.round(now=1000.0 + DISPOSAL_EVERY).disposed == 1
        with pytest.raises(ChildErased):
            auto.records.get_child(later.child_id)
        backend: LedgerBackend = auto.records.recorder  # type: ignore[assignment]
        assert CohortProjection(auto.records, backend).pending() == 0
