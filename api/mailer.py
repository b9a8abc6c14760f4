"""Sending an invitation link by email, when SENDTRAIL_SMTP_URL is set (stdlib smtplib).

smtp://[user:password@]host[:port] sends in clear (a relay on the same host or network),
smtp+starttls://... upgrades with STARTTLS, smtps://... uses TLS from the start. Nothing
about the message (address, name, link) is logged; a failure is reported to the admin,
who still has the link to pass on.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

TIMEOUT = 10


class MailError(Exception):
    """The message could not be handed to the mail server."""


def send_invitation(smtp_url: str, sender: str, to: str, name: str, link: str) -> None:
    """Hand the invitation to the SMTP server of `smtp_url` (MailError if it refuses)."""
    parts = urlsplit(smtp_url)
    if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
        raise MailError("SENDTRAIL_SMTP_URL must be smtp://, smtp+starttls:// or smtps://")
    message = EmailMessage()
    message["Subject"] = "Your invitation to sendtrail"
    message["From"] = sender
    message["To"] = to
    message.set_content(
        f"Hello {name},\n\n"
        "You have been invited to sign in to sendtrail. Open this link to choose your "
        "user name and password (it works once, for 7 days):\n\n"
        f"{link}\n\n"
        "If you did not expect this, you can ignore this message.\n"
    )
    try:
        if parts.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                parts.hostname,
                parts.port or 465,
                timeout=TIMEOUT,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=TIMEOUT)
        with client:
            if parts.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(type(error).__name__) from None
