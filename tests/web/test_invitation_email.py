"""An invitation is also emailed when SENDTRAIL_SMTP_URL is set: tested against a small
SMTP server (aiosmtpd) started on 127.0.0.1 on a free port, and stopped afterwards."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from tests.web.world import World, csrf_of, sign_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(  # noqa: N802 (aiosmtpd's handler protocol)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_an_invitation_is_emailed_when_smtp_is_set(
    smtp: tuple[Inbox, int], world: World, app: FastAPI
) -> None:
    inbox, port = smtp
    settings = world.settings.model_copy(
        update={"smtp_url": f"smtp://127.0.0.1:{port}", "smtp_from": "office@example.org"}
    )
    with TestClient(create_app(settings), follow_redirects=False) as admin:
        sign_in(admin, world.tokens["admin"])
        form = admin.get("/admin/users/invite")
        made = admin.post(
            "/admin/users/invite",
            data={
                "csrf": csrf_of(form.text),
                "name": "Robin Example",
                "email": "robin@example.org",
                "role": "practitioner",
            },
        )
    assert made.status_code == 201
    assert "It was also emailed to them" in made.text
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["robin@example.org"]
    assert message["From"] == "office@example.org"
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    link = body.decode().split("http://testserver", 1)[1].split()[0]
    assert f'value="http://testserver{link}"' in made.text  # the same link as shown
    assert TestClient(app).get(link).status_code == 200


def test_an_unreachable_mail_server_leaves_the_link_to_pass_on(world: World) -> None:
    settings = world.settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{free_port()}"})
    with TestClient(create_app(settings), follow_redirects=False) as admin:
        sign_in(admin, world.tokens["admin"])
        form = admin.get("/admin/users/invite")
        made = admin.post(
            "/admin/users/invite",
            data={
                "csrf": csrf_of(form.text),
                "name": "Sky Example",
                "email": "sky@example.org",
                "role": "senco",
            },
        )
    assert made.status_code == 201
    assert "could not be sent" in made.text
    assert 'id="invitation-link"' in made.text
