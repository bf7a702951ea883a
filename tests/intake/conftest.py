"""A real IMAP server (Dovecot from the distribution) on loopback, with a throw-away
configuration and user under var/, started once per session and emptied per test."""

import os

import pytest

from benchmarks.imap_server import DONE, department_mail, dovecot_binary, throwaway_dovecot
from config import PROJECT_ROOT
from tests.alerts.conftest import smtp  # noqa: F401
from tests.flows.conftest import example_inbox, prefect_server, project  # noqa: F401

__all__ = ["DONE", "department_mail"]


@pytest.fixture(scope="session")
def dovecot():
    binary = dovecot_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("CI must provide Dovecot (.ci/run installs dovecot-imapd)")
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    with throwaway_dovecot(PROJECT_ROOT / "var", binary) as server:
        yield server


@pytest.fixture
def office_mailbox(dovecot, project, monkeypatch):  # noqa: F811 - the fixture, imported
    """Settings point at the live IMAP server, whose mailbox starts empty."""
    dovecot.empty()
    monkeypatch.setenv("HUIZONG_IMAP_HOST", dovecot.host)
    monkeypatch.setenv("HUIZONG_IMAP_PORT", str(dovecot.port))
    monkeypatch.setenv("HUIZONG_IMAP_SECURITY", "plain")
    monkeypatch.setenv("HUIZONG_IMAP_USER", dovecot.user)
    monkeypatch.setenv("HUIZONG_IMAP_PASSWORD", dovecot.password)
    monkeypatch.setenv("HUIZONG_IMAP_TIMEOUT_SECONDS", "10")
    from config import get_settings

    get_settings.cache_clear()
    yield dovecot
    get_settings.cache_clear()
