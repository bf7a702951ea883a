"""The loop the pipeline is built for, through the office mailbox: alert mailed, the
department replies with the corrected workbook, the answer comes back in its thread.
Real Dovecot, real SMTP (aiosmtpd), the real flows."""

import csv
import datetime as dt
import email
import io
import os
import signal
import subprocess
import sys
import time
from email import policy

import openpyxl
import pytest
from sqlalchemy import func, select

from alerts.stage import run_alerts
from config import PROJECT_ROOT, get_settings
from config.clock import local_now
from flows.runs import mail, mailbox, nightly, open_warehouse
from intake.fetch import fetch_mail
from tests.alerts.conftest import free_port
from tests.alerts.test_delivery import SilentListener
from tests.intake.conftest import DONE, department_mail
from warehouse.models import Alert, MailMessage, Submission

DISABLED = "canlian@qingyuan.example.gov.cn"


def _received(smtp_mailbox, address):
    return [email.message_from_bytes(content, policy=policy.default)
            for _, to, content in smtp_mailbox.received if to == [address]]


def _corrected_reply(issues_mail):
    """What a clerk does: open the annotated workbook, fix the two cells, press reply."""
    attachment = next(issues_mail.iter_attachments())
    workbook = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    workbook["填报表"]["F11"] = 88.5
    workbook["填报表"]["I8"] = 96.5
    fixed = io.BytesIO()
    workbook.save(fixed)
    return department_mail(f"周强 <{DISABLED}>", f"回复：{issues_mail['Subject']}",
                           [(attachment.get_filename(), fixed.getvalue())],
                           answers=issues_mail, text="已按要求修改，请查收。")


@pytest.fixture
def alerted(example_inbox, smtp, office_mailbox):
    """The night's run has mailed 残联 its problems."""
    smtp_mailbox, _ = smtp
    get_settings.cache_clear()
    nightly("schedule")
    mail()
    [issues] = _received(smtp_mailbox, DISABLED)
    assert "需修改" in issues["Subject"]
    return smtp_mailbox, office_mailbox, issues


def test_a_corrected_reply_is_confirmed_in_the_same_thread(alerted):
    smtp_mailbox, dovecot, issues = alerted
    reply = _corrected_reply(issues)
    dovecot.deliver(reply)
    dovecot.deliver(reply)  # delivered twice (two forwarding rules): handled once

    result = mailbox()
    mail()
    assert result.intake.messages == 2 and len(result.intake.saved) == 1
    assert result.run is not None and result.run.loaded
    answers = _received(smtp_mailbox, DISABLED)[1:]
    assert len(answers) == 1
    [answer] = answers
    assert "数据已通过校验" in answer["Subject"] and answer["Subject"].startswith("Re: ")
    assert answer["In-Reply-To"].strip() == reply["Message-ID"].strip()
    assert answer["References"].split() == [issues["Message-ID"].strip(),
                                            reply["Message-ID"].strip()]
    text = answer.get_body(("plain",)).get_content()
    assert "已通过校验" in text and "（共 2 项）" in text
    assert dovecot.messages() == [] and len(dovecot.messages(DONE)) == 2

    warehouse = open_warehouse(get_settings())
    with warehouse.begin() as session:
        outcomes = sorted(session.scalars(select(MailMessage.outcome)))
        answered = session.scalars(select(MailMessage.answered_by_alert_id).where(
            MailMessage.outcome == "saved")).one()
        assert session.get(Alert, answered).message_id == answer["Message-ID"].strip()
    assert outcomes == ["duplicate", "saved"]
    with (get_settings().outputs_dir / "ledger.csv").open(encoding="utf-8-sig") as handle:
        ledger = {row["department"]: row for row in csv.DictReader(handle)}
    # No authserv-id is configured here: the sender is taken, and said to be unverified.
    assert ledger["市残疾人联合会"]["mail_sender"] == f"周强 <{DISABLED}>（发件人未验证）"
    assert ledger["市残疾人联合会"]["mail_sent_at"].endswith("+08:00")
    assert ledger["市教育局"]["mail_sender"] == ""
    assert mailbox().intake.messages == 0  # nothing left, nothing answered twice
    mail()
    assert len(_received(smtp_mailbox, DISABLED)) == 2


def test_a_reply_without_the_workbook_gets_a_short_answer_in_its_thread(alerted):
    smtp_mailbox, dovecot, issues = alerted
    forgot = department_mail(f"周强 <{DISABLED}>", "回复：数据", [("说明.pdf", b"%PDF-1.4")],
                             answers=issues)
    dovecot.deliver(forgot)
    result = mailbox()
    mail()
    assert result.run is None and result.intake.replies == 1
    [answer] = _received(smtp_mailbox, DISABLED)[1:]
    assert answer["In-Reply-To"].strip() == forgot["Message-ID"].strip()
    text = answer.get_body(("plain",)).get_content()
    assert "没有可以处理的填报表" in text and "说明.pdf | 不是表格文件" in text


def test_an_unknown_sender_replying_in_a_thread_is_listed_for_the_office(alerted):
    smtp_mailbox, dovecot, issues = alerted
    dovecot.deliver(department_mail("zhouqiang@163.example.com", "回复：数据",
                                    [("残联.xlsx", b"PK\x03\x04")], answers=issues))
    result = mailbox()
    assert result.run is None and result.intake.unused == 1 and result.intake.replies == 0
    warehouse = open_warehouse(get_settings())
    with warehouse.begin() as session:
        note = session.scalars(select(MailMessage.note_zh)).one()
    assert "zhouqiang@163.example.com 不在单位名录中" in note
    assert "回复的是发给市残疾人联合会的通知" in note
    assert not list(get_settings().inbox_dir.rglob("残联.xlsx"))
    # The office hears of it in its next daily summary.
    run_alerts(warehouse, get_settings(), today=local_now().date() + dt.timedelta(days=1))
    mail()
    summary = _received(smtp_mailbox, "lianxiban@qingyuan.example.gov.cn")[-1]
    text = summary.get_body(("plain",)).get_content()
    assert "邮箱中以下邮件没有可采用的填报表" in text and "zhouqiang@163.example.com" in text


_KILL_AT = {
    "after-commit": "intake.fetch:_final_path",  # recorded, files not yet renamed into place
    "before-filing": "intake.imap:Mailbox.file_away",  # saved, message still in INBOX
}
# A pass in its own process, SIGKILLed (no cleanup of any kind) at the named step.
_DRIVER = """
import functools, importlib, os, signal, sys
from config import get_settings
from flows.runs import open_warehouse
from intake.fetch import fetch_mail
module, _, path = sys.argv[1].partition(":")
*owners, name = path.split(".")
owner = functools.reduce(getattr, owners, importlib.import_module(module))
setattr(owner, name, lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL))
fetch_mail(open_warehouse(get_settings()), get_settings())
"""


@pytest.mark.parametrize("point", sorted(_KILL_AT))
def test_killed_between_saving_and_filing_nothing_is_processed_twice(office_mailbox, point):
    settings = get_settings()
    workbook = (PROJECT_ROOT / "inbox" / "残联填报表.xlsx").read_bytes()
    office_mailbox.deliver(department_mail(DISABLED, "残联数据", [("残联填报表.xlsx", workbook)]))
    killed = subprocess.run([sys.executable, "-c", _DRIVER, _KILL_AT[point]], cwd=PROJECT_ROOT,
                            env={**os.environ}, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert len(office_mailbox.messages()) == 1  # not filed yet

    warehouse = open_warehouse(settings)
    report = fetch_mail(warehouse, settings)
    assert report.messages == 0  # recognised by UID: not handled again
    assert [p.rsplit("/", 1)[-1] for p in report.saved] == ["残联填报表.xlsx"]  # run on it
    assert office_mailbox.messages() == [] and len(office_mailbox.messages(DONE)) == 1
    saved = [p for p in settings.inbox_dir.rglob("*") if p.is_file()]
    assert [p.name for p in saved] == ["残联填报表.xlsx"] and saved[0].read_bytes() == workbook
    with warehouse.begin() as session:
        assert session.scalar(select(func.count()).select_from(MailMessage)) == 1
    summary = nightly("schedule")
    assert summary.files_new == 1
    with warehouse.begin() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 1


def test_a_wrong_password_is_one_chinese_line_without_the_password(office_mailbox,
                                                                   monkeypatch):
    monkeypatch.setenv("HUIZONG_IMAP_PASSWORD", "错误的密码-123")
    get_settings.cache_clear()
    settings = get_settings()
    report = fetch_mail(open_warehouse(settings), settings)
    assert "用户名或密码不正确" in report.problem_zh
    assert "错误的密码" not in report.problem_zh


def test_a_workbook_sent_from_another_departments_address_goes_to_its_owner(alerted):
    smtp_mailbox, dovecot, issues = alerted
    corrected = _corrected_reply(issues)
    attachment = next(corrected.iter_attachments())
    forwarded = department_mail("王芳 <jiaoyuju@qingyuan.example.gov.cn>", "残联的表",
                                [(attachment.get_filename(), attachment.get_content())])
    dovecot.deliver(forwarded)
    mailbox()
    mail()
    [to_edu] = [m for m in _received(smtp_mailbox, "jiaoyuju@qingyuan.example.gov.cn")
                if m["In-Reply-To"]]
    assert to_edu["In-Reply-To"].strip() == forwarded["Message-ID"].strip()
    text = to_edu.get_body(("plain",)).get_content()
    assert "表内“填报单位”是市残疾人联合会，已作为市残疾人联合会的数据处理" in text
    to_disabled = _received(smtp_mailbox, DISABLED)[-1]
    assert to_disabled["In-Reply-To"] is None  # not an answer to anything 残联 sent
    assert "从邮箱收到的文件按发件单位存放" in to_disabled.get_body(("plain",)).get_content()


@pytest.mark.parametrize("server", ["hanging", "closed"])
def test_a_mailbox_that_hangs_or_is_down_costs_the_mailbox_not_the_run(example_inbox,
                                                                      monkeypatch, server):
    listener = SilentListener()
    port = listener.port if server == "hanging" else free_port()
    monkeypatch.setenv("HUIZONG_IMAP_HOST", "127.0.0.1")
    monkeypatch.setenv("HUIZONG_IMAP_PORT", str(port))
    monkeypatch.setenv("HUIZONG_IMAP_SECURITY", "plain")
    monkeypatch.setenv("HUIZONG_IMAP_TIMEOUT_SECONDS", "2")
    get_settings.cache_clear()
    try:
        started = time.monotonic()
        summary = nightly("schedule")
    finally:
        listener.close()
    assert summary.files_new == 9  # the inbox was processed all the same
    said = " ".join(summary.lines_zh())
    assert ("在 2 秒内没有响应" if server == "hanging" else "连接被拒绝") in said
    assert time.monotonic() - started < 60
