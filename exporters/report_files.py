"""The human report files of a bundle (HTML and PDF), or none if not wanted."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

Report = Callable[[dict[str, Any]], dict[str, bytes]]
DEFAULT_PAGES = 40  # the report PDF's page budget unless the setting chooses another


def report_files(
    *, pdf: bool, pages: int = DEFAULT_PAGES, setting_names: Mapping[str, str] | None = None
) -> Report:
    """A report callback for `build_bundle`: report.html with everything, and (if `pdf`)
    report.pdf within `pages` pages, the complete chronology left to report.html. Settings
    are called by `setting_names` where they have one."""

    def render(context: dict[str, Any]) -> dict[str, bytes]:
        from exporters.report import ReportInput, render_html
        from exporters.report_pdf import render_report_pdf

        data = ReportInput(
            views=context["views"],
            as_of=context["as_of"],
            known_at=context["known_at"],
            checkpoint_size=context["checkpoint_size"],
            root_hex=context["root"],
            signer_key_id=context["signer_key_id"],
            files=[(str(name), int(size)) for name, size in context["files"]],
            request_reason=context["request_reason"],
            withheld=len(context.get("withheld", [])),
            log_key_id=str(context.get("log_key_id", "")),
            origin=str(context.get("origin", "")),
            setting_names=dict(setting_names or {}),
            exported_on=str(context.get("exported_on", "")),
        )
        html = render_html(data)
        files = {"report.html": html.encode()}
        if pdf:
            epoch = int(datetime.fromisoformat(context["known_at"]).timestamp())
            files["report.pdf"] = render_report_pdf(data, epoch=epoch, pages=pages).content
        return files

    return render
