"""Turn a composed mail into a message, keep it in the outbox, and send it over SMTP.

Headers are built by the `email` package (RFC 2047 for Chinese names, RFC 2231 for
attachment names); anything from users is stripped of line breaks first, so a file or
department name can never inject a header.
"""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

from alerts.content import Mail
from config import Settings

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
_UNSAFE = re.compile(r"[\r\n\t\x00-\x1f]+")


class MailNotSent(Exception):
    """邮件发送失败，已保存在发件箱，下次运行时重试。"""


def header_safe(text: str) -> str:
    return _UNSAFE.sub(" ", text).strip()


def build_message(mail: Mail, *, sender: tuple[str, str], to: tuple[str, str],
                  attachment: tuple[str, bytes] | None = None) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["Subject"] = header_safe(mail.subject)
    message["From"] = formataddr((header_safe(sender[0]), sender[1]))
    message["To"] = formataddr((header_safe(to[0]), to[1]))
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    message["Message-ID"] = make_msgid(domain=sender[1].rpartition("@")[2] or None)
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    if attachment is not None:
        name, data = attachment
        message.add_attachment(data, *XLSX, filename=header_safe(name).replace("/", "_"))
    return message


def write_eml(outbox: Path, message: EmailMessage, stem: str) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    moment = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    path = outbox / f"{moment}_{re.sub(r'[^0-9A-Za-z_.-]+', '_', stem)}.eml"
    path.write_bytes(message.as_bytes())
    return path


def send(message_bytes: bytes, settings: Settings, recipient: str, sender: str) -> None:
    """Send over SMTP with the configured security, retrying with backoff."""
    delays = [*settings.smtp_retry_delays, None]
    for delay in delays:
        try:
            _send_once(message_bytes, settings, recipient, sender)
            return
        except (OSError, smtplib.SMTPException) as error:
            if delay is None:
                raise MailNotSent(f"{type(error).__name__}: {error}") from error
            time.sleep(delay)


def _send_once(message_bytes: bytes, settings: Settings, recipient: str, sender: str) -> None:
    timeout = settings.smtp_timeout_seconds
    if settings.smtp_security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                                timeout=timeout,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with client:
        if settings.smtp_security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        client.sendmail(sender, [recipient], message_bytes)
