"""Reading what a mail brings, with messages and names nobody here wrote (Hypothesis)."""

import io
import zipfile
from email.message import EmailMessage
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from config import Settings
from intake.attachments import safe_name, unpack
from intake.message import parse_mail

SETTINGS = Settings(root=Path("/nonexistent"))


@given(st.text())
def test_no_name_from_a_mail_leaves_its_folder(name):
    safe = safe_name(name)
    folder = Path("/srv/inbox/市教育局/邮件1")
    assert safe and len(safe) <= 120 and not safe.startswith(".")
    assert "/" not in safe and "\\" not in safe and not any(ord(c) < 32 for c in safe)
    assert (folder / safe).resolve().parent == folder


@settings(max_examples=300)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_without_raising(raw):
    mail = parse_mail(raw)
    assert mail.key  # a message without a Message-ID is known by its bytes


def test_encoded_names_subjects_and_threads_are_read():
    message = EmailMessage()
    message["From"] = "=?gb2312?b?zfW3vA==?= <JiaoYuJu@QingYuan.example.gov.cn>"
    message["Subject"] = "=?gb2312?b?u9i4tKO6yv2+3Q==?="
    message["Message-ID"] = "<reply-1@dept.example.cn>"
    message["In-Reply-To"] = "<alert-1@qingyuan.example.gov.cn>"
    message["References"] = "<alert-0@qingyuan.example.gov.cn> <alert-1@qingyuan.example.gov.cn>"
    message.set_content("见附件")
    message.add_attachment(b"data", maintype="application", subtype="octet-stream",
                           filename="教育局填报表（修改）.xlsx")
    mail = parse_mail(message.as_bytes())
    assert (mail.sender, mail.sender_name, mail.subject) == (
        "jiaoyuju@qingyuan.example.gov.cn", "王芳", "回复：数据")
    assert mail.references == ("<alert-0@qingyuan.example.gov.cn>",
                               "<alert-1@qingyuan.example.gov.cn>")
    assert mail.parts == [("教育局填报表（修改）.xlsx", b"data")]


class _GbkName(zipfile.ZipInfo):
    """What Windows' "send to compressed folder" writes: GBK bytes, no UTF-8 flag."""

    def _encodeFilenameFlags(self):  # zipfile calls it by this name
        return self.filename.encode("gbk"), self.flag_bits


def _zip(members: dict[str, bytes], *, gbk: bool = False) -> bytes:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        for name, data in members.items():
            info = (_GbkName if gbk else zipfile.ZipInfo)(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return packed.getvalue()


def test_windows_zip_names_in_gbk_are_read_as_chinese():
    [item] = unpack([("数据.zip", _zip({"残联填报表.xlsx": b"x"}, gbk=True))], SETTINGS)
    assert item.taken and item.name == "残联填报表.xlsx"


def test_limits_what_one_message_can_make_us_write():
    many = unpack([(f"表{n}.xlsx", b"x") for n in range(25)], SETTINGS)
    assert sum(i.taken for i in many) == SETTINGS.mail_max_attachments == 20
    assert "最多处理 20 个表格" in many[-1].refusal_zh
    bomb = unpack([("炸弹.zip", _zip({"a.xlsx": b"\0" * 50_000_000}))], SETTINGS)
    assert not bomb[0].taken and "过大" in bomb[0].refusal_zh
    broken = unpack([("坏.zip", b"PK\x03\x04 not really")], SETTINGS)
    assert "已损坏" in broken[0].refusal_zh
    empty = unpack([("空.xlsx", b"")], SETTINGS)
    assert "空的" in empty[0].refusal_zh
    other = unpack([("照片.jpg", b"\xff\xd8")], SETTINGS)
    assert "不是表格文件" in other[0].refusal_zh
