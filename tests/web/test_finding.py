"""Finding things (issue 19, item 5): children by name on a paged list, and entries of a long
chronology by kind, author and words, a page at a time, in the pages and the API alike.
The words searched for are never logged."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import cast
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import open_records
from api.cli_serve import ensure_keys
from api.settings import Settings
from api.users import UserStore
from domain import commands as cmd
from domain.envelope import RecordedBy
from ledger.log import LedgerBackend
from tests.factories import SETTING, ChildBuilder, fixed_clock, on
from tests.web.world import sign_in

FAMILIES = ["Ashworth", "Baker", "Chowdhury", "Dlamini", "Evans", "Fitzgerald"]
GIVEN = ["Amelia", "Ben", "Chloé", "Dev", "Ella"]  # 30 children, every name distinct
OBSERVATIONS = 40  # by two authors, alternately


@dataclass
class Scene:
    client: TestClient
    token: str
    child: UUID  # Amelia Ashworth, with a long chronology
    authors: dict[str, str]  # name -> user id
    settings: Settings

    def api(self, path: str) -> dict[str, object]:
        answer = self.client.get(path, headers={"Authorization": f"Bearer {self.token}"})
        assert answer.status_code == 200, answer.text
        return cast(dict[str, object], answer.json())


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    settings = Settings(data_dir=Path(tmp_path_factory.mktemp("finding")) / "data")
    ensure_keys(settings)
    records = open_records(settings, clock=fixed_clock)
    users = UserStore(cast(LedgerBackend, records.recorder))
    senco, token = users.add("Sam Senco", role="senco", setting_id=SETTING)
    keyperson, _ = users.add("Kim Keyperson", role="practitioner", setting_id=SETTING)
    ids = {
        f"{given} {family}": records.register(
            cmd.RegisterChild(
                given_name=given,
                family_name=family,
                date_of_birth=date(2022, 1, 1),
                setting_id=SETTING,
            ),
            on(date(2024, 9, 2)),
        )
        for family in FAMILIES
        for given in GIVEN
    }
    records.register(
        cmd.RegisterChild(
            given_name="Amelia",
            family_name="Elsewhere",
            date_of_birth=date(2022, 1, 1),
            setting_id="another-setting",
        ),
        on(date(2024, 9, 2)),
    )
    child = ChildBuilder(records, ids["Amelia Ashworth"])
    for n in range(OBSERVATIONS):
        by = RecordedBy(
            (senco, keyperson)[n % 2].user_id, ("senco", "practitioner")[n % 2], SETTING
        )
        child.do(
            cmd.RecordObservation,
            date(2025, 1, 6) + timedelta(days=n),
            by,
            area="communication_language",
            notes=f"Observation number {n} {'puzzle' if n % 10 == 3 else 'sand tray'}",
            observer="Key person",
        )
    records.close()
    with TestClient(create_app(settings), follow_redirects=False) as client:
        sign_in(client, token)
        yield Scene(
            client,
            token,
            child.child_id,
            {"Sam Senco": senco.user_id, "Kim Keyperson": keyperson.user_id},
            settings,
        )


NAMES = re.compile(r'<a href="/children/[0-9a-f-]{36}">([^<]+)</a>')


def listed(html: str) -> list[str]:
    return NAMES.findall(html)


class TestChildrenByName:
    def test_the_list_is_paged_alphabetically_by_family_name(self, scene: Scene) -> None:
        first = scene.client.get("/children")
        assert first.status_code == 200
        assert "30 children in your setting" in first.text
        assert "Page 1 of 2" in first.text
        assert listed(first.text)[:2] == ["Amelia Ashworth", "Ben Ashworth"]
        assert len(listed(first.text)) == 25
        second = scene.client.get("/children?page=2")
        assert listed(second.text) == [f"{g} Fitzgerald" for g in GIVEN]
        assert 'rel="prev"' in second.text
        assert 'rel="next"' not in second.text

    def test_a_page_past_the_end_or_unreadable_shows_a_real_page(self, scene: Scene) -> None:
        assert "Page 2 of 2" in scene.client.get("/children?page=99").text
        assert "Page 1 of 2" in scene.client.get("/children?page=-1x").text

    def test_search_ignores_case_accents_and_word_order(self, scene: Scene) -> None:
        page = scene.client.get("/children", params={"q": "chloe CHOW"})
        assert listed(page.text) == ["Chloé Chowdhury"]
        assert "1 child matches" in page.text
        amelias = listed(scene.client.get("/children", params={"q": "amelia"}).text)
        assert amelias == [f"Amelia {f}" for f in FAMILIES]  # not the other setting's

    def test_nobody_matches_says_so(self, scene: Scene) -> None:
        page = scene.client.get("/children", params={"q": "Zebedee"})
        assert listed(page.text) == []
        assert "0 children match" in page.text
        assert "Check the spelling" in page.text

    def test_paging_keeps_the_search(self, scene: Scene) -> None:
        page = scene.client.get("/children", params={"q": "e"})  # 30 names with an "e"
        assert "Page 1 of 1" not in page.text
        assert 'href="/children?q=e&amp;page=2"' in page.text

    def test_a_too_long_search_is_named_and_not_echoed(self, scene: Scene) -> None:
        page = scene.client.get("/children", params={"q": "x" * 101 + "Secretname"})
        assert page.status_code == 200
        assert "Enter at most 100 characters of a name" in page.text
        assert "Secretname" not in page.text
        assert len(listed(page.text)) == 25  # the list, unfiltered

    def test_only_the_children_shown_are_logged_and_the_words_never(
        self, scene: Scene, caplog: pytest.LogCaptureFixture
    ) -> None:
        records = open_records(scene.settings, clock=fixed_clock)
        before = {c: len(records.accesses(c)) for c in records.child_ids()}
        records.close()
        with caplog.at_level(logging.DEBUG):
            scene.client.get("/children", params={"q": "Dlamini"})
            scene.api("/v1/children?q=Dlamini")
        server_side = [
            r for r in caplog.records if not r.name.startswith("httpx")
        ]  # not the client's
        assert server_side == [] or all("Dlamini" not in r.getMessage() for r in server_side)
        records = open_records(scene.settings, clock=fixed_clock)
        try:
            grew = {c for c, n in before.items() if len(records.accesses(c)) > n}
            assert {records.get_child(c).family_name for c in grew} == {"Dlamini"}
            assert all("Dlamini" not in repr(vars(a)) for c in grew for a in records.accesses(c))
        finally:
            records.close()

    def test_the_api_searches_and_pages_too(self, scene: Scene) -> None:
        found = scene.api("/v1/children?q=ella&limit=4")
        children = cast(list[dict[str, str]], found["children"])
        names = [f"{c['given_name']} {c['family_name']}" for c in children]
        assert names == [f"Ella {f}" for f in FAMILIES[:4]]
        assert (found["count"], found["total"], found["next_offset"]) == (4, 6, 4)
        rest = scene.api("/v1/children?q=ella&limit=4&offset=4")
        assert (rest["count"], rest["next_offset"]) == (2, None)

    def test_the_api_refuses_a_too_long_search_naming_the_field(self, scene: Scene) -> None:
        answer = scene.client.get(
            "/v1/children",
            params={"q": "y" * 101},
            headers={"Authorization": f"Bearer {scene.token}"},
        )
        assert answer.status_code == 422
        assert answer.json()["field"] == "query.q"
        assert "yyyy" not in answer.text


ENTRY = re.compile(r'id="entry-([0-9]+)"')


class TestChronologySearch:
    def path(self, scene: Scene) -> str:
        return f"/children/{scene.child}/chronology"

    def test_a_long_chronology_is_paged_newest_first(self, scene: Scene) -> None:
        first = scene.client.get(self.path(scene))
        shown = [int(v) for v in ENTRY.findall(first.text)]
        total = OBSERVATIONS + 1
        assert shown == list(range(total, total - 25, -1))
        assert f"{total} entries, newest first" in first.text
        second = scene.client.get(self.path(scene), params={"page": 2})
        assert [int(v) for v in ENTRY.findall(second.text)] == list(range(total - 25, 0, -1))

    def test_filter_by_kind(self, scene: Scene) -> None:
        page = scene.client.get(self.path(scene), params={"kind": "ChildRegistered"})
        assert ENTRY.findall(page.text) == ["1"]
        assert "1 of 41 entries match" in page.text
        assert '<option value="ChildRegistered" selected>Child registered</option>' in page.text

    def test_filter_by_author_offers_names(self, scene: Scene) -> None:
        page = scene.client.get(self.path(scene), params={"author": scene.authors["Kim Keyperson"]})
        assert "Kim Keyperson (Key person)" in page.text
        assert "20 of 41 entries match" in page.text
        shown = [int(v) for v in ENTRY.findall(page.text)]
        assert shown
        assert all(v % 2 == 1 and v > 1 for v in shown)

    def test_search_words_and_keep_them_when_paging(self, scene: Scene) -> None:
        page = scene.client.get(self.path(scene), params={"q": "PUZZLE"})
        assert "4 of 41 entries match" in page.text
        assert [int(v) for v in ENTRY.findall(page.text)] == [35, 25, 15, 5]
        many = scene.client.get(
            self.path(scene), params={"q": "sand", "kind": "ObservationRecorded"}
        )
        assert "36 of 41 entries match" in many.text
        assert "kind=ObservationRecorded&amp;q=sand&amp;page=2" in many.text

    def test_a_bad_kind_is_named_and_the_whole_chronology_shown(self, scene: Scene) -> None:
        page = scene.client.get(self.path(scene), params={"kind": "NoSuchKind"})
        assert "Choose a kind of entry from the list" in page.text
        assert len(ENTRY.findall(page.text)) == 25

    def test_no_match_says_so(self, scene: Scene) -> None:
        page = scene.client.get(self.path(scene), params={"q": "trampoline"})
        assert ENTRY.findall(page.text) == []
        assert "No entry matches" in page.text

    def test_the_api_filters_by_kind_author_and_words_with_pages(self, scene: Scene) -> None:
        base = f"/v1/children/{scene.child}/chronology"
        kim = scene.authors["Kim Keyperson"]
        found = scene.api(f"{base}?author={kim}&q=sand+tray&limit=5")
        entries = cast(list[dict[str, object]], found["entries"])
        assert (found["matched"], found["count"], found["next_offset"]) == (16, 41, 5)
        assert all(cast(dict[str, str], e["recorded_by"])["user"] == kim for e in entries)
        kinds = scene.api(f"{base}?kind=ChildRegistered&kind=ObservationRecorded&q=puzzle")
        assert [e["version"] for e in cast(list[dict[str, object]], kinds["entries"])] == [
            5,
            15,
            25,
            35,
        ]

    def test_the_api_refuses_an_unknown_kind_naming_the_field(self, scene: Scene) -> None:
        answer = scene.client.get(
            f"/v1/children/{scene.child}/chronology?kind=Nonsense",
            headers={"Authorization": f"Bearer {scene.token}"},
        )
        assert answer.status_code == 422
        assert answer.json()["field"] == "kind"
