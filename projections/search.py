"""Searching text as people type it: case, accents and underscores set aside, every word
typed found somewhere ('ame smi' finds 'Amelia Smith'; 'speech' finds
'speech_language_therapy')."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any


def folded(text: str) -> str:
    """Text as a search compares it ('Zoë' and 'zoe' fold alike, '_' reads as a space)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("_", " "))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def finds(query: str, texts: Iterable[str]) -> bool:
    """Whether every word of `query` is in one of `texts` (an empty query finds all)."""
    haystack = " ".join(folded(t) for t in texts)
    return all(word in haystack for word in folded(query).split())


def strings(value: Any) -> Iterable[str]:
    """Every string and number inside a JSON-like value (an entry's details)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)
    elif value is not None and not isinstance(value, bool):
        yield str(value)
