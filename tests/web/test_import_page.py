"""Importing from the browser (issue 22.1): upload, a dry run's report, then the import;
nothing stored before the confirmation or when a row is refused."""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

from fastapi import FastAPI

from api.deps import Services
from tests.web.conftest import Client
from tests.web.world import csrf_of

EXAMPLES = Path(__file__).resolve().parents[2] / "api" / "importing" / "examples"


def count(app: FastAPI) -> int:
    return len(list(cast(Services, app.state.services).records.child_ids()))


def test_a_pupil_list_is_checked_first_then_imported_into_the_users_setting(
    app: FastAPI, as_: Client
) -> None:
    client = as_("senco")
    form = client.get("/import")
    assert form.status_code == 200
    before = count(app)
    data = (EXAMPLES / "pupil-list.csv").read_bytes()
    preview = client.post(
        "/import",
        data={"csrf": csrf_of(form.text), "kind": "pupil-list"},
        files={"file": ("pupils.csv", data, "text/csv")},
    )
    assert preview.status_code == 200, preview.text
    assert "What importing would do" in preview.text
    assert count(app) == before  # a dry run stores nothing
    held = re.search(r'name="held" value="([^"]+)"', preview.text)
    assert held is not None
    stored = client.post(
        "/import/confirm",
        data={"csrf": csrf_of(preview.text), "held": held.group(1), "kind": "pupil-list"},
    )
    assert stored.status_code == 200, stored.text
    assert "Imported" in stored.text
    assert count(app) > before
    again = client.post(
        "/import",
        data={"csrf": csrf_of(form.text), "kind": "pupil-list"},
        files={"file": ("pupils.csv", data, "text/csv")},
    )
    assert re.search(r"[1-9][0-9]* already imported", again.text)


def test_a_refused_row_is_named_by_number_and_nothing_can_be_confirmed(
    app: FastAPI, as_: Client
) -> None:
    client = as_("senco")
    form = client.get("/import")
    lines = (EXAMPLES / "pupil-list.csv").read_text().splitlines()
    broken = "\n".join([lines[0], lines[1].replace(",", ",,", 1)]) + "\n"
    before = count(app)
    preview = client.post(
        "/import",
        data={"csrf": csrf_of(form.text), "kind": "pupil-list"},
        files={"file": ("broken.csv", broken.encode(), "text/csv")},
    )
    assert "Rows refused" in preview.text
    assert 'name="held"' not in preview.text
    assert count(app) == before


def test_a_file_of_another_kind_and_a_missing_choice_are_refused(as_: Client) -> None:
    client = as_("senco")
    form = client.get("/import")
    refused = client.post(
        "/import",
        data={"csrf": csrf_of(form.text)},
        files={"file": ("notes.pdf", b"%PDF-1.4", "application/pdf")},
    )
    assert refused.status_code == 422
    assert 'id="f-kind-error"' in refused.text


def test_only_leads_import(as_: Client) -> None:
    assert as_("practitioner").get("/import").status_code == 403
