"""Alerts end to end: the real flow, a real SMTP server, messages parsed back."""

import email
import io
from email import policy

import openpyxl

from alerts.content import Mail
from alerts.mail import build_message
from config import get_settings
from flows.runs import mail, nightly, open_warehouse
from tests.alerts.facts import (
    assert_issue_mails_tell_the_facts,
    assert_summary_lists_the_reports_doubts,
    assert_summary_tells_the_ledger,
)

PREFIX = "【青源市青年发展数据】"


def _parsed(mailbox):
    return [(to, email.message_from_bytes(content, policy=policy.default))
            for _, to, content in mailbox.received]


def _for(messages, address):
    return [m for to, m in messages if to == [address]]


def _night():
    """What `huizong run` does: the data run, then delivery outside it."""
    summary = nightly("schedule")
    mail()
    return summary


def _fresh_settings(project):
    get_settings.cache_clear()
    return get_settings()


def test_each_department_hears_its_problems_with_its_workbook_annotated(example_inbox, smtp,
                                                                      figures):
    mailbox, _ = smtp
    _fresh_settings(example_inbox)
    summary = _night()
    assert summary.mails == {"issues": 6, "summary": 1} and summary.mails_failed == 0
    messages = _parsed(mailbox)
    assert len(messages) == 7
    [edu] = _for(messages, "jiaoyuju@qingyuan.example.gov.cn")
    assert edu["Subject"] == f"{PREFIX}市教育局 填报数据需修改（1项错误，1项提醒）"
    assert edu["From"] == "青源市青年工作联席会议办公室 <lianxiban@qingyuan.example.gov.cn>"
    text = edu.get_body(("plain",)).get_content()
    html = edu.get_body(("html",)).get_content()
    assert text.startswith("王芳同志：您好！")
    total = int(figures[("edu.disabled_children.total", 2024)])
    regular = total + 120  # the example inbox's planted error
    # I9 (the total) is named too: its value was not taken either.
    error_row = (f"错误 | Sheet1!I10、Sheet1!I9 | 普通学校随班就读残疾儿童人数 | 2024 | "
                 f"{regular} | "
                 f"「普通学校随班就读残疾儿童人数」2024年填报{regular:,}人，超过同年"
                 f"「义务教育阶段残疾儿童人数」{total:,}人 | 请核对两项数据。")
    assert error_row in text
    assert text.index("错误 |") < text.index("提醒 |")  # errors first
    assert "2026年12月15日" in text and ">Sheet1!I10、Sheet1!I9</td>" in html
    [attachment] = list(edu.iter_attachments())
    assert attachment.get_filename() == (
        "青源市教育局-近五年青年发展数据（盖章版）（问题已标注）.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    assert workbook.sheetnames[0] == "问题清单"
    issues_sheet = workbook["问题清单"]
    places = [c.value for c in issues_sheet["C"][1:]]
    assert places[:2] == ["Sheet1!I9", "Sheet1!I10"]  # the error's two cells, in sheet order
    assert issues_sheet["C3"].hyperlink.location == "'Sheet1'!I10"
    data = workbook["Sheet1"]
    assert data["I10"].fill.fgColor.rgb == "00FFC7CE"  # red: error
    assert data["I12"].fill.fgColor.rgb == "00FFEB9C"  # yellow: warning
    assert data["I10"].comment.text.startswith("【错误】Sheet1!I10")
    assert data["I9"].fill.fgColor.rgb == "00FFC7CE" and "I10" in data["I9"].comment.text
    [office] = _for(messages, "lianxiban@qingyuan.example.gov.cn")
    assert office["Subject"].startswith(f"{PREFIX}报送情况日报")
    assert "市残疾人联合会 | 45 | 43 | 2 | 0 | 待修改" in office.get_body(("plain",)).get_content()
    # The outbox keeps every message as .eml; each says exactly what the warehouse holds.
    assert len(list(example_inbox.outbox_dir.glob("*.eml"))) == 7
    warehouse = open_warehouse(example_inbox)
    assert_issue_mails_tell_the_facts(warehouse, example_inbox.outbox_dir)
    assert_summary_tells_the_ledger(example_inbox.outbox_dir,
                                    example_inbox.outputs_dir / "ledger.csv")
    assert_summary_lists_the_reports_doubts(example_inbox.outbox_dir,
                                            example_inbox.outputs_dir / "report.md")


def test_no_spam_what_changed_and_confirmation(example_inbox, smtp):
    mailbox, _ = smtp
    _fresh_settings(example_inbox)
    disabled = "canlian@qingyuan.example.gov.cn"
    _night()
    assert len(_for(_parsed(mailbox), disabled)) == 1
    _night()
    assert len(_for(_parsed(mailbox), disabled)) == 1  # same open issues: not re-sent

    source = example_inbox.inbox_dir / "残联填报表.xlsx"
    workbook = openpyxl.load_workbook(source)
    workbook["填报表"]["F11"] = 88.5
    workbook.save(example_inbox.inbox_dir / "残联填报表_改1.xlsx")
    _night()
    mails = _for(_parsed(mailbox), disabled)
    assert len(mails) == 2
    text = mails[-1].get_body(("plain",)).get_content()
    assert mails[-1]["Subject"] == f"{PREFIX}市残疾人联合会 填报数据需修改（1项错误）"
    assert "与上一版相比，本次修改了 1 个单元格，解决了 1 项问题。" in text
    assert "填报表!F11 | 康复救助经费 | 2022 | 见附件 | 88.5" in text
    assert "已解决：填报表!F11 「康复救助经费」2022年填写的“见附件”不是数字" in text

    workbook["填报表"]["I8"] = 96.5
    workbook.save(example_inbox.inbox_dir / "残联填报表_改2.xlsx")
    _night()
    mails = _for(_parsed(mailbox), disabled)
    assert len(mails) == 3
    assert mails[-1]["Subject"] == f"{PREFIX}市残疾人联合会 数据已通过校验"
    confirmation = mails[-1].get_body(("plain",)).get_content()
    assert "（共 1 项）" in confirmation and "已解决：填报表!I8 " in confirmation
    assert "请核对" not in confirmation and "请改正" not in confirmation  # fixed, not asked
    _night()
    assert len(_for(_parsed(mailbox), disabled)) == 3  # the confirmation goes once


def test_a_department_that_never_submitted_is_reminded_once_a_day(example_inbox, smtp):
    mailbox, _ = smtp
    _fresh_settings(example_inbox)
    (example_inbox.inbox_dir / "市委组织部填报表.xlsx").unlink()
    _night()
    [reminder] = _for(_parsed(mailbox), "zuzhibu@qingyuan.example.gov.cn")
    # 截止12月15日 before the deadline, 已逾期12月15日 after it.
    assert reminder["Subject"].startswith(f"{PREFIX}市委组织部 请尽快报送数据（")
    assert reminder["Subject"].endswith("12月15日）")
    text = reminder.get_body(("plain",)).get_content()
    assert "贵单位尚未报送青年发展数据" in text
    assert "2021 | 绿色通道回乡就业青年人数" in text
    _night()
    assert len(_for(_parsed(mailbox), "zuzhibu@qingyuan.example.gov.cn")) == 1


def test_user_text_never_breaks_headers():
    mail = Mail("标题\r\nBcc: victim@example.com", "正文", "<p>正文</p>")
    message = build_message(mail, sender=("联席办", "office@example.com"),
                            to=("市教育局\nX-Evil: 1", "edu@example.com"),
                            message_id="<1.huizong@example.com>",
                            attachments=[("恶意\r\n名.xlsx", b"data")])
    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None
    assert parsed["Subject"] == "标题 Bcc: victim@example.com"
    assert b"=?utf-8?" in message.as_bytes()  # RFC 2047 encoded Chinese
    assert next(parsed.iter_attachments()).get_filename() == "恶意 名.xlsx"


def test_an_encrypted_file_in_a_department_folder_is_explained_to_that_department(
        example_inbox, smtp, corpus, tmp_path):
    from samples.corpus import write_hostile

    mailbox, _ = smtp
    _fresh_settings(example_inbox)
    _night()
    hostile = write_hostile(tmp_path / "hostile", corpus.filled_template("edu", "e.xlsx").path)
    folder = example_inbox.inbox_dir / "教育局"
    folder.mkdir()
    (folder / "加密的表格.xlsx").write_bytes(hostile["file_encrypted"].read_bytes())
    _night()
    mails = _for(_parsed(mailbox), "jiaoyuju@qingyuan.example.gov.cn")
    assert len(mails) == 2
    text = mails[-1].get_body(("plain",)).get_content()
    assert ("错误 | 《加密的表格.xlsx》整个文件 |  |  |  | 文件已加密，请取消密码后重新提交。"
            in text)
    # A file the reader could not open is never re-opened to annotate it; the good
    # workbook beside it still has its open problems, and is attached marked.
    [attached] = [a.get_filename() for a in mails[-1].iter_attachments()]
    assert attached == "青源市教育局-近五年青年发展数据（盖章版）（问题已标注）.xlsx"
    assert "《加密的表格.xlsx》无法读取其中的数据，因此没有附上标注后的副本" in text
    assert f"《{attached}》，问题单元格已标红" in text
