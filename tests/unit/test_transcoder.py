"""The orjson transcoder: canonical bytes equal to what the old path committed to (the
stock eventsourcing transcoder, then RFC 8785 by the reference library), and it reads
back both what it writes and what the stock transcoder wrote."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
import rfc8785
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.envelope import RecordedBy
from domain.transcodings import DateAsISO, RecordedByAsDict
from ledger.transcoder import CanonicalTranscoder


def registered(transcoder: Transcoder) -> Any:
    """A transcoder with the types ChildRecords registers."""
    assert isinstance(transcoder, JSONTranscoder)
    for transcoding in (
        UUIDAsHex(),
        DecimalAsStr(),
        DatetimeAsISO(),
        DateAsISO(),
        RecordedByAsDict(),
    ):
        transcoder.register(transcoding)
    return transcoder


NEW: CanonicalTranscoder = registered(CanonicalTranscoder())
STOCK: JSONTranscoder = registered(JSONTranscoder())

values = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.text(alphabet=st.characters(exclude_categories=["Cs"]))
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.dates().map(lambda d: d)
    | st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]))
    | st.decimals(allow_nan=False, allow_infinity=False, places=2)
    | st.uuids()
    | st.builds(RecordedBy, st.text(max_size=5), st.text(max_size=5), st.text(max_size=5))
)
states = st.dictionaries(
    st.text(max_size=8),
    st.recursive(
        values,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.tuples(inner, inner)
            | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=20,
    ),
    max_size=8,
)


def old_commitment_input(state: dict[str, Any]) -> bytes:
    """What the mapper committed to before: the stock transcoder's JSON, decoded, then RFC
    8785 by the reference library."""
    return bytes(rfc8785.dumps(json.loads(STOCK.encode(state))))


@pytest.mark.slow  # many examples
@settings(max_examples=400, deadline=None)
@given(states)
def test_the_canonical_bytes_are_what_the_old_path_committed_to(state: dict[str, Any]) -> None:
    canonical, _ = NEW.canonical_and_payload(state)
    assert canonical == old_commitment_input(state)


@pytest.mark.slow  # many examples
@settings(max_examples=400, deadline=None)
@given(states)
def test_both_encodings_read_back_as_the_stock_transcoder_reads_its_own(
    state: dict[str, Any],
) -> None:
    expected = STOCK.decode(STOCK.encode(state))
    assert NEW.decode(NEW.encode(state)) == expected
    assert NEW.decode(STOCK.encode(state)) == expected


def test_an_event_state_round_trips_with_its_types() -> None:
    state = {
        "timestamp": datetime(2026, 12, 4, 9, 15, 2, 123456, tzinfo=UTC),
        "occurred_at": datetime(2026, 12, 1, tzinfo=UTC),
        "recorded_by": RecordedBy("kp-1", "practitioner", "oak"),
        "review_date": date(2027, 1, 15),
        "cost": Decimal("1234.50"),
        "linked": [UUID(int=7)],
        "notes": 'Zoë said “más” "twice"\n\ttab',
        "outcomes": [{"outcome_id": "o1", "target_date": date(2027, 3, 1)}],
    }
    encoded = NEW.encode(state)
    assert NEW.decode(encoded) == state
    assert encoded.startswith(b'{"cost":{"_data_":"1234.50","_type_":"decimal_str"}')
    assert b'"linked":[{"_data_":"00000000000000000000000000000007","_type_":"uuid_hex"}]' in (
        encoded
    )


def test_floats_and_non_ascii_keys_are_committed_by_the_reference_library() -> None:
    nested = {"notes": "Zoë", "z": [{"a": "ß", "items": [{"ключ": "x"}]}]}  # a key deep inside
    states: tuple[dict[str, Any], ...] = (
        {"x": 1e21, "y": 0.1, "z": 2.0},
        {"é": 1, "z": 2, "\U0001f600": 3, "\uff01": 4},
        nested,
    )
    for state in states:
        canonical, payload = NEW.canonical_and_payload(state)
        assert canonical == rfc8785.dumps(state)
        assert NEW.decode(payload) == state
        assert type(NEW.decode(payload).get("z")) is type(state["z"])
    assert NEW.canonical_and_payload({"notes": "Zoë", "a": [{"b": "ß"}]})[0] == rfc8785.dumps(
        {"notes": "Zoë", "a": [{"b": "ß"}]}
    )


def test_an_unregistered_type_is_refused_as_the_stock_transcoder_refuses_it() -> None:
    with pytest.raises(TranscodingNotRegisteredError):
        NEW.encode({"x": {1, 2}})
    with pytest.raises(TranscodingNotRegisteredError):
        NEW.decode(b'{"x":{"_type_":"no_such_type","_data_":1}}')


def test_an_integer_beyond_the_safe_range_is_refused() -> None:
    with pytest.raises(rfc8785.IntegerDomainError):
        NEW.encode({"n": 2**60})
