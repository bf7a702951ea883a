"""A real SMTP server (aiosmtpd) on a loopback port, and the flow fixtures."""

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

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
    """An SMTP server that a test can take down and bring back on the same port; with
    `password` it requires a login (any user) with exactly that password."""

    def __init__(self, mailbox: Mailbox, port: int, password: str | None = None) -> None:
        self.mailbox, self.port, self.controller = mailbox, port, None
        self.password = password
        self.logins: list[bytes] = []

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append(auth_data.password)
        return AuthResult(success=auth_data.password == self.password.encode(), handled=False)

    def start(self) -> None:
        extra = {} if self.password is None else {
            "authenticator": self._authenticate, "auth_require_tls": False,
            "auth_required": True}
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port,
                                     **extra)
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
    monkeypatch.setenv("HUIZONG_SMTP_RETRY_MINUTES", "[0, 0]")
    monkeypatch.setenv("HUIZONG_SMTP_TIMEOUT_SECONDS", "5")
    yield mailbox, controller
    controller.stop()
