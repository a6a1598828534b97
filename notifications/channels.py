"""How notifications reach people: SMTP when configured, otherwise only stored and logged."""

import logging
import smtplib
from collections.abc import Sequence
from email.message import EmailMessage
from typing import NamedTuple

from nameko.extensions import DependencyProvider

log = logging.getLogger(__name__)


class RecipientUnknown(Exception):
    """No address for the user yet (its user_registered not seen): the event is retried, then
    dead-lettered, and can be replayed once the address is known."""


class Attachment(NamedTuple):
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


class LogChannel:
    name = "log"
    carries_attachments = False  # nothing to attach them to: they are never fetched

    def deliver(self, user_id: str, address: str | None, subject: str, body: str,
                attachments: Sequence[Attachment] = ()) -> None:
        log.info("notification for %s <%s>: %s", user_id, address or "-", subject)


class SmtpChannel:
    name = "smtp"
    carries_attachments = True

    def __init__(self, host: str, port: int, sender: str, username: str = "", password: str = "",
                 starttls: bool = False, timeout: float = 10):
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls, self.timeout = username, password, starttls, timeout

    def deliver(self, user_id: str, address: str | None, subject: str, body: str,
                attachments: Sequence[Attachment] = ()) -> None:
        if not address:
            raise RecipientUnknown(f"No email address known for user {user_id}.")
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, address, subject
        message.set_content(body)
        for attachment in attachments:
            maintype, subtype = attachment.mime_type.split("/")
            message.add_attachment(attachment.content, maintype=maintype, subtype=subtype,
                                   filename=attachment.filename)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


def channel_from_config(config: dict) -> LogChannel | SmtpChannel:
    settings = config.get("NOTIFICATIONS") or {}
    if not settings.get("SMTP_HOST"):
        return LogChannel()
    return SmtpChannel(
        host=str(settings["SMTP_HOST"]),
        port=int(settings.get("SMTP_PORT") or 25),
        sender=str(settings.get("SMTP_SENDER") or "oms@localhost"),
        username=str(settings.get("SMTP_USERNAME") or ""),
        password=str(settings.get("SMTP_PASSWORD") or ""),
        starttls=str(settings.get("SMTP_STARTTLS")).lower() in ("true", "1", "yes"),
    )


class Channel(DependencyProvider):
    def setup(self):
        self.channel = channel_from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.channel
