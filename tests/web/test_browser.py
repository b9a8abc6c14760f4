"""The pages in a real browser: Debian's headless Chromium driven by Playwright, against
uvicorn on 127.0.0.1 with a fresh store. Screenshots of the main pages are saved under
build/screenshots/ for people to look at.

Never downloads a browser: without /usr/bin/chromium these tests skip, saying why, unless
SENDTRAIL_REQUIRE_BROWSER=1 (CI sets it), when they fail instead."""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from api.app import create_app
from api.bootstrap import open_records
from tests.serving import served
from tests.web.world import World, build_world

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

REQUIRED = os.environ.get("SENDTRAIL_REQUIRE_BROWSER") == "1"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not REQUIRED,
        reason="no /usr/bin/chromium (apt-get install chromium; CI requires it)",
    ),
]
sync_api = pytest.importorskip("playwright.sync_api")


@dataclass
class Site:
    base: str
    world: World

    def version(self, child: Any) -> int:
        records = open_records(self.world.settings)
        try:
            return int(records.get_child(child).version)
        finally:
            records.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    world = build_world(tmp_path_factory.mktemp("browser") / "data")
    with served(create_app(world.settings)) as base:
        yield Site(base, world)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("SENDTRAIL_REQUIRE_BROWSER=1 but /usr/bin/chromium is not installed")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def open_as(browser: Any, site: Site, role: str, **options: Any) -> Any:
    """A fresh browser context (its own cookies), signed in through the sign-in page."""
    context = browser.new_context(base_url=site.base, locale="en-GB", **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/")
    page.get_by_label("Your sign-in token").fill(site.world.tokens[role])
    page.get_by_role("button", name="Sign in with the token").click()
    page.wait_for_load_state()
    return page


def shot(page: Any, name: str) -> None:
    """Save a screenshot, once every visible field on the page has a label."""
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll("input, select, textarea")]
            .filter(el => el.type !== "hidden" && el.labels.length === 0)
            .map(el => el.name)"""
    )
    assert unlabelled == [], f"fields without a label on {name}: {unlabelled}"
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def today() -> str:
    return datetime.now(tz=UTC).date().isoformat()


def test_sign_in_refuses_a_wrong_token_then_lets_the_right_one_in(browser: Any, site: Site) -> None:
    context = browser.new_context(base_url=site.base, locale="en-GB")
    page = context.new_page()
    page.goto("/children")  # signed out: sent to sign in first
    assert "/sign-in" in page.url
    page.get_by_label("Your sign-in token").fill("st_not-a-real-token")
    page.get_by_role("button", name="Sign in with the token").click()
    assert page.get_by_role("alert").filter(has_text="not recognised").is_visible()
    shot(page, "sign-in-refused")
    page.get_by_label("Your sign-in token").fill(site.world.tokens["senco"])
    page.get_by_role("button", name="Sign in with the token").click()
    page.wait_for_url("**/children")  # back where the visitor was going
    page.get_by_role("link", name="Dashboard").click()
    assert page.get_by_role("heading", name="Cohort dashboard").is_visible()
    shot(page, "dashboard")
    context.close()


def record_observation(page: Any, site: Site, *, on: str, notes: str) -> None:
    page.goto(f"/children/{site.world.own}")
    page.get_by_role("link", name="Record an observation").click()
    page.get_by_label("Date it happened").fill(on)
    page.get_by_label("Area of learning").select_option("communication_language")
    page.get_by_label("What you saw").fill(notes)
    page.get_by_role("button", name="Save observation").click()
    page.wait_for_url("**/chronology?saved=observation*")


def show_as_of(page: Any, day: str, *, known_then: bool) -> None:
    page.get_by_label("Show the record as it stood on").fill(day)
    box = page.get_by_label("As known then")
    if known_then:
        box.check()
    else:
        box.uncheck()
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()


def test_an_observation_shows_on_the_chronology_and_not_before_its_date(
    browser: Any, site: Site
) -> None:
    page = open_as(browser, site, "practitioner")
    record_observation(page, site, on=today(), notes="Named three animals ZZTODAY")
    assert page.get_by_role("status").filter(has_text="Observation saved").is_visible()
    assert page.get_by_text("Named three animals ZZTODAY").is_visible()
    shot(page, "chronology")
    yesterday = (datetime.now(tz=UTC).date() - timedelta(days=1)).isoformat()
    show_as_of(page, yesterday, known_then=False)
    assert "as it stood on" in page.locator(".view-times").inner_text()
    assert page.get_by_text("Named three animals ZZTODAY").count() == 0
    # A late entry: it happened on a past day, but was written down only today.
    record_observation(page, site, on="2026-11-20", notes="Late entry ZZLATE")
    show_as_of(page, "2026-11-20", known_then=False)
    assert page.get_by_text("Late entry ZZLATE").is_visible()
    show_as_of(page, "2026-11-20", known_then=True)
    assert "as it was known at the end of that day" in page.locator(".view-times").inner_text()
    assert page.get_by_text("Late entry ZZLATE").count() == 0
    page.context.close()


def test_a_form_error_keeps_what_was_typed_and_stores_nothing(browser: Any, site: Site) -> None:
    page = open_as(browser, site, "practitioner")
    before = site.version(site.world.own)
    page.goto(f"/children/{site.world.own}/record/session")
    page.get_by_label("Date of the session").fill(today())
    page.get_by_label("Delivered", exact=True).check()
    page.get_by_label("Notes").fill("Good turn-taking ZZKEPT")
    page.get_by_role("button", name="Save session").click()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert "Minutes is required for a delivered session" in summary.inner_text()
    assert page.get_by_label("Notes").input_value() == "Good turn-taking ZZKEPT"
    assert page.get_by_label("Delivered", exact=True).is_checked()
    shot(page, "form-with-errors")
    summary.get_by_role("link", name="Minutes is required for a delivered session").click()
    assert page.evaluate("document.activeElement.name") == "minutes"
    assert site.version(site.world.own) == before
    page.context.close()


def test_export_a_bundle_and_check_it_then_a_tampered_copy(
    browser: Any, site: Site, tmp_path: Path
) -> None:
    senco = open_as(browser, site, "senco", accept_downloads=True)
    senco.goto(f"/children/{site.world.own}")
    shot(senco, "child-page")
    assert senco.get_by_label("Include the PDF report").is_checked()  # on by default
    with senco.expect_download() as download:
        senco.get_by_role("button", name="Export evidence bundle").click()
    bundle = tmp_path / "bundle.zip"
    download.value.save_as(bundle)
    senco.goto(f"/children/{site.world.own}/provision-map")
    assert senco.locator("svg.chart").is_visible()
    assert senco.get_by_role("table", name="Cost per term").is_visible()
    shot(senco, "provision-map")
    senco.context.close()

    inspector = open_as(browser, site, "inspector")
    assert "/verify" in inspector.url
    inspector.get_by_label("Bundle file").set_input_files(str(bundle))
    inspector.get_by_role("button", name="Check the bundle").click()
    verdict = inspector.get_by_role("status").filter(has_text="Verified")
    assert "Verified: this bundle is genuine" in verdict.inner_text()
    assert str(site.world.own) in verdict.inner_text()
    shot(inspector, "inspector-verified")

    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(tamper(bundle.read_bytes(), "data/chronology.json"))
    inspector.get_by_label("Bundle file").set_input_files(str(tampered))
    inspector.get_by_role("button", name="Check the bundle").click()
    failed = inspector.get_by_role("alert").inner_text()
    assert "Not verified" in failed
    assert "file changed" in failed
    assert "data/chronology.json" in failed
    shot(inspector, "inspector-failed")
    inspector.set_viewport_size({"width": 390, "height": 844})  # the verdict fits a phone
    assert inspector.evaluate("document.documentElement.scrollWidth") <= 390
    shot(inspector, "inspector-failed-390px")
    inspector.context.close()


def tamper(bundle: bytes, name: str) -> bytes:
    """The same zip with one byte changed inside one of its files."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bundle)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == name:
                data = data[:10] + bytes([data[10] ^ 0x01]) + data[11:]
            target.writestr(item, data)
    return out.getvalue()


def test_a_parent_sees_their_child_and_adds_a_view_and_a_dispute(browser: Any, site: Site) -> None:
    page = open_as(browser, site, "parent")
    assert page.url.endswith(f"/children/{site.world.own}")
    shot(page, "parent-view")
    page.goto(f"/children/{site.world.sibling}")
    assert page.get_by_role("heading", name="Page not found").is_visible()
    page.goto(f"/children/{site.world.own}")
    page.get_by_role("link", name="Add your view").click()
    page.get_by_label("The view, in their own words").fill("He loves the garden ZZVIEW")
    page.get_by_role("button", name="Add this view").click()
    page.wait_for_url("**/chronology?saved=parent-view*")
    assert page.get_by_text("He loves the garden ZZVIEW").first.is_visible()
    page.get_by_role("link", name="Disagree with this entry").last.click()
    page.get_by_label("Your comment").fill("Not how we see it ZZDISPUTE")
    page.get_by_role("button", name="Add my comment").click()
    page.wait_for_url("**/chronology?saved=dispute*")
    assert page.get_by_text("Not how we see it ZZDISPUTE").first.is_visible()
    shot(page, "parent-chronology")
    page.context.close()


def test_a_core_form_works_without_javascript(browser: Any, site: Site) -> None:
    page = open_as(browser, site, "practitioner", java_script_enabled=False)
    before = site.version(site.world.own)
    page.goto(f"/children/{site.world.own}/record/session")
    # Without the script every field shows; the choice made decides which count.
    assert page.get_by_label("Reason it was missed").is_visible()
    page.get_by_label("Date of the session").fill(today())
    page.get_by_label("Missed", exact=True).check()
    page.get_by_label("Reason it was missed").fill("Staff absence")
    page.get_by_role("button", name="Save session").click()
    page.wait_for_url("**/chronology?saved=session*")
    assert site.version(site.world.own) == before + 1
    page.context.close()


def test_the_child_page_fits_a_phone_and_keyboard_users_can_skip_to_it(
    browser: Any, site: Site
) -> None:
    page = open_as(browser, site, "senco", viewport={"width": 390, "height": 844})
    page.goto(f"/children/{site.world.own}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "child-page-390px")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.context.close()


def test_a_photo_is_attached_to_an_observation_on_a_phone(
    browser: Any, site: Site, tmp_path: Path
) -> None:
    photo = tmp_path / "IMG_2048.jpg"
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # where it was taken
    Image.new("RGB", (64, 48), (220, 90, 30)).save(photo, format="JPEG", exif=exif)
    page = open_as(browser, site, "practitioner", viewport={"width": 390, "height": 844})
    page.goto(f"/children/{site.world.own}")
    page.get_by_role("link", name="Record an observation").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_label("Date it happened").fill(today())
    page.get_by_label("Area of learning").select_option("physical")
    page.get_by_label("What you saw").fill("Balanced on the beam ZZPHOTO")
    page.get_by_label("Photo or document").set_input_files(str(photo))
    shot(page, "observation-photo-390px")
    page.get_by_role("button", name="Save observation").click()
    page.wait_for_url("**/chronology?saved=observation*")
    link = page.get_by_role("link", name="IMG_2048.jpg")
    assert link.is_visible()
    href = link.get_attribute("href")
    fetched = page.request.get(href)
    assert fetched.status == 200
    kept = Image.open(io.BytesIO(fetched.body()))
    assert dict(kept.getexif()) == {}  # the location is gone
    page.context.close()


def test_a_senco_checks_an_las_expectations_and_downloads_its_request(
    browser: Any, site: Site
) -> None:
    page = open_as(browser, site, "senco")
    page.goto(f"/children/{site.world.own}")
    page.get_by_role("link", name="LA request").click()
    page.get_by_label("Local authority profile").select_option("example-borough-notional")
    page.get_by_role("button", name="Show").last.click()
    page.wait_for_load_state()
    assert page.get_by_text("Not required by law: no spending threshold").count() == 1
    shot(page, "la-request")
    page.get_by_label("Web page (HTML)").check()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the request").click()
    document = Path(download.value.path()).read_text()
    assert "Costed provision map and the notional SEN budget" in document
    page.context.close()


def test_the_api_docs_render_offline_and_pages_break_no_policy(browser: Any, site: Site) -> None:
    """The docs page draws the API from files on this server alone (the test browser has no
    network beyond 127.0.0.1), and no page or the docs trips its Content-Security-Policy."""
    page = open_as(browser, site, "senco")
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)
    for path in (
        "/dashboard",
        f"/children/{site.world.own}",
        f"/children/{site.world.own}/chronology",
    ):
        page.goto(path)
        page.wait_for_load_state()
    page.goto("/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "sendtrail" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock").first.wait_for()
    shot(page, "api-docs")
    assert violations == []


def test_an_admin_invites_a_parent_who_sets_a_password_and_signs_in_on_a_phone(
    browser: Any, site: Site
) -> None:
    phone = {"width": 390, "height": 844}
    admin = open_as(browser, site, "admin", viewport=phone)
    admin.get_by_role("link", name="Accounts").click()
    assert admin.evaluate("document.documentElement.scrollWidth") <= 390
    shot(admin, "accounts-390px")
    admin.get_by_role("link", name="Invite someone").click()
    admin.get_by_label("Their name").fill("Pat Example")
    admin.get_by_label("Parent or carer").check()
    admin.get_by_label("A parent's child").select_option(str(site.world.own))
    admin.get_by_role("button", name="Make the invitation").click()
    # The child's linked people are offered; the first is chosen.
    admin.get_by_role("group", name="Which of the child's people they are").get_by_role(
        "radio"
    ).first.check()
    admin.get_by_role("button", name="Make the invitation").click()
    link = admin.get_by_label("Invitation link").input_value()
    assert admin.evaluate("document.documentElement.scrollWidth") <= 390
    shot(admin, "invitation-ready-390px")
    parent = browser.new_context(base_url=site.base, locale="en-GB", viewport=phone).new_page()
    parent.goto(link)
    parent.get_by_label("User name").fill("pat@example.org")
    parent.get_by_label("Password", exact=True).fill("a long enough passphrase")
    parent.get_by_label("The same password again").fill("a long enough passphrase")
    parent.get_by_role("button", name="Set up my account").click()
    parent.wait_for_url("**/sign-in?accepted=1")
    parent.get_by_label("Email or user name").fill("pat@example.org")
    parent.get_by_label("Password", exact=True).fill("a long enough passphrase")
    parent.get_by_role("button", name="Sign in", exact=True).click()
    parent.wait_for_url(f"**/children/{site.world.own}")
    assert parent.evaluate("document.documentElement.scrollWidth") <= 390
    parent.goto("/account/two-factor")
    assert parent.evaluate("document.documentElement.scrollWidth") <= 390
    shot(parent, "two-factor-390px")
    admin.goto("/admin/users")
    shot(admin, "accounts-with-a-parent-390px")
    assert admin.evaluate("document.documentElement.scrollWidth") <= 390
    parent.context.close()
    admin.context.close()


def phone_pages(site: Site) -> dict[str, list[str]]:
    """Every kind of page, per role that sees it."""
    own = f"/children/{site.world.own}"
    return {
        "senco": [
            "/dashboard",
            "/children",
            "/children?q=a",
            own,
            f"{own}/chronology",
            f"{own}/chronology?kind=ObservationRecorded",
            f"{own}/provision-map",
            f"{own}/la-request",
            f"{own}/record/observation",
            f"{own}/record/session",
            f"{own}/record/discussion",
            f"{own}/record/review",
            f"{own}/record",
            f"{own}/record/plan",
            f"{own}/record/provision-change",
            f"{own}/record/correction",
            "/children/new",
            "/inbox",
            "/provision-map",
            "/group-session",
            "/group-session?provision=prov-talk",
            "/class-attendance",
            "/import",
            "/verify",
            "/keys",
        ],
        "parent": [own, f"{own}/chronology", f"{own}/record/parent-view", f"{own}/record/dispute"],
    }


def test_no_page_scrolls_sideways_at_390px(browser: Any, site: Site) -> None:
    wide = []
    for role, paths in phone_pages(site).items():
        page = open_as(browser, site, role, viewport={"width": 390, "height": 844})
        for path in paths:
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                wide.append((role, path, width))
        page.context.close()
    assert wide == []


def test_the_children_list_shows_every_link_on_a_phone(browser: Any, site: Site) -> None:
    page = open_as(browser, site, "senco", viewport={"width": 390, "height": 844})
    page.goto("/children")
    links = page.get_by_role("link", name=re.compile("^Observation for "))
    assert links.count() > 0
    for n in range(links.count()):
        box = links.nth(n).bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
    shot(page, "children-390px")
    page.context.close()


# The focused control's outline, and its contrast against what surrounds it (WCAG 2.2's
# 1.4.11 and 2.4.13: at least 3:1), measured by the browser.
FOCUS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const rgb = c => (c.match(/[0-9.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let around = [255, 255, 255];
  for (let up = el.parentElement; up; up = up.parentElement) {
    const c = rgb(getComputedStyle(up).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0)) { around = c.slice(0, 3); break; }
  }
  const [hi, lo] = [lum(rgb(style.outlineColor)), lum(around)].sort((a, b) => b - a);
  return {
    what: el.tagName + " " + (el.textContent || el.name || "").trim().slice(0, 40),
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    contrast: (hi + 0.05) / (lo + 0.05),
  };
}"""


def test_focus_is_clearly_visible_on_every_control(browser: Any, site: Site) -> None:
    page = open_as(browser, site, "senco")
    faint = []
    own = f"/children/{site.world.own}"
    for path in ("/children", own, f"{own}/chronology", f"{own}/record/observation"):
        page.goto(path)
        seen = set()
        for _ in range(80):
            page.keyboard.press("Tab")
            found = page.evaluate(FOCUS)
            if found["what"] in seen or found["what"].startswith("BODY"):
                break
            seen.add(found["what"])
            if found["style"] == "none" or found["width"] < 3 or found["contrast"] < 3:
                faint.append((path, found))
        assert len(seen) > 5, path
    assert faint == []
    page.context.close()


def axe_source() -> str:
    """axe-core as the `axe-playwright-python` package ships it (the dev extra)."""
    from importlib import resources

    try:
        return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text()
    except ModuleNotFoundError:
        pytest.skip("axe-playwright-python is not installed (the dev extra brings axe-core)")


def axe_violations(page: Any, source: str) -> list[str]:
    """axe-core's violations on the page as it is now: rule, impact and the first targets.
    Run through the debugging protocol, which the pages' CSP (no inline script) allows."""
    page.evaluate(source)
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3)"
        ".map(n => n.target.join(' ')).join(', ')}`)"
    )
    return [str(line) for line in found]


def test_axe_core_finds_nothing_on_any_page(browser: Any, site: Site) -> None:
    """Every kind of page, per role, at a desktop width and on a phone (issue 19)."""
    source = axe_source()
    found = []
    own = f"/children/{site.world.own}"
    pages = {
        **phone_pages(site),
        "admin": ["/admin/users", "/admin/users/invite", "/admin/tokens"],
        "inspector": ["/dashboard", own, f"{own}/chronology", "/verify"],
        "practitioner": [own, f"{own}/record", "/account/two-factor"],
    }
    for width, height in ((1366, 900), (390, 844)):
        for role, paths in pages.items():
            page = open_as(browser, site, role, viewport={"width": width, "height": height})
            for path in paths:
                answer = page.goto(path)
                # An error page would pass axe too: each page must open for its role.
                assert answer is not None, (role, path)
                assert answer.ok, (role, path, answer.status)
                found += [f"{role} {path} @{width}px: {v}" for v in axe_violations(page, source)]
            page.context.close()
        signed_out = browser.new_context(
            base_url=site.base, locale="en-GB", viewport={"width": width, "height": height}
        ).new_page()
        for path in ("/", "/sign-in"):
            assert signed_out.goto(path).ok, path
            found += [
                f"signed out {path} @{width}px: {v}" for v in axe_violations(signed_out, source)
            ]
        signed_out.context.close()
    assert found == [], "\n".join(found)
    # The check can fail: an image without a text alternative is named.
    page = open_as(browser, site, "senco")
    page.goto("/dashboard")
    page.evaluate("document.querySelector('main').appendChild(document.createElement('img'))")
    assert any(v.startswith("image-alt") for v in axe_violations(page, source))
    page.context.close()
