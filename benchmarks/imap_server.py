"""A throw-away Dovecot IMAP server on loopback (the distribution's package, a config and
a user written under var/, removed afterwards): the office mailbox of the tests and of
`benchmarks.mail_reply`."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from imapclient import IMAPClient

from flows.deployments import free_port

USER = "lianxiban"
# A government mailbox's password is often not ASCII: IMAP's LOGIN cannot carry it.
PASSWORD = "青源联席办-2026 密码"
DONE = "已处理"
CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = huizong-test-{port}
protocols = imap
listen = 127.0.0.1
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


class Dovecot:
    """The running server, and what the office's mail server does with mail."""

    def __init__(self, root: Path, port: int, process: subprocess.Popen) -> None:
        self.root, self.port, self.process = root, port, process
        self.host, self.user, self.password = "127.0.0.1", USER, PASSWORD

    def client(self) -> IMAPClient:
        client = IMAPClient(self.host, self.port, ssl=False, timeout=10)
        client.plain_login(self.user, self.password)
        return client

    def deliver(self, message: EmailMessage | bytes, folder: str = "INBOX") -> None:
        """What the office's mail server does when a message arrives."""
        raw = message if isinstance(message, bytes) else message.as_bytes()
        with self.client() as client:
            client.append(folder, raw)

    def messages(self, folder: str = "INBOX") -> list[bytes]:
        with self.client() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            return [data[b"BODY[]"] for _, data in
                    sorted(client.fetch(uids, ["BODY.PEEK[]"]).items())] if uids else []

    def empty(self) -> None:
        with self.client() as client:
            for folder in ("INBOX", DONE):
                if client.folder_exists(folder):
                    client.select_folder(folder)
                    uids = client.search("ALL")
                    if uids:
                        client.delete_messages(uids)
                        client.expunge()


class DovecotFailed(Exception):
    """The server did not start; the message has its log."""


def dovecot_binary() -> str | None:
    # Not on a non-root user's PATH on Debian.
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin")


@contextmanager
def throwaway_dovecot(var: Path, binary: str) -> Iterator[Dovecot]:
    var.mkdir(parents=True, exist_ok=True)
    # Short: Dovecot's socket paths must fit in 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="dc-", dir=var))
    root.chmod(0o755)  # Dovecot's unprivileged auth worker reads the user file
    port = free_port()
    if os.geteuid() == 0:
        internal, login, mail_user = "dovecot", "dovenull", "dovenull"
    else:
        internal = login = mail_user = getpass.getuser()
    (root / "mail").mkdir()
    shutil.chown(root / "mail", mail_user)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n", encoding="utf-8")
    (root / "dovecot.conf").write_text(CONFIG.format(
        root=root, port=port, internal=internal, login=login, mail_user=mail_user))
    process = subprocess.Popen([binary, "-F", "-c", str(root / "dovecot.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    log = root / "dovecot.log"
                    raise DovecotFailed(f"Dovecot did not start: {process.stderr.read()!r} "
                                        f"{log.read_text() if log.exists() else ''}") from None
                time.sleep(0.1)
        yield Dovecot(root, port, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)


def department_mail(sender: str, subject: str, attachments: Sequence[tuple[str, bytes]] = (),
                    *, answers: EmailMessage | None = None, text: str = "请查收。",
                    message_id: str | None = None) -> EmailMessage:
    """A message as a department's mail program writes it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "lianxiban@qingyuan.example.gov.cn"
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = message_id or make_msgid(domain="dept.example.cn")
    if answers is not None:
        message["In-Reply-To"] = answers["Message-ID"]
        message["References"] = " ".join(
            filter(None, [answers.get("References", ""), answers["Message-ID"]]))
    message.set_content(text)
    for name, data in attachments:
        message.add_attachment(data, maintype="application", subtype="octet-stream",
                               filename=name)
    return message
