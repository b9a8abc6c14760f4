"""Free text cannot spoof: control and formatting characters are refused at the domain, so
every edge (HTTP, pages, CLI, importers) gets the same rule."""

from __future__ import annotations

import unicodedata

import pytest

from domain.errors import InvalidValue
from domain.rules import text

SPOOFERS = [
    "\x00",  # NUL: truncates the text in C tools
    "\x07",
    "\x1b",  # ESC: terminal escape sequences in `sendtrail show`
    "\x7f",
    "\x85",  # C1 next line
    *(chr(c) for c in range(0x202A, 0x202F)),  # bidi embeddings and overrides
    *(chr(c) for c in range(0x2066, 0x206A)),  # bidi isolates
    "\u200e",  # left-to-right mark
    "\u200f",
    "\u061c",  # Arabic letter mark
    "\u200b",  # zero width space
    "\ufeff",  # byte order mark
    "\ue000",  # private use
    "\ud800",  # a lone surrogate (JSON can carry one as an escape)
]


@pytest.mark.parametrize("char", SPOOFERS, ids=lambda c: f"U+{ord(c):04X}")
def test_control_and_format_characters_are_refused_naming_the_field(char: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        text(f"Played with blocks{char} today", "notes")

    assert refused.value.field == "notes"
    assert "control or formatting" in refused.value.message
    assert char not in refused.value.message


@pytest.mark.parametrize(
    "kept",
    [
        "Line one\nline two",
        "col\tcol",
        "Said \u201cmore\u201d \u2014 and smiled",
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian: needs the ZWNJ
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # a family emoji: joined by ZWJ
        "Ãlvaro Ñúñez Øster",
        "first\u2028second",  # a line separator is text, not a control
    ],
)
def test_ordinary_writing_is_kept(kept: str) -> None:
    assert text(kept, "notes") == kept


def test_windows_and_old_mac_line_endings_become_newlines() -> None:
    """A browser's textarea sends CRLF: the text is kept with plain newlines."""
    assert text("one\r\ntwo\rthree", "notes") == "one\ntwo\nthree"


def test_every_refused_category_is_a_control_format_surrogate_or_private_use() -> None:
    for char in SPOOFERS:
        assert unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co"}
