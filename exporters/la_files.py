"""The LA request files of a bundle: the filled request as JSON (every statement with its
versions), HTML and, if wanted, PDF; and what the signed summary says of them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from exporters.bundle import RequestFiles, epoch_of
from exporters.la_document import request_document, request_json
from projections.la_profile import LoadedProfile
from projections.la_request import fill_request
from projections.timeline import Entry


def request_files(
    loaded: LoadedProfile,
    *,
    pdf: bool,
    pages: int | None = None,
    tribunal: bool = False,
    setting_names: Mapping[str, str] | None = None,
) -> RequestFiles:
    """A `la_request` callback for `build_bundle` (settings called by `setting_names`)."""

    def make(
        entries: list[Entry], as_of: date, known_at: datetime
    ) -> tuple[dict[str, bytes], dict[str, Any]]:
        request = fill_request(
            entries, loaded, today=as_of, tribunal=tribunal, setting_names=setting_names
        )
        document = request_document(
            request,
            known_at=known_at.isoformat(),
            pdf_wanted=pdf,
            pages=pages,
            epoch=epoch_of(known_at),
        )
        files = {
            "la-request.json": request_json(document.request),
            "la-request.html": document.html.encode(),
        }
        if document.pdf is not None:
            files["la-request.pdf"] = document.pdf
        summary = {
            "profile": loaded.profile.id,
            "profile_sha256": loaded.sha256,
            "files": sorted(files),
            "pages": document.pages,
            "page_budget": pages,
            "tribunal": tribunal,
        }
        return files, summary

    return make
