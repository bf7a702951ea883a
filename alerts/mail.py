"""Turn a composed mail into a message and keep it in the outbox (sending is alerts.smtp).

Headers are built by the `email` package (RFC 2047 for Chinese names, RFC 2231 for
attachment names); anything from users is stripped of line breaks first, so a file or
department name can never inject a header.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

from alerts.content import Mail
from config.clock import local_now

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
_UNSAFE = re.compile(r"[\r\n\t\x00-\x1f]+")


def header_safe(text: str) -> str:
    return _UNSAFE.sub(" ", text).strip()


@dataclass(frozen=True, slots=True)
class Thread:
    """The message a mail answers: its Message-ID and the thread before it."""

    message_id: str
    references: tuple[str, ...] = ()


def new_message_id(sender_address: str) -> str:
    """Ours, made once per mail and stored with it, so a reply can be traced back."""
    return make_msgid(idstring="huizong", domain=sender_address.rpartition("@")[2] or None)


def build_message(mail: Mail, *, sender: tuple[str, str], to: tuple[str, str],
                  message_id: str, attachments: Sequence[tuple[str, bytes]] = (),
                  answers: Thread | None = None) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["Subject"] = header_safe(f"Re: {mail.subject}" if answers else mail.subject)
    message["From"] = formataddr((header_safe(sender[0]), sender[1]))
    message["To"] = formataddr((header_safe(to[0]), to[1]))
    message["Date"] = format_datetime(local_now())  # "+0800": what the office's clock says
    message["Message-ID"] = message_id
    if answers is not None and answers.message_id:
        # RFC 5322 §3.6.4: how every mail program puts the answer in the same thread.
        message["In-Reply-To"] = answers.message_id
        message["References"] = " ".join([*answers.references, answers.message_id][-20:])
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    for name, data in attachments:
        message.add_attachment(data, *XLSX, filename=header_safe(name).replace("/", "_"))
    return message


def write_eml(outbox: Path, message: EmailMessage, stem: str) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    moment = local_now().strftime("%Y%m%d-%H%M%S-%f")
    path = outbox / f"{moment}_{re.sub(r'[^0-9A-Za-z_.-]+', '_', stem)}.eml"
    path.write_bytes(message.as_bytes())
    return path
