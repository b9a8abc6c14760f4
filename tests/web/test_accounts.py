"""Accounts in the browser (issue 19.3), through the app: invitations, passwords, the
second factor, rate limits, revocation, parent binding, API tokens and who may manage."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.deps import Services
from api.signin_limits import FAILURES
from tests.web.conftest import Client
from tests.web.world import NONCE, World, csrf_of

LINK = re.compile(r'id="invitation-link" value="http://testserver(/invitation/[^"]+)"')
SECRET = re.compile(r'name="secret" value="([A-Z2-7]+)"')
PASSWORD = "correct horse battery staple"  # noqa: S105 (a test account's)


def services(app: FastAPI) -> Services:
    found: Services = app.state.services
    return found


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def browser(app: FastAPI, address: str | None = None) -> TestClient:
    """A fresh client from its own address (so one test's failures limit no other's)."""
    where = address or f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    return TestClient(app, follow_redirects=False, client=(where, 50000))


def invite(admin: TestClient, **fields: str) -> str:
    """Post the invitation form; the link's path on success."""
    form = admin.get("/admin/users/invite")
    assert form.status_code == 200
    response = admin.post("/admin/users/invite", data={"csrf": csrf_of(form.text), **fields})
    assert response.status_code == 201, response.text
    found = LINK.search(response.text)
    assert found is not None
    return found.group(1)


def accept(client: TestClient, link: str, login: str, password: str = PASSWORD) -> int:
    form = client.get(link)
    assert form.status_code == 200
    nonce = NONCE.search(form.text)
    assert nonce is not None
    data = {"nonce": nonce.group(1), "login": login, "password": password}
    response = client.post(link, data={**data, "password_again": password})
    status: int = response.status_code
    return status


def attempt(client: TestClient, login: str, password: str, code: str = "") -> Response:
    """Post the sign-in form with a user name, password and code."""
    form = client.get("/sign-in")
    nonce = NONCE.search(form.text)
    assert nonce is not None
    data = {"nonce": nonce.group(1), "login": login, "password": password, "code": code}
    response: Response = client.post("/sign-in", data=data)
    return response


def signed_in(app: FastAPI, login: str, password: str = PASSWORD, code: str = "") -> TestClient:
    client = browser(app)
    assert attempt(client, login, password, code).status_code == 303
    return client


def new_user(app: FastAPI, as_: Client, role: str = "practitioner") -> tuple[str, str]:
    """An invited, accepted user: (their user name, their name)."""
    name = unique("Person")
    link = invite(as_("admin"), name=name, role=role)
    login = f"{name.lower()}@example.org"
    assert accept(browser(app), link, login) == 303
    return login, name


def test_invite_accept_sign_in_and_a_wrong_password(app: FastAPI, as_: Client) -> None:
    name = unique("Key person")
    link = invite(as_("admin"), name=name, role="practitioner", email="kp@example.org")
    client = browser(app)
    assert name in client.get(link).text
    assert accept(client, link, "KP@example.org") == 303
    assert client.get(link).status_code == 404  # used up: a one-time link
    assert attempt(client, "kp@example.org", PASSWORD).status_code == 303
    assert client.get("/children").status_code == 200
    other = browser(app)
    refused = attempt(other, "kp@example.org", "not the password at all")
    assert refused.status_code == 401
    assert "do not match" in refused.text
    assert "not the password at all" not in refused.text
    assert other.get("/children").status_code == 303
    backend = services(app).users
    with backend.backend.ledger_cursor() as cursor:
        cursor.execute("SELECT password_hash FROM api_users WHERE login = 'kp@example.org'")
        stored = cursor.fetchone()["password_hash"]
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_acceptance_refuses_weak_or_mismatched_passwords_and_keeps_the_link(
    app: FastAPI, as_: Client
) -> None:
    link = invite(as_("admin"), name=unique("Weak"), role="senco")
    client = browser(app)
    nonce = NONCE.search(client.get(link).text)
    assert nonce is not None
    data = {"nonce": nonce.group(1), "login": "a b", "password": "short", "password_again": "x"}
    refused = client.post(link, data=data)
    assert refused.status_code == 422
    assert "without spaces" in refused.text
    assert "at least 12 characters" in refused.text
    assert 'value="short"' not in refused.text  # a password is never shown back
    assert accept(client, link, unique("fine")) == 303  # the link still worked once


def test_a_user_name_is_taken_once(app: FastAPI, as_: Client) -> None:
    login, _ = new_user(app, as_)
    link = invite(as_("admin"), name=unique("Second"), role="practitioner")
    assert accept(browser(app), link, login.upper()) == 422


@pytest.mark.slow  # an argon2 hash per attempt
def test_failures_per_account_are_limited_with_retry_after(app: FastAPI, as_: Client) -> None:
    login, _ = new_user(app, as_)
    for _ in range(FAILURES):  # each from another address: only the account's count grows
        assert attempt(browser(app), login, "wrong password!").status_code == 401
    limited = attempt(browser(app), login, PASSWORD)
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed sign-ins" in limited.text
    other, _ = new_user(app, as_)
    assert attempt(browser(app), other, PASSWORD).status_code == 303


@pytest.mark.slow  # an argon2 hash per attempt
def test_failures_per_address_are_limited(app: FastAPI, as_: Client) -> None:
    login, _ = new_user(app, as_)
    address = "192.0.2.99"
    for n in range(FAILURES):  # unknown user names, all from one address
        assert attempt(browser(app, address), f"nobody-{n}", "guess guess").status_code == 401
    assert attempt(browser(app, address), login, PASSWORD).status_code == 429
    assert attempt(browser(app), login, PASSWORD).status_code == 303


def enrol(client: TestClient) -> str:
    """Turn the second factor on for the signed-in client; returns its secret."""
    page = client.get("/account/two-factor")
    assert page.status_code == 200
    secret = SECRET.search(page.text)
    assert secret is not None
    wrong = client.post(
        "/account/two-factor",
        data={"csrf": csrf_of(page.text), "secret": secret.group(1), "code": "000000"},
    )
    assert wrong.status_code == 422
    assert "does not match" in wrong.text
    code = pyotp.TOTP(secret.group(1)).now()
    data = {"csrf": csrf_of(page.text), "secret": secret.group(1), "code": code}
    assert client.post("/account/two-factor", data=data).status_code == 303
    return secret.group(1)


def test_totp_enrolment_then_sign_in_needs_the_code(app: FastAPI, as_: Client) -> None:
    login, _ = new_user(app, as_)
    secret = enrol(signed_in(app, login))
    asked = attempt(browser(app), login, PASSWORD)
    assert asked.status_code == 422
    assert "6-digit code" in asked.text
    assert attempt(browser(app), login, PASSWORD, "123456").status_code in (401,)
    # The code that turned it on is used up; the next one (within the drift allowed) works
    # once, and the same code again is refused (a code seen over a shoulder is worthless).
    code = next_code(secret)
    client = signed_in(app, login, PASSWORD, code)
    replayed = attempt(browser(app), login, PASSWORD, code)
    assert replayed.status_code == 401
    assert "not the current one" in replayed.text
    assert client.get("/children").status_code == 200


def next_code(secret: str) -> str:
    """The code of the next 30-second step (accepted for clock drift)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


@contextmanager
def app_with(world: World, **changes: object) -> Iterator[FastAPI]:
    """Another app server on the same store, with some settings changed."""
    other = create_app(world.settings.model_copy(update=changes))
    with TestClient(other):
        yield other


@pytest.mark.slow  # several argon2 sign-ins
def test_totp_is_required_for_sencos_when_the_setting_says_so(
    app: FastAPI, as_: Client, world: World
) -> None:
    senco, _ = new_user(app, as_, role="senco")
    practitioner, _ = new_user(app, as_)
    with app_with(world, require_totp=True) as strict:
        client = signed_in(strict, senco)
        sent = client.get("/dashboard")
        assert sent.status_code == 303
        assert sent.headers["location"] == "/account/two-factor"
        assert client.get(f"/children/{world.own}").status_code == 303
        secret = enrol(client)
        assert client.get("/dashboard").status_code == 200
        page = client.get("/account/two-factor")
        assert "must keep it on" in page.text
        off = client.post(
            "/account/two-factor",
            data={"csrf": csrf_of(page.text), "code": pyotp.TOTP(secret).now()},
        )
        assert off.status_code == 422  # the setting keeps it on
        key_person = signed_in(strict, practitioner)
        assert key_person.get("/children").status_code == 200  # not required of them


def test_an_admin_revokes_a_user_and_their_session_ends_at_once(app: FastAPI, as_: Client) -> None:
    login, name = new_user(app, as_)
    client = signed_in(app, login)
    assert client.get("/children").status_code == 200
    admin = as_("admin")
    listing = admin.get("/admin/users")
    assert name in listing.text
    found = re.search(
        r'action="/admin/users/(u-[0-9a-f]+)/revoke"[^<]*<input[^>]*>\s*'
        rf"<button[^>]*>Revoke {re.escape(name)}<",
        listing.text,
    )
    assert found is not None
    revoked = admin.post(
        f"/admin/users/{found.group(1)}/revoke", data={"csrf": csrf_of(listing.text)}
    )
    assert revoked.headers["location"] == "/admin/users?done=revoked"
    assert client.get("/children").status_code == 303  # signed out at once
    assert attempt(browser(app), login, PASSWORD).status_code == 401


def test_an_admin_changes_a_staff_role(app: FastAPI, as_: Client) -> None:
    login, _ = new_user(app, as_)
    client = signed_in(app, login)
    assert client.get("/dashboard").status_code == 403
    user = services(app).users.credentials(login)
    assert user is not None
    admin = as_("admin")
    listing = admin.get("/admin/users")
    changed = admin.post(
        f"/admin/users/{user[0].user_id}/role",
        data={"csrf": csrf_of(listing.text), "role": "senco"},
    )
    assert changed.headers["location"] == "/admin/users?done=role"
    assert client.get("/dashboard").status_code == 200
    parent = admin.post(
        f"/admin/users/{user[0].user_id}/role",
        data={"csrf": csrf_of(listing.text), "role": "parent"},
    )
    assert parent.headers["location"] == "/admin/users?done=unchanged"


def test_a_parent_invitation_binds_the_linked_person(
    app: FastAPI, as_: Client, world: World
) -> None:
    admin = as_("admin")
    form = admin.get("/admin/users/invite")
    name = unique("Parent")
    data = {"csrf": csrf_of(form.text), "name": name, "role": "parent", "child_id": str(world.own)}
    asked = admin.post("/admin/users/invite", data=data)
    assert asked.status_code == 422  # the child's people are offered to choose from
    assert "Choose which of the child" in asked.text
    people = re.findall(r'name="person_id" value="([^"]+)"', asked.text)
    assert people
    link = invite(admin, name=name, role="parent", child_id=str(world.own), person_id=people[-1])
    login = f"{name.lower()}@example.org"
    assert accept(browser(app), link, login) == 303
    client = browser(app)
    assert attempt(client, login, PASSWORD).headers["location"] == f"/children/{world.own}"
    assert client.get(f"/children/{world.own}").status_code == 200
    assert client.get(f"/children/{world.sibling}").status_code == 404
    found = services(app).users.credentials(login)
    assert found is not None
    assert (found[0].role, found[0].child_id, found[0].person_id) == (
        "parent",
        str(world.own),
        people[-1],
    )


def test_an_invitation_refused_shows_every_problem_and_stores_nothing(
    app: FastAPI, as_: Client, world: World
) -> None:
    admin = as_("admin")
    setting = services(app).users.live(world.user_ids["admin"])
    assert setting is not None
    before = len(services(app).invitations.open_in(setting.setting_id))
    form = admin.get("/admin/users/invite")
    data = {"csrf": csrf_of(form.text), "name": "", "email": "not-an-address", "role": "x"}
    refused = admin.post("/admin/users/invite", data=data)
    assert refused.status_code == 422
    for message in ("Enter the person", "Enter an email address", "Choose what they will do"):
        assert message in refused.text
    assert 'value="not-an-address"' in refused.text  # what was typed is kept
    assert len(services(app).invitations.open_in(setting.setting_id)) == before
    no_child = admin.post(
        "/admin/users/invite",
        data={
            "csrf": csrf_of(form.text),
            "name": "P",
            "role": "parent",
            "child_id": str(world.other),
        },
    )
    assert no_child.status_code == 422  # a child of another setting is not offered
    assert "Choose the parent" in no_child.text


def test_a_withdrawn_invitation_opens_nothing(app: FastAPI, as_: Client) -> None:
    admin = as_("admin")
    name = unique("Withdrawn")
    link = invite(admin, name=name, role="practitioner")
    listing = admin.get("/admin/users")
    found = re.search(
        r'action="/admin/invitations/(i-[0-9a-f]+)/withdraw"[^<]*<input[^>]*>\s*'
        rf"<button[^>]*>Withdraw the invitation of {re.escape(name)}<",
        listing.text,
    )
    assert found is not None
    admin.post(
        f"/admin/invitations/{found.group(1)}/withdraw", data={"csrf": csrf_of(listing.text)}
    )
    assert browser(app).get(link).status_code == 404


def test_api_tokens_are_made_once_and_revoked_in_the_browser(app: FastAPI, as_: Client) -> None:
    admin = as_("admin")
    page = admin.get("/admin/tokens")
    name = unique("Backup script")
    made = admin.post(
        "/admin/tokens", data={"csrf": csrf_of(page.text), "name": name, "role": "senco"}
    )
    assert made.status_code == 201
    token = re.search(r'id="new-token" value="(st_[^"]+)"', made.text)
    assert token is not None
    api = TestClient(app, headers={"Authorization": f"Bearer {token.group(1)}"})
    assert api.get("/v1/children").status_code == 200
    again = admin.get("/admin/tokens")
    assert token.group(1) not in again.text  # shown once
    found = re.search(
        r'action="/admin/users/(u-[0-9a-f]+)/revoke"[^<]*<input[^>]*>\s*'
        r"<input[^>]*>\s*"
        rf"<button[^>]*>Revoke the token of {re.escape(name)}<",
        again.text,
    )
    assert found is not None
    revoked = admin.post(
        f"/admin/users/{found.group(1)}/revoke",
        data={"csrf": csrf_of(again.text), "back": "tokens"},
    )
    assert revoked.headers["location"] == "/admin/tokens?done=revoked"
    assert api.get("/v1/children").status_code == 401
    refused = admin.post("/admin/tokens", data={"csrf": csrf_of(again.text), "role": "inspector"})
    assert refused.status_code == 422
    assert "Enter what the token is for" in refused.text
    assert "Enter the body" in refused.text


@pytest.mark.parametrize("role", ["senco", "practitioner", "parent", "inspector"])
def test_non_admins_cannot_reach_the_admin_pages(as_: Client, role: str) -> None:
    client = as_(role)
    for path in ("/admin/users", "/admin/users/invite", "/admin/tokens"):
        assert client.get(path).status_code == 403
    csrf = csrf_of(client.get("/account/two-factor").text)
    posted = client.post("/admin/users/invite", data={"csrf": csrf, "name": "X", "role": "admin"})
    assert posted.status_code == 403
    assert client.post("/admin/tokens", data={"csrf": csrf, "name": "X"}).status_code == 403


def test_admin_forms_need_the_sessions_csrf_token(as_: Client) -> None:
    admin = as_("admin")
    refused = admin.post("/admin/users/invite", data={"csrf": "forged", "name": "X"})
    assert refused.status_code == 403


def test_the_cli_invites_the_first_admin_who_sets_a_password(
    app: FastAPI, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENDTRAIL_DATA", str(world.settings.data_dir))
    monkeypatch.delenv("SENDTRAIL_DATABASE_URL", raising=False)
    setting = services(app).users.live(world.user_ids["admin"])
    assert setting is not None
    runner = CliRunner()
    refused = runner.invoke(
        cli, ["users", "invite", "X", "--role", "parent", "--setting", setting.setting_id]
    )
    assert refused.exit_code == 2
    made = runner.invoke(
        cli, ["users", "invite", "First Admin", "--role", "admin", "--setting", setting.setting_id]
    )
    assert made.exit_code == 0, made.output
    link = made.output.strip().splitlines()[-1]
    assert link.startswith("/invitation/inv_")
    login = unique("first-admin")
    assert accept(browser(app), link, login) == 303
    assert signed_in(app, login).get("/admin/users").status_code == 200


def test_a_user_changes_their_password_with_the_current_one(app: FastAPI, as_: Client) -> None:
    login, _ = new_user(app, as_)
    client = signed_in(app, login)
    form = client.get("/account/password")
    assert form.status_code == 200
    data = {"csrf": csrf_of(form.text), "current": "not it at all", "password": "tiny"}
    refused = client.post("/account/password", data=data)
    assert refused.status_code == 422
    assert "Enter your current password" in refused.text
    assert "at least 12 characters" in refused.text
    new = "a different long passphrase"
    data = {"csrf": csrf_of(form.text), "current": PASSWORD, "password": new}
    changed = client.post("/account/password", data={**data, "password_again": new})
    assert changed.status_code == 303
    assert attempt(browser(app), login, PASSWORD).status_code == 401
    assert attempt(browser(app), login, new).status_code == 303
    assert as_("practitioner").get("/account/password").status_code == 404  # a token user


def test_an_empty_sign_in_form_says_what_is_missing(app: FastAPI) -> None:
    client = browser(app)
    empty = attempt(client, "", "")
    assert empty.status_code == 422
    assert "Enter your user name and password" in empty.text
    nonce = NONCE.search(client.get("/sign-in").text)
    assert nonce is not None
    no_token = client.post("/sign-in", data={"nonce": nonce.group(1), "via": "token"})
    assert no_token.status_code == 422
    assert "Enter your sign-in token" in no_token.text


def test_the_second_factor_page_draws_the_key_as_a_qr_code(app: FastAPI, as_: Client) -> None:
    """An authenticator app scans the otpauth:// address of the key shown beside it."""
    import io
    from urllib.parse import parse_qs, unquote, urlparse

    import segno

    from api.passwords import ISSUER

    login, _ = new_user(app, as_)
    page = signed_in(app, login).get("/account/two-factor")
    secret = SECRET.search(page.text)
    assert secret is not None
    link = re.search(r'href="(otpauth://[^"]+)"', page.text)
    assert link is not None
    uri = link.group(1).replace("&amp;", "&")
    parsed = urlparse(uri)
    assert (parsed.scheme, parsed.netloc) == ("otpauth", "totp")
    assert parse_qs(parsed.query)["secret"] == [secret.group(1)]
    assert parse_qs(parsed.query)["issuer"] == [ISSUER]
    assert unquote(parsed.path).endswith(login)
    drawn = re.search(r"<svg\b.*?</svg>", page.text, re.S)
    assert drawn is not None, "no QR code on the page"
    expected = io.BytesIO()
    segno.make(uri, error="m").save(
        expected, kind="svg", xmldecl=False, svgns=True, scale=5, border=4,
        title="QR code of the key for your authenticator app", svgclass="qr",
    )  # fmt: skip
    assert drawn.group(0) == expected.getvalue().decode().strip()
    assert "<script" not in drawn.group(0)
