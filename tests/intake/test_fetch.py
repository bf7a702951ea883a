"""One pass over a real mailbox (Dovecot): what is saved, recorded, answered and filed."""

import email
import io
import threading
import time
import zipfile
from email import policy
from pathlib import Path

import pytest
from imapclient import IMAPClient
from sqlalchemy import select

import intake.fetch as fetch_module
from config import PROJECT_ROOT, get_settings
from flows.runs import open_warehouse
from intake.fetch import OFF_ZH, fetch_mail
from intake.imap import open_mailbox
from tests.flows.conftest import huizong
from tests.intake.conftest import DONE, department_mail
from warehouse.models import Alert, MailAttachment, MailMessage

EDU = "王芳 <jiaoyuju@qingyuan.example.gov.cn>"


def _workbook(name="青源市教育局-近五年青年发展数据（盖章版）.xlsx") -> bytes:
    return (PROJECT_ROOT / "inbox" / name).read_bytes()


def test_a_department_mail_is_saved_into_its_folder_and_filed(office_mailbox):
    project = get_settings()
    data = _workbook()
    office_mailbox.deliver(department_mail(EDU, "教育局数据", [("教育局填报表.xlsx", data)]))
    warehouse = open_warehouse(project)
    report = fetch_mail(warehouse, project)
    assert report.problem_zh == ""
    assert report.messages == 1 and len(report.saved) == 1
    saved = project.inbox_dir / report.saved[0]
    assert saved.read_bytes() == data
    assert saved.parent.parent.name == "市教育局" and saved.name == "教育局填报表.xlsx"
    assert office_mailbox.messages() == [] and len(office_mailbox.messages(DONE)) == 1
    with warehouse.begin() as session:
        mail = session.scalars(select(MailMessage)).one()
        assert (mail.outcome, mail.department_code, mail.sender) == (
            "saved", "edu", "jiaoyuju@qingyuan.example.gov.cn")
        assert mail.filed_at is not None
    assert fetch_mail(warehouse, project).messages == 0


def test_zip_attachments_are_unpacked_with_safe_names(office_mailbox):
    project = get_settings()
    data = _workbook()
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("../../etc/教育局.xlsx", data)
        archive.writestr("说明.docx", b"not a workbook")
        archive.writestr("__MACOSX/._教育局.xlsx", b"resource fork")
    office_mailbox.deliver(department_mail(
        "wangfang.edu@qingyuan.example.gov.cn", "打包", [("数据.zip", packed.getvalue())]))
    warehouse = open_warehouse(project)
    report = fetch_mail(warehouse, project)
    assert [p.rsplit("/", 1)[-1] for p in report.saved] == ["教育局.xlsx"]
    assert all((project.inbox_dir / p).resolve().is_relative_to(project.inbox_dir)
               for p in report.saved)
    with warehouse.begin() as session:
        refused = session.scalars(select(MailAttachment).where(
            MailAttachment.refusal_zh != "")).all()
        assert [a.name for a in refused] == ["数据.zip 中的 说明.docx"]


def test_unknown_sender_and_no_attachment(office_mailbox):
    project = get_settings()
    office_mailbox.deliver(department_mail("someone@example.com", "数据",
                                           [("表.xlsx", _workbook())]))
    office_mailbox.deliver(department_mail(EDU, "忘了附件"))
    warehouse = open_warehouse(project)
    report = fetch_mail(warehouse, project)
    assert report.saved == [] and report.unused == 2 and report.replies == 1
    with warehouse.begin() as session:
        outcomes = dict(session.execute(select(MailMessage.sender, MailMessage.outcome)).all())
        reply = session.scalars(select(Alert)).one()
    assert outcomes == {"someone@example.com": "unknown_sender",
                        "jiaoyuju@qingyuan.example.gov.cn": "no_spreadsheet"}
    assert reply.recipient == "jiaoyuju@qingyuan.example.gov.cn"
    # What the clerk reads: an answer in the thread of 《忘了附件》 saying what is missing.
    answer = email.message_from_bytes(Path(reply.message_path).read_bytes(),
                                      policy=policy.default)
    assert answer["Subject"] == ("Re: 【青源市青年发展数据】市教育局 邮件已收到，"
                                 "但没有可处理的填报表")
    text = answer.get_body(("plain",)).get_content()
    assert text.startswith("王芳同志：您好！已收到贵单位的邮件《忘了附件》，"
                           "但邮件没有附件，数据没有更新。")
    assert answer["In-Reply-To"] and not list(answer.iter_attachments())
    assert not list(project.inbox_dir.rglob("*.xlsx"))
    status = huizong("status")
    assert "已收取 2 封" in status.stdout and "近 7 天没有可采用表格的邮件 2 封" in status.stdout
    assert "someone@example.com《数据》：发件人 someone@example.com 不在单位名录中" in status.stdout


def test_without_a_mailbox_the_run_stays_offline_and_says_so_once(example_inbox, monkeypatch):
    monkeypatch.delenv("HUIZONG_IMAP_HOST", raising=False)
    done = huizong("run")
    assert done.returncode == 0, done.stdout[-2000:]
    log = (example_inbox.log_dir / "huizong.log").read_text(encoding="utf-8")
    assert log.count(OFF_ZH) == 1
    assert "邮箱" not in done.stdout


def test_a_defect_on_one_message_costs_that_message(office_mailbox, monkeypatch):
    project = get_settings()
    real_unpack = fetch_module.unpack

    def broken_for_one(parts, settings):
        if any(name == "触发.xlsx" for name, _ in parts):
            raise RuntimeError("a defect of ours")
        return real_unpack(parts, settings)

    monkeypatch.setattr(fetch_module, "unpack", broken_for_one)
    office_mailbox.deliver(department_mail(EDU, "一", [("触发.xlsx", _workbook())]))
    office_mailbox.deliver(b"\x00\xff\xfe not a message at all \r\n\r\n\x80")
    office_mailbox.deliver(department_mail(EDU, "二", [("教育局.xlsx", _workbook())]))
    warehouse = open_warehouse(project)
    report = fetch_mail(warehouse, project)
    assert report.messages == 3 and len(report.saved) == 1 and report.problem_zh == ""
    assert office_mailbox.messages() == []
    with warehouse.begin() as session:
        outcomes = [m.outcome for m in session.scalars(select(MailMessage)
                                                       .order_by(MailMessage.uid))]
    assert outcomes == ["failed", "unknown_sender", "saved"]
    assert not [p for p in project.inbox_dir.rglob("*") if p.name.endswith(".part")]


def test_fetch_mail_takes_the_mailbox_once_and_runs_on_what_it_saved(office_mailbox):
    office_mailbox.deliver(department_mail(EDU, "教育局数据", [("教育局填报表.xlsx", _workbook())]))
    done = huizong("fetch-mail")
    assert done.returncode == 0, done.stdout[-2000:]
    assert "邮箱：收到 1 封新邮件，保存 1 个表格到收件箱。" in done.stdout
    assert "本次运行（收到邮件）：检查文件 1 个，新文件 1 个，入库版本 1 个" in done.stdout
    again = huizong("fetch-mail")
    assert "邮箱：收到 0 封新邮件" in again.stdout and "本次运行" not in again.stdout


def test_without_idle_the_mailbox_is_looked_at_again_after_the_interval(office_mailbox,
                                                                        monkeypatch):
    settings = get_settings()
    with open_mailbox(settings) as mailbox:
        started = time.monotonic()
        mailbox.wait(0.5, threading.Event())  # nothing arrives: IDLE times out
        assert 0.4 < time.monotonic() - started < 3
        office_mailbox.deliver(department_mail(EDU, "到了"))
        started = time.monotonic()
        mailbox.wait(30, threading.Event())  # IDLE: woken by the arrival it missed
        assert time.monotonic() - started < 3
        monkeypatch.setattr(mailbox.client, "has_capability", lambda name: name != "IDLE")
        started = time.monotonic()
        mailbox.wait(0.5, threading.Event())
        assert 0.4 < time.monotonic() - started < 3


@pytest.mark.parametrize("missing", [("MOVE",), ("MOVE", "UIDPLUS")],
                         ids=["copy-then-expunge", "flag-only"])
def test_a_server_that_cannot_move_still_takes_each_message_once(office_mailbox, monkeypatch,
                                                                missing):
    project = get_settings()
    real = IMAPClient.has_capability
    monkeypatch.setattr(IMAPClient, "has_capability",
                        lambda client, name: name not in missing and real(client, name))
    office_mailbox.deliver(department_mail(EDU, "教育局数据", [("教育局填报表.xlsx", _workbook())]))
    warehouse = open_warehouse(project)
    assert fetch_mail(warehouse, project).messages == 1
    assert fetch_mail(warehouse, project).messages == 0
    left = len(office_mailbox.messages())
    assert left == (1 if "UIDPLUS" in missing else 0)
    assert len(office_mailbox.messages(DONE)) == (0 if "UIDPLUS" in missing else 1)


def test_two_attachments_of_one_name_are_both_kept(office_mailbox):
    project = get_settings()
    first, second = _workbook(), _workbook("科技局填报表.xlsx")
    office_mailbox.deliver(department_mail(EDU, "两份", [("填报表.xlsx", first),
                                                        ("填报表.xlsx", second)]))
    report = fetch_mail(open_warehouse(project), project)
    assert [p.rsplit("/", 1)[-1] for p in report.saved] == ["填报表.xlsx", "填报表（2）.xlsx"]
    assert [(project.inbox_dir / p).read_bytes() for p in report.saved] == [first, second]
