"""Sending e-mail through the server SMTP_URL names: the one place that speaks SMTP.

smtp://host:port (plain), smtp+starttls://user:pass@host:587 (upgraded with STARTTLS) or
smtps://user:pass@host:465 (TLS from the start). Messages are UTF-8 text; headers with
Vietnamese are encoded by the email package."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

TIMEOUT_SECONDS = 30
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class MailError(RuntimeError):
    """The mail server could not be reached or refused the message."""


def text_message(sender: str, recipients: list[str], subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(str(Address(addr_spec=r)) for r in recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body, charset="utf-8")
    return message


class Mailer:
    """One connection to the SMTP server for a batch of messages (`with Mailer(url) as m`)."""

    def __init__(self, url: str):
        self.parts = urlsplit(url)
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        parts = self.parts
        port = parts.port or DEFAULT_PORTS[parts.scheme]
        try:
            if parts.scheme == "smtps":
                connection: smtplib.SMTP = smtplib.SMTP_SSL(parts.hostname or "", port, timeout=TIMEOUT_SECONDS,
                                                            context=ssl.create_default_context())
            else:
                connection = smtplib.SMTP(parts.hostname or "", port, timeout=TIMEOUT_SECONDS)
                if parts.scheme == "smtp+starttls":
                    connection.starttls(context=ssl.create_default_context())
            if parts.username:
                connection.login(unquote(parts.username), unquote(parts.password or ""))
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"cannot use the mail server {parts.hostname}:{port}: {exc}") from exc
        self.connection = connection
        return self

    def send(self, message: EmailMessage) -> None:
        if self.connection is None:
            raise MailError("not connected: use the Mailer in a with block")
        try:
            self.connection.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"the mail server refused the message to {message['To']}: {exc}") from exc

    def __exit__(self, *exc_info) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.connection.quit()
            self.connection = None
