"""Provenance and month precision on the envelope (issue 22), added without changing
what other entries store."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain import events as ev
from domain.envelope import EnvelopeDraft
from domain.errors import FutureDate, InvalidValue
from tests.factories import NOW, SENCO

PROVENANCE = {"source_system": "MIS", "row": 2, "row_key": "k"}


def _seal(draft: EnvelopeDraft):  # type: ignore[no-untyped-def]
    return draft.seal(now=NOW, skew=timedelta(seconds=60))


def test_imported_basis_and_provenance_go_together() -> None:
    sealed = _seal(EnvelopeDraft(date(2024, 3, 5), SENCO, basis="imported", provenance=PROVENANCE))
    assert sealed.as_fields()["provenance"] == PROVENANCE
    with pytest.raises(InvalidValue) as missing:
        _seal(EnvelopeDraft(date(2024, 3, 5), SENCO, basis="imported"))
    assert missing.value.field == "provenance"
    with pytest.raises(InvalidValue):
        _seal(EnvelopeDraft(date(2024, 3, 5), SENCO, provenance=PROVENANCE))


def test_other_entries_store_no_provenance_and_old_events_read_none() -> None:
    assert "provenance" not in _seal(EnvelopeDraft(date(2024, 3, 5), SENCO)).as_fields()
    old = object.__new__(ev.ObservationRecorded)  # decoded state without the field
    assert old.provenance is None


def test_month_precision_keeps_the_first_of_the_month() -> None:
    sealed = _seal(EnvelopeDraft(date(2024, 3, 17), SENCO, precision="month"))
    assert sealed.occurred_at.day == 1
    assert sealed.precision == "month"
    with pytest.raises(FutureDate):
        _seal(EnvelopeDraft(NOW.date() + timedelta(days=40), SENCO, precision="month"))
