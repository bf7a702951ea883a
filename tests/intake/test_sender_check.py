"""Only a department speaks for itself (issue 26), against the real Dovecot: a message in
科技局's name is judged by the office's own server's Authentication-Results only; a
forged one is never loaded and both the office and the real department are told; an
authentic one is loaded and answered in its thread; an unverifiable one is held (and
released by the office's decision) or taken and marked, as the office chose."""

import email
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from config import get_settings
from console.app import create_app
from flows.runs import open_warehouse
from intake.fetch import fetch_mail
from pipeline.review import Review
from samples.example_inbox import corrected_example
from tests.console.conftest import PASSWORDS, login
from tests.flows.conftest import huizong
from tests.intake.conftest import department_mail
from warehouse.accounts import add_user
from warehouse.models import AcceptedValue, Alert, MailMessage

AUTHSERV = "mx.qingyuan.example.gov.cn"
SCIENCE = "市科学技术局 <kejiju@qingyuan.example.gov.cn>"
DISPATCHED = "science.tech_envoys.dispatched"
FORGED_HOP = (f"from mail.attacker.example (mail.attacker.example [203.0.113.9]) by {AUTHSERV} "
              "with ESMTPS id 4Qx; Tue, 01 Dec 2026 09:12:01 +0800")
OWN_HOP = (f"from mail.qingyuan.example.gov.cn (mail.qingyuan.example.gov.cn [198.51.100.7]) "
           f"by {AUTHSERV} with ESMTPS id 5Rz; Tue, 01 Dec 2026 09:15:44 +0800")
FAILED = (f"{AUTHSERV}; spf=fail (sender IP is 203.0.113.9) "
          "smtp.mailfrom=kejiju@qingyuan.example.gov.cn; dkim=none; "
          "dmarc=fail (p=QUARANTINE) header.from=qingyuan.example.gov.cn")
PASSED = (f"{AUTHSERV}; spf=pass smtp.mailfrom=kejiju@qingyuan.example.gov.cn; "
          "dkim=pass header.d=qingyuan.example.gov.cn header.s=mail; "
          "dmarc=pass header.from=qingyuan.example.gov.cn")


def _arriving(headers: list[tuple[str, str]], value: int = 30, subject: str = "科技局数据更正",
              name: str = "科技局-更正.xlsx") -> bytes:
    """科技局's workbook with 2025 retyped, as the office's server stores it: the server's
    own headers on top (the topmost Received is its own)."""
    message = department_mail(SCIENCE, subject,
                              [(name, corrected_example("科技局填报表.xlsx", "I5", value))])
    top = "".join(f"{header}: {text}\r\n" for header, text in headers)
    return top.encode() + message.as_bytes()


@pytest.fixture
def verifying(office_mailbox, monkeypatch):
    monkeypatch.setenv("HUIZONG_IMAP_AUTHSERV_ID", AUTHSERV)
    get_settings.cache_clear()
    return office_mailbox


def _value(warehouse) -> float | None:
    with warehouse.begin() as session:
        row = session.get(AcceptedValue, (DISPATCHED, 2025))
        return row.value if row is not None else None


def _mail(alert: Alert) -> email.message.EmailMessage:
    return email.message_from_bytes(Path(alert.message_path).read_bytes(),
                                    policy=policy.default)


@pytest.mark.parametrize("forger_wrote", [False, True], ids=["plain", "own-pass-header"])
def test_a_forged_sender_is_never_the_departments_and_both_are_told(verifying, forger_wrote):
    project = get_settings()
    headers = [("Received", FORGED_HOP), ("Authentication-Results", FAILED)]
    if forger_wrote:  # above the trusted one, under another authserv-id: ignored
        headers.insert(0, ("Authentication-Results",
                           "mx.attacker.example; spf=pass; dkim=pass "
                           "header.d=qingyuan.example.gov.cn; dmarc=pass"))
    verifying.deliver(_arriving(headers))
    warehouse = open_warehouse(project)
    report = fetch_mail(warehouse, project)
    assert report.saved == [] and not list(project.inbox_dir.rglob("*.xlsx"))
    with warehouse.begin() as session:
        mail = session.scalars(select(MailMessage)).one()
        [told] = session.scalars(select(Alert).where(Alert.kind == "sender_check")).all()
    assert (mail.outcome, mail.sender_check, mail.department_code) == ("forged", "fail",
                                                                       "science")
    assert mail.note_zh.startswith("一封自称来自市科学技术局的邮件未通过发件人验证，附件未采用"
                                   "（发件服务器 mail.attacker.example [203.0.113.9]，验证结果：")
    assert "dmarc=fail" in mail.note_zh and "mx.attacker.example" not in mail.note_zh
    assert told.recipient == "kejiju@qingyuan.example.gov.cn"  # the registry's address
    message = _mail(told)
    assert message["In-Reply-To"] is None  # not in the forger's thread
    assert message["Subject"] == ("【青源市青年发展数据】市科学技术局 "
                                  "有人以贵单位名义发送了填报表，未予采用")
    assert "有人以贵单位名义发送了填报表，未予采用；如确系贵单位发送，请联系联席办" in \
        message.get_body(("plain",)).get_content()
    assert _value(warehouse) is None
    status = huizong("status")
    assert "一封自称来自市科学技术局的邮件未通过发件人验证，附件未采用" in status.stdout


def test_an_authentic_message_is_loaded_and_answered_in_its_thread(verifying):
    verifying.deliver(_arriving([("Received", OWN_HOP), ("Authentication-Results", PASSED)]))
    done = huizong("fetch-mail")
    assert done.returncode == 0, done.stdout[-2000:]
    warehouse = open_warehouse(get_settings())
    assert _value(warehouse) == 30
    with warehouse.begin() as session:
        mail = session.scalars(select(MailMessage)).one()
        answer = session.get(Alert, mail.answered_by_alert_id)
    assert (mail.outcome, mail.sender_check) == ("saved", "pass")
    assert answer.recipient == "kejiju@qingyuan.example.gov.cn"
    assert _mail(answer)["In-Reply-To"] == mail.message_id


def test_an_unverifiable_message_is_held_until_the_office_releases_it(verifying):
    project = get_settings()
    verifying.deliver(_arriving([("Received", OWN_HOP)]))  # no Authentication-Results
    warehouse = open_warehouse(project)
    assert fetch_mail(warehouse, project).saved == []
    with warehouse.begin() as session:
        mail = session.scalars(select(MailMessage)).one()
        [told] = session.scalars(select(Alert).where(Alert.kind == "sender_check")).all()
    assert (mail.outcome, mail.sender_check) == ("held", "gray")
    assert "无法验证发件人，附件暂未采用，待联席办决定" in mail.note_zh
    assert "附件暂未采用，待联席办确认后处理" in _mail(told).get_body(("plain",)).get_content()
    waiting = huizong("review", "list")
    assert "《科技局-更正.xlsx》" in waiting.stdout and "发件人无法验证" in waiting.stdout
    with warehouse.begin() as session:
        add_user(session, "wumin", "office", None, PASSWORDS["wumin"])
    with TestClient(create_app(project, warehouse)) as office:
        assert login(office, "wumin").status_code == 303
        page = office.get("/departments/science").text
    assert "待联席办决定的邮件" in page and "采用此附件" in page and "科技局-更正.xlsx" in page

    decision = Review(warehouse, project).choose("科技局", "科技局-更正.xlsx",
                                                 "电话确认系本单位王科长发送", "吴敏")
    assert (decision.action, decision.raw_value) == ("choose", "科技局-更正.xlsx")
    assert _value(warehouse) == 30
    with warehouse.begin() as session:
        mail = session.scalars(select(MailMessage)).one()
    assert mail.outcome == "saved" and "联席办决定采用：电话确认系本单位王科长发送" in mail.note_zh


def test_with_accept_an_unverified_message_is_loaded_and_marked(office_mailbox):
    office_mailbox.deliver(_arriving([("Received", OWN_HOP)]))  # no authserv-id configured
    done = huizong("fetch-mail")
    assert done.returncode == 0, done.stdout[-2000:]
    warehouse = open_warehouse(get_settings())
    assert _value(warehouse) == 30
    [science] = [r for r in warehouse.current_ledger() if r.department_code == "science"]
    assert science.mail_sender.endswith("<kejiju@qingyuan.example.gov.cn>（发件人未验证）")
    ledger = (get_settings().outputs_dir / "ledger.csv").read_text(encoding="utf-8-sig")
    assert "（发件人未验证）" in ledger
