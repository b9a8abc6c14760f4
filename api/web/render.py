"""Rendering pages: one Jinja2 environment (autoescaped: record text is user input)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from api.web.gap_forms import gap_link
from exporters import templating
from exporters.report import VOCABULARIES
from projections.wording import format_day, format_moment, format_money

TEMPLATES = Path(__file__).parent / "templates"
# Pages must never be cached by a shared cache, nor kept after sign-out in the back button.
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


ISO_DAY = re.compile(r"\b([0-9]{4}-[0-9]{2}-[0-9]{2})\b")


def _dates(text: str) -> str:
    """ISO dates inside a sentence (as projections write them) as '1 Nov 2026'."""
    return ISO_DAY.sub(lambda found: format_day(found.group(1)), text)


def _label(code: str | None, vocabulary: str) -> str:
    return "—" if code is None else VOCABULARIES[vocabulary].label(str(code))


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = templating.environment(
        TEMPLATES,
        day=format_day,
        moment=format_moment,
        money=format_money,
        label=_label,
        dates=_dates,
    )
    env.globals["gap_link"] = gap_link  # where a readiness gap is filled
    return env


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A whole page from `template`, with what every page needs (path, signed-in visitor)."""
    visitor = getattr(request.state, "visitor", None)
    html = (
        environment()
        .get_template(template)
        .render(
            {
                "path": request.url.path,
                "visitor": visitor,
                "csrf": visitor.csrf if visitor else "",
                **context,
            }
        )
    )
    return HTMLResponse(html, status_code=status, headers={**NO_STORE, **(headers or {})})
