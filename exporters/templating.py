"""The Jinja environment every human-readable output is rendered with (reports, LA
requests, web pages): autoescaped, since record text is user input, and strict about
undefined names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).parent / "templates"


def environment(folder: Path = TEMPLATES, **filters: Callable[..., Any]) -> Environment:
    """A fresh environment on the templates in `folder`, with these filters."""
    env = Environment(
        loader=FileSystemLoader(folder),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(filters)
    return env
