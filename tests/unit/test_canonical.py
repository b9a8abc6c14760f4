"""Our fast canonical JSON equals the rfc8785 reference library on every document."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.canonical import canonical, canonical_strings_and_ints

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(exclude_categories=["Cs"]))
    | st.sampled_from(["10:30.", "[1e5", "a,2.5", ":-3E", "1.0"])  # text that looks numeric
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)


@pytest.mark.slow  # many examples
@settings(max_examples=500)
@given(documents)
def test_canonical_equals_the_reference_library(document: Any) -> None:
    assert canonical(document) == rfc8785.dumps(document)


def test_control_characters_and_unicode_are_escaped_like_jcs() -> None:
    document = {"b": "tab\there\u0001\u001f\u007f é 😀 \u2028", "a": [True, None, -5]}
    assert canonical(document) == rfc8785.dumps(document)
    assert canonical(document).startswith(b'{"a":[true,null,-5],"b":"tab\\there\\u0001\\u001f')


def test_floats_and_non_ascii_keys_go_to_the_reference_library() -> None:
    for document in ({"x": 1.5e-7}, {"é": 1, "z": 2, "\U0001f600": 3, "\uff01": 4}):
        assert canonical(document) == rfc8785.dumps(document)


def test_text_that_looks_like_a_number_is_still_text() -> None:
    document: dict[str, Any] = {"note": "At 10:30. Scores [1.5, 2e3]", "k": {"t": ",7.0"}}
    assert canonical(document) == rfc8785.dumps(document)
    assert canonical([1.0, "x"]) == b'[1,"x"]'  # a float next to text: the reference's form


def test_integers_beyond_the_safe_range_are_refused_like_the_reference() -> None:
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical({"n": 2**60})
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical([2**53])
    assert canonical([2**53 - 1, -(2**53) + 1]) == b"[9007199254740991,-9007199254740991]"


@settings(max_examples=300)
@given(
    st.dictionaries(
        st.text(alphabet=st.characters(max_codepoint=127), max_size=12),
        st.text() | st.integers(-(2**53) + 1, 2**53 - 1),
        max_size=10,
    )
)
def test_the_fast_path_for_flat_leaves_equals_the_reference(leaf: dict[str, str | int]) -> None:
    try:
        expected = rfc8785.dumps(leaf)
    except rfc8785.CanonicalizationError:
        return  # lone surrogates: not something a leaf can hold
    assert canonical_strings_and_ints(leaf) == expected
