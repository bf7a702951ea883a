"""One SMTP session: connect with the configured security, log in, send messages.

Every failure becomes a `MailNotSent` with a Chinese sentence an operator can act on and
nothing secret in it. The login is ours, not smtplib's: smtplib encodes credentials as
ASCII and its `UnicodeEncodeError` carries the password in its message; RFC 4616 (PLAIN)
and the LOGIN mechanism both allow UTF-8, which is what mail servers expect.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from config import Settings
from config.connection import unreachable_zh
from config.secrets import b64 as _b64
from config.secrets import redact as redact_secret


class MailNotSent(Exception):
    """A message (or the whole session, when `server_down`) could not be delivered."""

    def __init__(self, message_zh: str, *, server_down: bool) -> None:
        super().__init__(message_zh)
        self.server_down = server_down


def redact(text: str, settings: Settings) -> str:
    return redact_secret(text, settings.smtp_user, settings.smtp_password.get_secret_value())


class SmtpSession:
    def __init__(self, client: smtplib.SMTP, settings: Settings) -> None:
        self.client, self.settings = client, settings

    def send(self, message: bytes, sender: str, recipient: str) -> None:
        try:
            self.client.sendmail(sender, [recipient], message)
        except smtplib.SMTPRecipientsRefused:
            raise MailNotSent(f"邮件服务器拒收收件人地址 {recipient}，请核对单位名录中的邮箱。",
                              server_down=False) from None
        except smtplib.SMTPSenderRefused as error:
            raise MailNotSent(f"邮件服务器拒绝发件人地址 {sender}（代码 {error.smtp_code}），"
                              "请核对 HUIZONG_MAIL_FROM。", server_down=True) from None
        except smtplib.SMTPDataError as error:
            raise MailNotSent(f"邮件服务器拒收这封邮件（代码 {error.smtp_code}："
                              f"{_reply_text(error.smtp_error, self.settings)}）。",
                              server_down=False) from None
        except (smtplib.SMTPException, OSError) as error:
            raise MailNotSent(_connection_problem(error, self.settings),
                              server_down=True) from None


@contextmanager
def smtp_session(settings: Settings) -> Iterator[SmtpSession]:
    """Connected and logged in, or MailNotSent(server_down=True)."""
    try:
        client = _connect(settings)
    except (smtplib.SMTPException, OSError) as error:
        raise MailNotSent(_connection_problem(error, settings), server_down=True) from None
    try:
        try:
            if settings.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                _login(client, settings)
        except (smtplib.SMTPException, OSError) as error:
            raise MailNotSent(_connection_problem(error, settings), server_down=True) from None
        yield SmtpSession(client, settings)
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


def _connect(settings: Settings) -> smtplib.SMTP:
    timeout = settings.smtp_timeout_seconds
    if settings.smtp_security == "ssl":
        return smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout,
                                context=ssl.create_default_context())
    return smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)


def _login(client: smtplib.SMTP, settings: Settings) -> None:
    client.ehlo_or_helo_if_needed()
    if not client.has_extn("auth"):
        raise _LoginRefused("邮件服务器不支持登录（未提供 AUTH），请检查 HUIZONG_SMTP_SECURITY "
                            "是否应为 starttls 或 ssl，或去掉 HUIZONG_SMTP_USER。")
    methods = client.esmtp_features["auth"].upper().split()
    user = settings.smtp_user.encode()
    password = settings.smtp_password.get_secret_value().encode()
    if "PLAIN" in methods:
        code, _ = client.docmd("AUTH", "PLAIN " + _b64(b"\0" + user + b"\0" + password))
    elif "LOGIN" in methods:
        code, _ = client.docmd("AUTH", "LOGIN " + _b64(user))
        if code == 334:
            code, _ = client.docmd(_b64(password))
    else:
        raise _LoginRefused(f"邮件服务器只支持 {' '.join(methods)} 登录方式，本程序支持 PLAIN "
                            "和 LOGIN，请联系邮件管理员。")
    if code != 235:
        raise _LoginRefused(f"邮件服务器拒绝登录（代码 {code}）：用户名或密码不正确，"
                            "请检查 HUIZONG_SMTP_USER 和 HUIZONG_SMTP_PASSWORD。")


class _LoginRefused(smtplib.SMTPException):
    pass


def _reply_text(reply: bytes | str, settings: Settings) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return redact(text.strip()[:200], settings)


def _connection_problem(error: BaseException, settings: Settings) -> str:
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    if isinstance(error, _LoginRefused):
        return str(error)
    unreachable = unreachable_zh(error, server="邮件服务器", setting="HUIZONG_SMTP",
                                 host=settings.smtp_host, port=settings.smtp_port,
                                 timeout=settings.smtp_timeout_seconds)
    if unreachable:
        return unreachable
    if isinstance(error, smtplib.SMTPResponseException):
        return (f"邮件服务器 {where} 返回错误（代码 {error.smtp_code}："
                f"{_reply_text(error.smtp_error, settings)}）。")
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"邮件服务器 {where} 断开了连接，稍后重试。"
    return f"与邮件服务器 {where} 通信失败（{type(error).__name__}），稍后重试。"
