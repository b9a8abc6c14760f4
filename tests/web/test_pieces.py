"""The small parts of the pages on their own: the cost chart, what a verification
failure means, and how form problems are worded."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli_serve import _demo, ensure_keys, serving_settings
from api.schemas import ObservationIn
from api.settings import Settings
from api.web.forms import FormState, readable, validate
from api.web.provision_chart import cost_per_term_chart, every_term
from exporters.verify import VerificationError
from exporters.verify_explain import explain
from tests.web.world import sign_in


class TestCostChart:
    def test_the_axis_reaches_above_the_tallest_bar(self) -> None:
        svg = cost_per_term_chart(
            {"autumn 2025/26": "54.00", "spring 2025/26": "126.00"}, title="t"
        )
        ticks = [
            int(t.replace(",", "")) for t in re.findall(r'text-anchor="end"[^>]*>£([0-9,]+)<', svg)
        ]
        assert max(ticks) >= 126

    def test_terms_without_provision_are_gaps_not_left_out(self) -> None:
        assert every_term({"summer 2024/25": "1", "spring 2025/26": "2"}) == [
            "summer 2024/25",
            "autumn 2025/26",
            "spring 2025/26",
        ]

    def test_text_in_the_chart_is_escaped(self) -> None:
        svg = cost_per_term_chart({"autumn 2025/26": "1.00"}, title="<script>")
        assert "<script>" not in svg
        assert "&lt;script&gt;" in svg


class TestExplain:
    def test_each_kind_of_failure_has_its_own_meaning(self) -> None:
        changed = explain(VerificationError("file changed (SHA-256 differs)", where="data/x.json"))
        signature = explain(VerificationError("signature does not verify", where="signatures/b"))
        cut = explain(VerificationError("not a readable zip file (truncated)", where="bundle"))
        assert changed["heading"] == "A file in the bundle was changed after it was signed"
        assert signature["heading"] == "The bundle was not signed by this installation"
        assert cut["heading"] == "The file is not a readable bundle"

    def test_an_unknown_failure_still_says_not_to_rely_on_it(self) -> None:
        found = explain(VerificationError("something new", where="somewhere"))
        assert "cannot be relied on" in found["meaning"]


class TestFormWords:
    LABELS = {"occurred_at": "Date it happened", "notes": "What you saw", "area": "Area"}

    def test_pydantic_problems_in_plain_words_never_with_the_value(self) -> None:
        state = FormState()
        found = validate(
            ObservationIn,
            {"expected_version": 3, "occurred_at": "ZZ-not-a-date", "area": "nope", "notes": ""},
            state,
            self.LABELS,
        )
        assert found is None
        assert state.errors["occurred_at"] == "Enter a real date for date it happened"
        assert state.errors["area"] == "Choose area from the list"
        assert state.errors["notes"] == "Enter what you saw"
        assert (None, "Enter observer") in state.problems
        assert not any("ZZ" in message for _, message in state.problems)

    def test_domain_messages_use_the_labels(self) -> None:
        labels = {
            "key_person_view": "Key person's view",
            "senco_view": "SENCO's view",
            "different_views": "the outcome Different views",
        }
        message = readable(
            "different_views needs both key_person_view and senco_view", labels, "key_person_view"
        )
        assert (
            message == "The outcome Different views needs both key person's view and SENCO's view"
        )


def test_serve_demo_says_where_to_sign_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    ensure_keys(settings)
    _demo(settings, 2, "http://127.0.0.1:8000")
    out = capsys.readouterr().out
    assert "Sign in to the web pages at http://127.0.0.1:8000/ with one of these tokens." in out
    assert len(re.findall(r"\bst_\S+", out)) == 5  # one per role, each on its own line


def test_serve_demo_calls_its_settings_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENDTRAIL_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("SENDTRAIL_SETTING_NAMES", raising=False)
    monkeypatch.setenv("SENDTRAIL_CHECKPOINT_INTERVAL", "0")
    monkeypatch.setenv("SENDTRAIL_HOUSEKEEPING_INTERVAL", "0")
    assert serving_settings(demo=False).setting_names == {}
    settings = serving_settings(demo=True)
    ensure_keys(settings)
    _demo(settings, 2, "http://127.0.0.1:8000")
    # The LA inspector's caseload names each shared child's setting.
    inspector = re.search(r"inspector\s+(st_\S+)", capsys.readouterr().out)
    assert inspector is not None
    with TestClient(create_app(settings), follow_redirects=False) as client:
        sign_in(client, inspector.group(1))
        page = client.get("/dashboard").text
    assert "Elm Lane Nursery (demo)" in page or "Oak Tree Nursery (demo)" in page
    monkeypatch.setenv("SENDTRAIL_SETTING_NAMES", '{"demo-nursery-elm": "Our own name"}')
    assert serving_settings(demo=True).setting_names == {"demo-nursery-elm": "Our own name"}


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# Every pair of text and background colour the stylesheet puts together.
TEXT_ON = [
    ("text", "#ffffff"),
    ("muted", "#ffffff"),
    ("muted", "panel"),
    ("link", "#ffffff"),
    ("link", "panel"),
    ("visited", "#ffffff"),
    ("error", "#ffffff"),
    ("good", "good-bg"),
    ("bad", "bad-bg"),
    ("warn", "warn-bg"),
    ("text", "warn-bg"),
    ("text", "focus"),
    ("#ffffff", "brand"),
    ("#ffffff", "#00703c"),
    ("#0b3f75", "#d2e2f1"),
]


def test_every_text_colour_has_at_least_4_5_to_1_contrast() -> None:
    css = (Path(__file__).parents[2] / "api" / "web" / "static" / "site.css").read_text()
    named = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))

    def colour(name: str) -> str:
        return name if name.startswith("#") else named[name]

    for text, background in TEXT_ON:
        ratio = contrast(colour(text), colour(background))
        assert ratio >= 4.5, (text, background, round(ratio, 2))
