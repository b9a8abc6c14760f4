"""The human report files of a bundle (HTML and PDF), or none if not wanted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

Report = Callable[[dict[str, Any]], dict[str, bytes]]


def report_files(*, pdf: bool) -> Report:
    """A report callback for `build_bundle`."""

    def render(context: dict[str, Any]) -> dict[str, bytes]:
        from exporters.report import ReportInput, render_html, render_pdf

        data = ReportInput(
            views=context["views"],
            as_of=context["as_of"],
            known_at=context["known_at"],
            exported_at=context["known_at"],
            checkpoint_size=context["checkpoint_size"],
            root_hex=context["root"],
            signer_key_id=context["signer_key_id"],
            files=[(str(name), int(size)) for name, size in context["files"]],
            request_reason=context["request_reason"],
            withheld=len(context.get("withheld", [])),
        )
        html = render_html(data)
        files = {"report.html": html.encode()}
        if pdf:
            epoch = int(datetime.fromisoformat(context["known_at"]).timestamp())
            files["report.pdf"] = render_pdf(html, epoch=epoch)
        return files

    return render
