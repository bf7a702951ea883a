"""A real SMTP server (aiosmtpd) on a loopback port, and the flow fixtures."""

import socket

import pytest
from aiosmtpd.controller import Controller

from tests.flows.conftest import example_inbox, prefect_server, project  # noqa: F401


class Mailbox:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """An SMTP server that a test can take down and bring back on the same port."""

    def __init__(self, mailbox: Mailbox, port: int) -> None:
        self.mailbox, self.port, self.controller = mailbox, port, None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(monkeypatch):
    """Settings point at a live SMTP server; yields (mailbox, server)."""
    mailbox, port = Mailbox(), free_port()
    controller = Server(mailbox, port)
    controller.start()
    monkeypatch.setenv("HUIZONG_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("HUIZONG_SMTP_PORT", str(port))
    monkeypatch.setenv("HUIZONG_SMTP_SECURITY", "plain")
    monkeypatch.setenv("HUIZONG_SMTP_RETRY_DELAYS", "[0.1]")
    monkeypatch.setenv("HUIZONG_SMTP_TIMEOUT_SECONDS", "5")
    yield mailbox, controller
    controller.stop()
