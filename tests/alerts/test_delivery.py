"""Mail is a queue of its own: a data run never talks to the mail server, delivery is a
separate step with attempts spread across passes, and no secret leaks anywhere."""

import datetime as dt
import email
import socket
import threading
import time
from email import policy

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter
from sqlalchemy import select

from config import get_settings
from flows.runs import mail, nightly
from tests.alerts.conftest import Mailbox, Server, free_port
from tests.flows.conftest import huizong
from warehouse.models import Alert, Lock, utcnow
from warehouse.store import Warehouse

PASSWORD = "联席办Ü密码-2026!"


class SilentListener:
    """A mail server that accepts connections and never says a word."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.socket.close()
        for connection in self.accepted:
            connection.close()


def _statuses(settings) -> list[tuple[str, int, str]]:
    with Warehouse(settings.warehouse_url).begin() as session:
        return [(a.status, a.attempts, a.last_error)
                for a in session.scalars(select(Alert).order_by(Alert.id))]


def _point_at(monkeypatch, port: int, timeout: float = 2) -> None:
    monkeypatch.setenv("HUIZONG_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("HUIZONG_SMTP_PORT", str(port))
    monkeypatch.setenv("HUIZONG_SMTP_SECURITY", "plain")
    monkeypatch.setenv("HUIZONG_SMTP_TIMEOUT_SECONDS", str(timeout))
    monkeypatch.setenv("HUIZONG_SMTP_RETRY_MINUTES", "[0, 0]")  # due again at once
    get_settings.cache_clear()


def _queue_twenty_undeliverable(settings) -> None:
    """20 mails due now, as a mail server that was down for a while leaves them."""
    with Warehouse(settings.warehouse_url).begin() as session:
        template = session.scalars(select(Alert)).first()
        for _ in range(20):
            session.add(Alert(department_code=template.department_code,
                              recipient=template.recipient, kind="reminder",
                              subject=template.subject, message_path=template.message_path,
                              status="queued"))


def test_a_data_run_never_talks_to_the_mail_server(example_inbox, monkeypatch):
    listener = SilentListener()
    try:
        _point_at(monkeypatch, listener.port, timeout=10)
        settings = get_settings()
        started = time.monotonic()
        nightly("schedule")
        quiet = time.monotonic() - started
        _queue_twenty_undeliverable(settings)
        (example_inbox.inbox_dir / "市委组织部填报表.xlsx").touch()  # something to do
        started = time.monotonic()
        summary = nightly("schedule")
        busy = time.monotonic() - started
        assert listener.accepted == []  # 27 mails queued, not one connection
        assert summary.mails_failed == 0
        print(f"data run: {quiet:.1f} s with 0 mails pending, {busy:.1f} s with 27 pending")
        assert busy < 10  # one hanging connection alone would take 10 s

        started = time.monotonic()
        delivery = mail()
        took = time.monotonic() - started
        # The hanging server costs one timeout per pass, not one per mail.
        assert len(listener.accepted) == 1 and took < 10 + 8
        assert delivery.sent == 0 and delivery.retrying == 27
        assert "没有响应" in delivery.problem_zh
        assert {status for status, _, _ in _statuses(settings)} == {"queued"}
    finally:
        listener.close()


def test_a_refusing_server_costs_no_time_and_mail_goes_once_it_is_back(example_inbox,
                                                                       monkeypatch):
    mailbox, port = Mailbox(), free_port()
    server = Server(mailbox, port)
    _point_at(monkeypatch, port)
    settings = get_settings()
    summary = nightly("schedule")  # the server is down: nothing is attempted here
    assert summary.mails == {"issues": 6, "summary": 1}
    started = time.monotonic()
    first = mail()
    assert time.monotonic() - started < 5
    assert first.retrying == 7 and "连接被拒绝" in first.problem_zh
    assert all(status == "queued" and attempts == 1 and "连接被拒绝" in error
               for status, attempts, error in _statuses(settings))
    # Backoff is measured across passes: with retry waits [0, 0] a third refusal gives up.
    second = mail()
    assert second.retrying == 7, second
    third = mail()
    assert third.failed == 7
    assert {status for status, _, _ in _statuses(settings)} == {"failed"}
    assert mail().sent == 0  # failed mail is not retried by itself

    server.start()
    try:
        done = huizong("send-mail", "--retry-failed")
        assert done.returncode == 0, done.stderr[-2000:]
        assert "已把 7 封发送失败的邮件重新排队" in done.stdout
        assert "已发送 7 封" in done.stdout
        assert len(mailbox.received) == 7
        assert {status for status, _, _ in _statuses(settings)} == {"sent"}
        assert mail().sent == 0 and len(mailbox.received) == 7  # never twice
    finally:
        server.stop()


def test_a_delivery_pass_gives_up_after_its_time_budget(example_inbox, monkeypatch):
    listener = SilentListener()
    mailbox, port = Mailbox(), free_port()
    server = Server(mailbox, port)
    server.start()
    try:
        _point_at(monkeypatch, port)
        monkeypatch.setenv("HUIZONG_MAIL_PASS_SECONDS", "0.000001")
        get_settings.cache_clear()
        nightly("schedule")
        report = mail()
        assert report.sent == 1 and report.left == 6  # the first mail, then out of time
        monkeypatch.delenv("HUIZONG_MAIL_PASS_SECONDS")
        get_settings.cache_clear()
        assert mail().sent == 6
    finally:
        server.stop()
        listener.close()


@pytest.mark.parametrize("given", [PASSWORD, "错误的密码Ø"], ids=["right", "wrong"])
def test_a_non_ascii_password_logs_in_or_fails_without_leaking(example_inbox, monkeypatch,
                                                               given):
    mailbox, port = Mailbox(), free_port()
    server = Server(mailbox, port, password=PASSWORD)
    server.start()
    try:
        _point_at(monkeypatch, port)
        monkeypatch.setenv("HUIZONG_SMTP_USER", "lianxiban")
        monkeypatch.setenv("HUIZONG_SMTP_PASSWORD", given)
        get_settings.cache_clear()
        settings = get_settings()
        ran = huizong("run")
        assert ran.returncode == 0, ran.stderr[-3000:]
        assert server.logins == [given.encode()]
        if given == PASSWORD:
            assert len(mailbox.received) == 7 and "已发送 7 封" in ran.stdout
            return
        assert mailbox.received == []
        assert "邮件服务器拒绝登录（代码 535）" in ran.stdout
        assert {status for status, _, _ in _statuses(settings)} == {"queued"}
        status = huizong("status")
        # Everything a failing login leaves behind: terminal, log files, Prefect's home
        # and result storage, outbox, outputs, the warehouse file, Prefect's logs.
        left_behind = [ran.stdout, ran.stderr, status.stdout, status.stderr]
        for path in settings.root.rglob("*"):
            if path.is_file():
                left_behind.append(path.read_bytes().decode("utf-8", "replace"))
        with get_client(sync_client=True) as client:
            left_behind += [entry.message for entry in client.read_logs(LogFilter())]
        secret_forms = [given, given.encode("unicode_escape").decode(),
                        given.encode().hex()]
        leaks = [form for form in secret_forms for text in left_behind if form in text]
        assert leaks == []
    finally:
        server.stop()


def test_the_office_hears_of_a_crashed_run_and_of_mail_that_never_went(example_inbox):
    settings = get_settings()
    warehouse = Warehouse(settings.warehouse_url)
    warehouse.init()
    dead = warehouse.start_run("schedule")
    silent = utcnow() - dt.timedelta(minutes=5)
    with warehouse.begin() as session:
        session.add(Lock(name="pipeline", holder="old-host:4242:x", run_id=dead,
                         acquired_at=silent, heartbeat_at=silent))
        session.add(Alert(recipient="kejiju@qingyuan.example.gov.cn", kind="issues",
                          subject="上周的问题通知", status="failed", attempts=7,
                          last_error="邮件服务器拒绝登录（代码 535）", message_path=""))
    summary = nightly("schedule")
    assert summary.lines_zh()[0].startswith(f"发现：运行 #{dead}（夜间定时，")
    assert "有 1 封邮件多次重试仍未发出" in "\n".join(summary.lines_zh())
    [office] = [email.message_from_bytes(path.read_bytes(), policy=policy.default)
                for path in settings.outbox_dir.glob("*summary*.eml")]
    text = office.get_body(("plain",)).get_content()
    assert "系统运行情况（无需各单位处理）" in text
    assert f"运行 #{dead}（夜间定时" in text and "异常中断" in text
    assert "kejiju@qingyuan.example.gov.cn 的邮件《上周的问题通知》7 次发送均失败" in text
