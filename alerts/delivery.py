"""Deliver queued mail: its own step, never inside a data run and never under its lock.

One pass opens one SMTP session and sends what is due. A mail the server refuses is tried
again after the next wait of `smtp_retry_minutes` (measured across passes, not slept), and
is `failed` after the last; a server that is down or hangs ends the pass after one
timeout and every due mail waits for its next attempt. Two passes never run at once
(their own lock), so nothing is sent twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from alerts.smtp import MailNotSent, smtp_session
from config import Settings
from warehouse.alert_state import due_for_delivery, mark_attempt_failed, mark_sent
from warehouse.models import utcnow
from warehouse.run_lock import RunLock, WarehouseBusy
from warehouse.store import Warehouse

MAIL_LOCK = "mail"
log = logging.getLogger(__name__)


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0  # attempted, will be tried again later
    failed: int = 0  # gave up after the last attempt
    left: int = 0  # due but not attempted (the pass ran out of time)
    skipped_zh: str = ""  # why nothing was attempted
    problem_zh: str = ""  # the server's problem, if it had one

    def lines_zh(self) -> list[str]:
        if self.skipped_zh:
            return [self.skipped_zh]
        lines = [f"邮件投递：已发送 {self.sent} 封"
                 + (f"，{self.retrying} 封稍后自动重试" if self.retrying else "")
                 + (f"，{self.failed} 封多次重试仍失败（见 huizong status）" if self.failed else "")
                 + (f"，{self.left} 封留待下次" if self.left else "") + "。"]
        if self.problem_zh:
            lines.append(f"邮件服务器问题：{self.problem_zh}")
        return lines


def deliver_queued(warehouse: Warehouse, settings: Settings,
                   now: dt.datetime | None = None) -> DeliveryReport:
    if not settings.smtp_host:
        return DeliveryReport(
            skipped_zh="未配置邮件服务器（HUIZONG_SMTP_HOST），邮件只保存在发件箱。")
    lock = RunLock(warehouse.engine, stale_after=settings.lock_stale_seconds, name=MAIL_LOCK)
    try:
        lock.acquire(0)
    except WarehouseBusy:
        return DeliveryReport(skipped_zh="另一个邮件投递正在进行，本次跳过。")
    try:
        report = _pass(warehouse, settings, now or utcnow())
    finally:
        lock.release()
    if report.sent or report.retrying or report.failed:
        log.info("%s", " ".join(report.lines_zh()))
    return report


def _pass(warehouse: Warehouse, settings: Settings, now: dt.datetime) -> DeliveryReport:
    report = DeliveryReport()
    with warehouse.begin() as session:
        due = [(a.id, a.recipient, a.message_path) for a in due_for_delivery(session, now)]
    if not due:
        return report
    sender = settings.mail_from or str(warehouse.registry.office.email)
    deadline = time.monotonic() + settings.mail_pass_seconds
    done = 0
    try:
        with smtp_session(settings) as smtp:
            for alert_id, recipient, path in due:
                try:
                    smtp.send(Path(path).read_bytes(), sender, recipient)
                except FileNotFoundError:
                    _attempt_failed(warehouse, settings, report, alert_id,
                                    f"发件箱中的邮件文件 {Path(path).name} 不见了，无法发送。",
                                    final=True)
                except MailNotSent as error:
                    if error.server_down:
                        raise
                    _attempt_failed(warehouse, settings, report, alert_id, str(error))
                else:
                    with warehouse.begin() as session:
                        mark_sent(session, alert_id)
                    report.sent += 1
                done += 1
                if time.monotonic() > deadline:
                    break
    except MailNotSent as error:
        report.problem_zh = str(error)
        log.warning("邮件服务器问题：%s", error)
        # The server is the problem, not the mail: every mail still due waits its turn.
        for alert_id, _, _ in due[done:]:
            _attempt_failed(warehouse, settings, report, alert_id, str(error))
        return report
    report.left = len(due) - done
    return report


def _attempt_failed(warehouse: Warehouse, settings: Settings, report: DeliveryReport,
                    alert_id: int, error: str, *, final: bool = False) -> None:
    with warehouse.begin() as session:
        gave_up = mark_attempt_failed(session, alert_id, error, settings.smtp_retry_minutes,
                                      final=final)
    report.failed += gave_up
    report.retrying += not gave_up
