"""What a department reads first depends on what its file has: errors, only values to
check, only missing values."""

import datetime as dt

import pytest

from alerts.content import Context, IssueLine, issues_mail

CONTACT = ("如有疑问，请联系市青年工作联席会议办公室 吴敏（电话 0000-12345678，"
           "邮箱 lianxiban@qingyuan.example.gov.cn）。")
CTX = Context("青源市", "青源市青年工作联席会议办公室", dt.date(2026, 12, 15),
              dt.date(2026, 11, 28), contact_zh=CONTACT)
ERROR = IssueLine("error", "填报表!H7", "残疾儿童入学率", 2025, "135", "超过 100", "请改正",
                  "above_maximum")
WARNING = IssueLine("warning", "填报表!F9", "手术救助人数", 2023, "3", "比上年少很多", "请核对",
                    "yoy_jump")
MISSING = IssueLine("warning", "填报表!I11", "家庭医生签约率", 2025, "", "未填写", "请补报",
                    "missing_value")


@pytest.mark.parametrize(("issues", "subject", "opening", "absent"), [
    ([ERROR, WARNING], "填报数据需修改（1项错误，1项提醒）",
     "有 1 项错误，这些数值暂未采用，请修改后重新报送；有 1 项提醒，这些数值已采用", "未填写"),
    ([ERROR], "填报数据需修改（1项错误）", "有 1 项错误，这些数值暂未采用", "提醒"),
    ([WARNING], "填报数据请核对（1项提醒）", "有 1 项提醒，这些数值已采用，请核对", "错误"),
    ([MISSING], "填报数据需修改（1项未填）", "有 1 项数据未填写，请补报。", "已采用"),
    ([MISSING, WARNING], "填报数据需修改（1项未填，1项提醒）",
     "有 1 项数据未填写，请补报；有 1 项提醒", "暂未采用"),
], ids=["errors-and-warnings", "errors", "warnings-only", "missing-only", "missing-and-warnings"])
def test_the_opening_says_what_this_file_has(issues, subject, opening, absent):
    mail = issues_mail(CTX, "市残疾人联合会", "周强", issues, [], [])
    assert mail.subject == f"【青源市青年发展数据】市残疾人联合会 {subject}"
    first = mail.text.splitlines()[0]
    assert first.startswith("周强同志：您好！贵单位报送的青年发展数据已完成校验，")
    assert opening in first and absent not in first
    assert "共发现 0 项" not in mail.text


def test_every_mail_ends_with_thanks_and_the_office_contact_and_styles_inline():
    mail = issues_mail(CTX, "市残疾人联合会", "周强", [ERROR, WARNING], [], [])
    assert "感谢支持配合！" in mail.text and "0000-12345678" in mail.text
    assert "收件箱" not in mail.text  # no system words
    assert "<style" not in mail.html and "class=" not in mail.html
    assert 'style="background:#ffc7ce"' in mail.html  # the error row, inline
    assert "0000-12345678" in mail.html
