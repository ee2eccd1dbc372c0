"""A local SMTP server for the mail tests (aiosmtpd): what it received, message by message."""

from __future__ import annotations

import contextlib
import email
from collections.abc import Iterator
from email import policy
from typing import Any

from .processes import free_port


class Inbox:
    """What the local SMTP server received: the messages and every envelope recipient."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[str] = []
        self.port = 0
        self.config: dict[str, Any] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.recipients += envelope.rcpt_tos
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@contextlib.contextmanager
def smtp_server() -> Iterator[Inbox]:
    """A server on a free port; ``inbox.config`` are the settings that send to it."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    inbox.config = {"KYODO_SMTP_HOST": "127.0.0.1", "KYODO_SMTP_PORT": controller.port,
                    "KYODO_MAIL_FROM": "kyodo@city.example.jp"}
    try:
        yield inbox
    finally:
        controller.stop()
