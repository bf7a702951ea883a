"""One session with the office mailbox: connect with the configured security, log in,
list the messages waiting in the watched folder, fetch one, file it away, wait for more.

Every failure becomes a `MailboxUnavailable` with a Chinese sentence an operator can act
on and nothing secret in it. The login is SASL PLAIN in UTF-8 wherever the server offers
it: IMAP's LOGIN command is ASCII-only, and a password with Chinese characters is
common in a government mailbox.
"""

from __future__ import annotations

import datetime as dt
import imaplib
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from config import Settings
from config.connection import unreachable_zh
from config.secrets import redact

DONE_KEYWORD = "$HuizongDone"
IDLE_SLICE_SECONDS = 0.25
_FAILURES = (IMAPClientError, imaplib.IMAP4.error, OSError, EOFError)


class MailboxUnavailable(Exception):
    """The mailbox could not be reached or used; the message says why, in Chinese."""


@dataclass(frozen=True, slots=True)
class Fetched:
    uid: int
    raw: bytes
    arrived_at: dt.datetime  # INTERNALDATE: when the server received it


class Mailbox:
    def __init__(self, client: IMAPClient, settings: Settings) -> None:
        self.client, self.settings = client, settings
        self.folder = settings.imap_folder
        self.uidvalidity = 0
        self._last_seen: set[int] = set()  # waiting in the folder at the last `wait`

    def select(self) -> None:
        """Open the watched folder and note its UIDVALIDITY (UIDs mean nothing without it)."""
        with self._translated():
            status = self.client.select_folder(self.folder)
        self.uidvalidity = int(status[b"UIDVALIDITY"])

    def uids(self) -> list[int]:
        with self._translated():
            return sorted(self.client.search(["NOT", "KEYWORD", DONE_KEYWORD]))

    def fetch(self, uid: int) -> Fetched | None:
        """The message as sent (not marked read), or None if it is gone meanwhile."""
        with self._translated():
            data = self.client.fetch([uid], ["BODY.PEEK[]", "INTERNALDATE"]).get(uid)
        if not data or b"BODY[]" not in data:
            return None
        arrived = data.get(b"INTERNALDATE") or dt.datetime.now(dt.UTC)
        if arrived.tzinfo is None:
            arrived = arrived.astimezone()
        return Fetched(uid, bytes(data[b"BODY[]"]), arrived.astimezone(dt.UTC))

    def file_away(self, uids: list[int]) -> None:
        """Move handled messages to the done folder; where the server cannot move them,
        flag them so they are never listed again."""
        if not uids:
            return
        done = self.settings.imap_done_folder
        with self._translated():
            if done and not self.client.folder_exists(done):
                self.client.create_folder(done)
            if done and self.client.has_capability("MOVE"):
                self.client.move(uids, done)
                return
            if done and self.client.has_capability("UIDPLUS"):
                self.client.copy(uids, done)
                self.client.delete_messages(uids)
                self.client.uid_expunge(uids)
                return
            self.client.add_flags(uids, [DONE_KEYWORD, b"\\Flagged"])

    def wait(self, seconds: float, stop: threading.Event) -> None:
        """Until something new is in the folder, `seconds` pass, or `stop` is set: IDLE
        where the server has it, a plain wait otherwise (the caller looks again).

        A message that arrived while we were not idling is not announced when IDLE
        starts (seen with Dovecot), so the folder is searched first: anything there that
        was not there at the last look returns at once.
        """
        with self._translated():
            self.client.noop()  # brings this session's view of the folder up to date
            waiting = set(self.uids())
        new, self._last_seen = waiting - self._last_seen, waiting
        if new:
            return
        if not self.client.has_capability("IDLE"):
            stop.wait(seconds)
            return
        deadline = time.monotonic() + seconds
        with self._translated():
            self.client.idle()
            try:
                while not stop.is_set() and time.monotonic() < deadline:
                    if any(kind in (b"EXISTS", b"RECENT") for _, kind, *_ in
                           (r for r in self.client.idle_check(timeout=IDLE_SLICE_SECONDS)
                            if len(r) >= 2)):
                        return
            finally:
                self.client.idle_done()

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except _FAILURES as error:
            raise MailboxUnavailable(problem_zh(error, self.settings)) from None


@contextmanager
def open_mailbox(settings: Settings) -> Iterator[Mailbox]:
    """Connected, logged in and with the folder selected, or MailboxUnavailable."""
    try:
        client = _connect(settings)
    except _FAILURES as error:
        raise MailboxUnavailable(problem_zh(error, settings)) from None
    try:
        try:
            if settings.imap_security == "starttls":
                client.starttls(ssl.create_default_context())
            _login(client, settings)
        except _FAILURES as error:
            raise MailboxUnavailable(problem_zh(error, settings)) from None
        mailbox = Mailbox(client, settings)
        mailbox.select()
        yield mailbox
    finally:
        try:
            client.logout()
        except _FAILURES:
            client.shutdown()


def _connect(settings: Settings) -> IMAPClient:
    return IMAPClient(settings.imap_host, port=settings.imap_port,
                      ssl=settings.imap_security == "ssl",
                      ssl_context=ssl.create_default_context(),
                      timeout=settings.imap_timeout_seconds)


def _login(client: IMAPClient, settings: Settings) -> None:
    user, password = settings.imap_user, settings.imap_password.get_secret_value()
    capabilities = client.capabilities()
    if b"AUTH=PLAIN" in capabilities:
        client.plain_login(user, password)
    elif b"LOGINDISABLED" in capabilities:
        raise _LoginRefused("邮箱服务器要求先加密连接才能登录，请把 HUIZONG_IMAP_SECURITY 设为 "
                            "ssl（端口 993）或 starttls（端口 143）。")
    elif not (user + password).isascii():
        raise _LoginRefused("邮箱服务器不支持 PLAIN 登录方式，无法使用含中文等非英文字符的用户名"
                            "或密码；请联系邮件管理员。")
    else:
        client.login(user, password)


class _LoginRefused(IMAPClientError):
    pass


def problem_zh(error: BaseException, settings: Settings) -> str:
    where = f"{settings.imap_host}:{settings.imap_port}"
    detail = redact(str(error)[:200], settings.imap_user,
                    settings.imap_password.get_secret_value())
    if isinstance(error, _LoginRefused):
        return str(error)
    unreachable = unreachable_zh(error, server="邮箱服务器", setting="HUIZONG_IMAP",
                                 host=settings.imap_host, port=settings.imap_port,
                                 timeout=settings.imap_timeout_seconds)
    if unreachable:
        return unreachable
    if "authenticat" in detail.lower() or "login" in detail.lower():
        return ("邮箱服务器拒绝登录：用户名或密码不正确，请检查 HUIZONG_IMAP_USER 和 "
                "HUIZONG_IMAP_PASSWORD。")
    if "select" in detail.lower() or "mailbox doesn't exist" in detail.lower():
        return f"邮箱中没有文件夹“{settings.imap_folder}”，请检查 HUIZONG_IMAP_FOLDER。"
    if isinstance(error, EOFError | OSError):
        return f"邮箱服务器 {where} 断开了连接，稍后重试。"
    return f"邮箱服务器 {where} 返回错误（{detail}），稍后重试。"
