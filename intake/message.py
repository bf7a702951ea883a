"""Read a raw message as a department's mail: who sent it, what it answers, what it brings.

Real mail is messy: headers in GBK or broken RFC 2047, attachments named only in
Content-Type, a body forwarded as message/rfc822. Nothing here raises on a bad message;
what cannot be read is simply absent.
"""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import re
from dataclasses import dataclass, field
from email.message import Message
from email.policy import default as default_policy
from email.utils import getaddresses, parsedate_to_datetime

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True, slots=True)
class IncomingMail:
    key: str  # Message-ID, or a hash of the bytes for a message without one
    message_id: str
    references: tuple[str, ...]  # the thread it answers: References, then In-Reply-To
    sender: str  # address, lower case ("" if none could be read)
    sender_name: str
    subject: str
    sent_at: dt.datetime | None
    parts: list[tuple[str | None, bytes]] = field(default_factory=list)  # (name, bytes)
    # Every Authentication-Results header, and the Received headers, top (newest) first.
    authentication_results: tuple[str, ...] = ()
    received: tuple[str, ...] = ()


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
        return " ".join(str(value).split()) if value is not None else ""
    except Exception:  # a header the email package cannot decode: treat it as absent
        return ""


def _ids(text: str) -> list[str]:
    return _MESSAGE_ID.findall(text)


def parse_mail(raw: bytes) -> IncomingMail:
    message = email.message_from_bytes(raw, policy=default_policy)
    message_id = next(iter(_ids(_header(message, "Message-ID"))), "")
    references = list(dict.fromkeys(
        [*_ids(_header(message, "References")), *_ids(_header(message, "In-Reply-To"))]))
    sender_name, sender = "", ""
    addresses = getaddresses([_header(message, "From")])
    if addresses:
        sender_name, sender = addresses[0][0], addresses[0][1].strip().lower()
    try:
        sent_at = parsedate_to_datetime(_header(message, "Date"))
        sent_at = sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=dt.UTC)
    except (TypeError, ValueError, IndexError):
        sent_at = None
    key = message_id or f"sha256:{hashlib.sha256(raw).hexdigest()}"
    return IncomingMail(key, message_id, tuple(references), sender, sender_name,
                        _header(message, "Subject"), sent_at, list(_files(message)),
                        _all(message, "Authentication-Results"), _all(message, "Received"))


def _all(message: Message, name: str) -> tuple[str, ...]:
    try:
        return tuple(" ".join(str(value).split()) for value in message.get_all(name) or ())
    except Exception:  # an undecodable header counts as absent
        return ()


def _files(message: Message) -> list[tuple[str | None, bytes]]:
    """Every part that is a file: named, or sent as an attachment, or an office document
    without a name (some mail programs drop it)."""
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        try:
            name = part.get_filename()
        except Exception:
            name = None
        disposition = part.get_content_disposition()
        if disposition == "inline" and part.get_content_maintype() == "image":
            continue  # a logo in a signature
        if name is None and disposition != "attachment" and \
                part.get_content_maintype() in ("text", "multipart", "message"):
            continue
        try:
            data = part.get_payload(decode=True) or b""
        except Exception:
            continue
        if name is not None or data:
            found.append((name, data))
    return found
