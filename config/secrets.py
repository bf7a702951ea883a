"""Keep a password out of everything we store or log."""

from __future__ import annotations

import base64


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def redact(text: str, user: str, secret: str) -> str:
    """Belt and braces: whatever a server or a library wrote, no form of the password
    (plain, base64, inside a SASL PLAIN response, escaped) survives."""
    if not secret:
        return text
    for form in (secret, b64(secret.encode()),
                 b64(b"\0" + user.encode() + b"\0" + secret.encode()), repr(secret)[1:-1]):
        text = text.replace(form, "******")
    return text
