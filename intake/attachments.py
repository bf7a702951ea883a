"""What a message brings: its spreadsheets (also inside a .zip), each under a name that is
safe to write, and every other file with the reason it was refused.

A name from a mail is never used as a path: only its last component survives, stripped of
control characters, leading dots and anything a file system could take for a folder,
and cut to a length every system accepts. Limits bound what one message can make us
write: the number of files, each file's size, and what a zip may unpack to.
"""

from __future__ import annotations

import contextlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from config import Settings

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".et", ".ett", ".ods", ".csv")
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_MAX_NAME_CHARS = 120
_ZIP_UTF8_FLAG = 0x800


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str  # sanitised
    data: bytes
    refusal_zh: str = ""  # why it is not saved; "" for a spreadsheet we take

    @property
    def taken(self) -> bool:
        return not self.refusal_zh


def safe_name(raw: str | None, fallback: str = "附件") -> str:
    """A file name that cannot escape its folder or break a file system."""
    text = unicodedata.normalize("NFC", raw or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _UNSAFE_CHARS.sub("_", text).strip(" ._")
    if not text or set(text) <= {"_"}:
        text = fallback
    stem, dot, suffix = text.rpartition(".")
    if not dot or len(suffix) > 10:
        stem, suffix = text, ""
    stem = stem[:_MAX_NAME_CHARS - len(suffix) - 1] if suffix else text[:_MAX_NAME_CHARS]
    return f"{stem}.{suffix}" if suffix else stem


def is_spreadsheet(name: str) -> bool:
    return name.lower().endswith(SPREADSHEET_SUFFIXES)


def unpack(parts: list[tuple[str | None, bytes]], settings: Settings) -> list[Attachment]:
    """Spreadsheets taken and files refused, in the order the message has them."""
    found: list[Attachment] = []
    for raw_name, data in parts:
        name = safe_name(raw_name)
        if name.lower().endswith(".zip"):
            found.extend(_from_zip(name, data, settings))
        else:
            found.append(judge(name, data, settings))
    taken = 0
    limited = []
    for item in found:
        if item.taken:
            taken += 1
            if taken > settings.mail_max_attachments:
                item = Attachment(item.name, b"", f"一封邮件最多处理 "
                                  f"{settings.mail_max_attachments} 个表格，此文件未处理；"
                                  "请分几封邮件发送。")
        limited.append(item)
    return limited


def judge(name: str, data: bytes, settings: Settings) -> Attachment:
    if not is_spreadsheet(name):
        return Attachment(name, b"", "不是表格文件（只处理 .xlsx、.xls、.et、.csv 等填报表，"
                          "或装有它们的 .zip 压缩包）。")
    if len(data) > settings.max_file_bytes:
        return Attachment(name, b"", f"文件大小 {len(data) / 1048576:.1f} MB，超过 "
                          f"{settings.max_file_bytes / 1048576:.0f} MB 的上限，未处理。")
    if not data:
        return Attachment(name, b"", "文件是空的（0 字节）。")
    return Attachment(name, data)


def _member_name(info: zipfile.ZipInfo) -> str:
    """Windows' zip tools write Chinese names in GBK without saying so; Python reads them as
    cp437. Read them back as GBK where that is what they were."""
    name = info.filename
    if not info.flag_bits & _ZIP_UTF8_FLAG:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("gbk")
    return name


def _from_zip(zip_name: str, data: bytes, settings: Settings) -> list[Attachment]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return [Attachment(zip_name, b"", "压缩包已损坏或不是 zip 格式，无法解压。")]
    found: list[Attachment] = []
    budget = settings.max_uncompressed_bytes
    with archive:
        for member in members:
            raw = _member_name(member)
            parts = PurePosixPath(raw.replace("\\", "/")).parts
            if not parts or parts[-1].startswith(".") or "__MACOSX" in parts:
                continue  # a Mac's resource forks and hidden files are not submissions
            name = safe_name(parts[-1])
            label = f"{zip_name} 中的 {name}"
            if member.flag_bits & 0x1:
                found.append(Attachment(label, b"", "压缩包设有密码，无法解压；"
                                        "请直接附上表格文件。"))
                continue
            if not is_spreadsheet(name):
                found.append(judge(label, b"", settings))
                continue
            ratio = member.file_size / max(member.compress_size, 1)
            if (member.file_size > min(settings.max_file_bytes, budget)
                    or ratio > settings.max_compression_ratio):
                found.append(Attachment(label, b"", "解压后过大（超过上限），未处理。"))
                continue
            try:
                content = archive.read(member)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
                found.append(Attachment(label, b"", "压缩包中的这个文件已损坏，无法解压。"))
                continue
            budget -= len(content)
            found.append(judge(name, content, settings))
    if not found:
        return [Attachment(zip_name, b"", "压缩包是空的，或其中没有表格文件。")]
    return found
