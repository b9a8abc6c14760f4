"""Readiness gaps link to the form that fills them, pre-filled where the gap says what is
needed (issue 19.2)."""

from __future__ import annotations

import re

from api.web.gap_forms import GAP_FORMS
from api.web.record_forms import FORMS
from tests.web.conftest import Client
from tests.web.world import World


def test_every_gap_names_a_form_that_exists_and_fields_it_has() -> None:
    for gap, (slug, values) in GAP_FORMS.items():
        assert slug in FORMS, gap
        assert set(values) <= set(FORMS[slug].labels), gap


def test_an_unmet_hint_on_the_overview_links_to_its_form(as_: Client, world: World) -> None:
    page = as_("senco").get(f"/children/{world.own}").text
    links = re.findall(
        rf'href="(/children/{world.own}/record/[a-z-]+[^"]*)">(?:Add it|Bring)', page
    )
    assert links, "the demo child has an unmet readiness hint"
    for link in links:
        form = as_("senco").get(link.replace("&amp;", "&"))
        assert form.status_code == 200, link


def test_a_link_pre_fills_what_the_gap_says(as_: Client, world: World) -> None:
    form = as_("senco").get(
        f"/children/{world.own}/record/consent?decision=given&purpose=share_with_la"
    )
    assert form.status_code == 200
    assert re.search(r'<option value="share_with_la" selected>', form.text)


def test_parents_are_not_offered_gap_links(as_: Client, world: World) -> None:
    page = as_("parent").get(f"/children/{world.own}").text
    assert ">Add it<" not in page
