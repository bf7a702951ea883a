"""Reply arrives in the office mailbox → answer sent, with `huizong serve` running.

    .venv/bin/python -m benchmarks.mail_reply [--replies 5]

A throw-away Dovecot (the office mailbox) and aiosmtpd (the office's outgoing server) on
loopback, a real `huizong serve` with its own Prefect server on a copy of the example
inbox. Once the night's alerts have gone out, the 残联 clerk answers its alert again and
again with a workbook (a different figure each time, so each is a new version); each
reply is timed from its APPEND to the IMAP server until the answer in its thread reaches
the SMTP server. Prints numbers; never fails on time.
"""

from __future__ import annotations

import argparse
import email
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from benchmarks.imap_server import department_mail, dovecot_binary, throwaway_dovecot
from config import PROJECT_ROOT
from flows.deployments import free_port
from samples.example_inbox import corrected_example

DISABLED = "canlian@qingyuan.example.gov.cn"
HUIZONG = Path(sys.executable).with_name("huizong")


class Outgoing:
    """What the office's SMTP server received, in order."""

    def __init__(self) -> None:
        self.messages: list[tuple[float, EmailMessage]] = []

    async def handle_DATA(self, server: object, session: object,  # aiosmtpd's hook name
                          envelope: Envelope) -> str:
        self.messages.append((time.monotonic(), email.message_from_bytes(
            envelope.content, policy=policy.default)))
        return "250 OK"

    def wait(self, matches: Callable[[EmailMessage], bool],
             seconds: float) -> tuple[float, EmailMessage]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for moment, message in list(self.messages):
                if matches(message):
                    return moment, message
            time.sleep(0.02)
        raise TimeoutError("no answer within the time allowed")


def _workbook(figure: float) -> bytes:
    return corrected_example("残联填报表.xlsx", "F11", figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replies", type=int, default=5)
    args = parser.parse_args()
    binary = dovecot_binary()
    if binary is None:
        sys.exit("需要 Dovecot：apt-get install dovecot-imapd")
    outgoing, smtp_port = Outgoing(), free_port()
    smtp = Controller(outgoing, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    root = Path(tempfile.mkdtemp(prefix="huizong-mail-"))
    root.chmod(0o755)  # Dovecot's auth worker, an unprivileged user, reads below it
    shutil.copytree(PROJECT_ROOT / "inbox", root / "inbox")
    try:
        with throwaway_dovecot(root / "var", binary) as mailbox:
            env = {**{k: v for k, v in os.environ.items() if not k.startswith(("HUIZONG_",
                                                                                 "PREFECT_"))},
                   "HUIZONG_ROOT": str(root), "PREFECT_HOME": str(root / "prefect"),
                   "HUIZONG_IMAP_HOST": mailbox.host, "HUIZONG_IMAP_PORT": str(mailbox.port),
                   "HUIZONG_IMAP_SECURITY": "plain", "HUIZONG_IMAP_USER": mailbox.user,
                   "HUIZONG_IMAP_PASSWORD": mailbox.password,
                   "HUIZONG_SMTP_HOST": "127.0.0.1", "HUIZONG_SMTP_PORT": str(smtp_port),
                   "HUIZONG_SMTP_SECURITY": "plain"}
            serve = subprocess.Popen([HUIZONG, "serve", "--port", str(free_port())], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                started = time.monotonic()
                _, alert = outgoing.wait(lambda m: m["To"].addresses[0].addr_spec == DISABLED,
                                         600)
                print(f"serve up, example inbox processed, alert sent  "
                      f"{time.monotonic() - started:7.2f} s")
                timings = []
                for number in range(args.replies):
                    reply = department_mail(DISABLED, f"回复：{alert['Subject']}",
                                            [("残联填报表.xlsx", _workbook(88.5 + number))],
                                            answers=alert)
                    wanted = reply["Message-ID"].strip()
                    sent = time.monotonic()
                    mailbox.deliver(reply)
                    answered, answer = outgoing.wait(
                        lambda m, wanted=wanted: (m["In-Reply-To"] or "").strip() == wanted,
                        120)
                    timings.append(answered - sent)
                    print(f"reply {number + 1} → 《{answer['Subject']}》 "
                          f"{timings[-1]:7.2f} s")
                print(f"reply arrived → answer sent (serve running): median "
                      f"{statistics.median(timings):.2f} s, min {min(timings):.2f} s, "
                      f"max {max(timings):.2f} s over {len(timings)} replies")
            finally:
                serve.send_signal(signal.SIGTERM)
                serve.wait(timeout=30)
    finally:
        smtp.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
