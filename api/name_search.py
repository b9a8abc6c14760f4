"""Finding a child by name: forgiving of case, accents and word order, and never logged
(the words typed are a child's name: they stay in the request and its answer)."""

from __future__ import annotations

from projections.search import finds, folded

MAX_QUERY = 100  # characters: longer than any name, short enough to refuse abuse

__all__ = ["MAX_QUERY", "folded", "matches"]


def matches(query: str, given_name: str, family_name: str) -> bool:
    """Whether every word of `query` is part of the child's name."""
    return finds(query, (given_name, family_name))
