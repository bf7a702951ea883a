"""Recognise a file by its bytes and refuse hostile ones cheaply, before any parser runs.

python-calamine allocates the whole declared range of a sheet, and XML parsers can be
made to expand entities, so zip members, sheet extents and DOCTYPEs are checked here
from the raw bytes, with limits taken from the settings.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from config import Settings
from schemas.observation import FileIssue

# Everything the standard library's zip and XML layers raise on damaged bytes: a bad CRC,
# a truncated member, an unsupported compression method, an encrypted member, a member
# larger than declared. A damaged container is a user's file problem, not a crash.
CONTAINER_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError,
    RuntimeError, OSError, ValueError, KeyError, struct.error, UnicodeDecodeError,
    DefusedXmlException, ElementTree.ParseError,
)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"%PDF", b"II*\x00", b"MM\x00*")
_NS = {
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "rel": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "pkg": "http://schemas.openxmlformats.org/package/2006/relationships",
}
# A cell with content: `<c r="B7" s="1"/>` (styled, empty) costs the parser nothing.
_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"[^>]*(?<!/)>')
_FORMULA_CELL = re.compile(rb'<c\b([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3}[0-9]{1,7})"')
_STYLE_REF = re.compile(rb'\bs="([0-9]+)"')
_FORMULA = re.compile(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.S)
_VALUE = re.compile(rb"<v>[^<]+</v>|<is>")
_PERCENT_BUILTIN_FORMATS = {9, 10}
_OFFICE_DOCUMENT = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
                    "officeDocument")
# BIFF2–BIFF4 workbooks (Excel 2.x–4.0) are bare record streams, not compound files.
_BIFF_BOF = (b"\x09\x00", b"\x09\x02", b"\x09\x04", b"\x09\x08")
_HTML_START = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<table|<meta|<head|<body)", re.I)
_SPREADSHEET_ML = re.compile(rb"urn:schemas-microsoft-com:office:spreadsheet|"
                             rb"progid=\"Excel\.Sheet\"", re.I)
_XML_START = re.compile(rb"^\s*<\?xml", re.I)


@dataclass(slots=True)
class SheetFacts:
    """What the sheet XML tells us that calamine does not."""

    uncalculated_formulas: dict[str, str] = field(default_factory=dict)  # cell -> formula
    percent_cells: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Container:
    file_format: str  # xlsx, xlsb, xls, ods, csv
    sheet_facts: dict[str, SheetFacts] = field(default_factory=dict)


def _issue(rule: str, message: str) -> FileIssue:
    return FileIssue(severity="error", rule=rule, message_zh=message)


CORRUPT = "文件已损坏或格式异常，无法读取；请在 Excel/WPS 中重新保存为 .xlsx 后提交。"
ENCRYPTED = "文件已加密，请取消密码后重新提交。"
PICTURE = "文件是图片或 PDF，不是 Excel 表格；请提交填好的 .xlsx 填报表。"
NOT_SPREADSHEET = "无法识别文件格式（不是 Excel / WPS 表格），请另存为 .xlsx 后提交。"


def inspect(data: bytes, file_name: str, settings: Settings) -> Container | FileIssue:
    """The file's format and sheet facts, or the one issue that stops us reading it.

    Never raises on the bytes: every error the zip and XML layers can raise on a
    damaged file becomes `file_corrupt`.
    """
    if not data:
        return _issue("file_empty", "文件是空的（0 字节），请重新保存后提交。")
    if len(data) > settings.max_file_bytes:
        limit = settings.max_file_bytes // (1024 * 1024)
        return _issue("file_too_large", f"文件超过 {limit} MB，不像是填报表，请只提交填报表。")
    try:
        return _inspect(data, file_name, settings)
    except CONTAINER_ERRORS:
        return _issue("file_corrupt", CORRUPT)


def _inspect(data: bytes, file_name: str, settings: Settings) -> Container | FileIssue:
    if data.startswith(ZIP_MAGIC):
        return _inspect_zip(data, settings)
    if data.startswith(OLE_MAGIC):
        return _inspect_ole(data, file_name)
    if data.startswith(_IMAGE_MAGIC):
        return _issue("file_not_spreadsheet", PICTURE)
    if data.startswith(_BIFF_BOF) and data[2:4] in (b"\x04\x00", b"\x06\x00", b"\x08\x00"):
        return _issue("file_unsupported_format",
                      "文件是很早期的 Excel（4.0 及以前）格式，无法可靠读取；"
                      "请在 Excel/WPS 中“另存为” .xlsx 后重新提交。")
    head = data[:4096]
    if _HTML_START.search(head) or (_XML_START.search(head) and _SPREADSHEET_ML.search(head)):
        kind = "网页" if _HTML_START.search(head) else "XML 表格（SpreadsheetML）"
        return _issue("file_unsupported_format",
                      f"这是{kind}格式，只是扩展名像 Excel；请在 Excel/WPS 中打开后"
                      "“另存为” .xlsx 再提交。")
    if head.startswith(b"ID;P"):
        return _issue("file_unsupported_format",
                      "这是 SYLK（.slk）格式，请在 Excel/WPS 中“另存为” .xlsx 后重新提交。")
    if _XML_START.search(head):
        return _issue("file_not_spreadsheet", NOT_SPREADSHEET)
    if _looks_like_text(data):
        return Container("csv")
    return _issue("file_not_spreadsheet", NOT_SPREADSHEET)


def sniff(data: bytes) -> FileIssue | None:
    """A first look at bytes offered as a workbook (a console upload), parsing nothing:
    the issue when they cannot be one, None when the reader should look closer."""
    if data.startswith(_IMAGE_MAGIC):
        return _issue("file_not_spreadsheet", PICTURE)
    if data.startswith((ZIP_MAGIC, OLE_MAGIC, *_BIFF_BOF)) or _looks_like_text(data):
        return None
    return _issue("file_not_spreadsheet", NOT_SPREADSHEET)


def _looks_like_text(data: bytes) -> bool:
    head = data[:4096]
    if b"\x00" in head:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _utf16_pattern(name: str) -> re.Pattern[bytes]:
    """A compound-file directory name in UTF-16LE, in any letter case (`WORKBOOK`)."""
    return re.compile(b"".join(b"[" + c.lower().encode() + c.upper().encode() + b"]\x00"
                               for c in name))


_OLE_STREAMS = {name: _utf16_pattern(name) for name in
                ("EncryptionInfo", "EncryptedPackage", "WordDocument", "Workbook", "Book")}


def _inspect_ole(data: bytes, file_name: str) -> Container | FileIssue:
    def has_stream(name: str) -> bool:
        return _OLE_STREAMS[name].search(data) is not None

    if has_stream("EncryptionInfo") or has_stream("EncryptedPackage"):
        return _issue("file_encrypted", ENCRYPTED)
    if has_stream("WordDocument"):
        return _issue("file_not_spreadsheet",
                      "文件是 Word 文档，不是 Excel 表格；请把数据填入 .xlsx 填报表后提交。")
    if has_stream("Workbook") or has_stream("Book"):
        return Container("xls")
    if file_name.lower().endswith((".et", ".ett")):
        return _issue("file_unsupported_format",
                      "文件是 WPS 表格专用格式（.et），请在 WPS 中“另存为” .xlsx 后重新提交。")
    return _issue("file_not_spreadsheet", NOT_SPREADSHEET)


class _Package:
    """A zip package with part names normalised: some writers store `xl\\workbook.xml`
    or put the parts at the root; we look parts up by their normalised name."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.names = {m.filename.replace("\\", "/").lstrip("/"): m.filename
                      for m in archive.infolist()}

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def read(self, name: str) -> bytes:
        """The part's bytes, or b"" when it is absent."""
        actual = self.names.get(name)
        return self.archive.read(actual) if actual is not None else b""

    def head(self, name: str, size: int) -> bytes:
        with self.archive.open(self.names[name]) as member:
            return member.read(size)

    def related(self, source: str, rel_type: str | None = None) -> dict[str, str]:
        """{relationship id: target part name} of `source` (`""` is the package)."""
        folder, base = posixpath.split(source)
        rels = self.read(posixpath.join(folder, "_rels", f"{base}.rels"))
        if not rels:
            return {}
        found = {}
        for rel in ElementTree.fromstring(rels).findall("pkg:Relationship", _NS):
            if rel_type is not None and rel.get("Type") != rel_type:
                continue
            target = rel.get("Target", "").replace("\\", "/")
            path = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join(folder, target))
            found[rel.get("Id", "")] = path
        return found


def _inspect_zip(data: bytes, settings: Settings) -> Container | FileIssue:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except CONTAINER_ERRORS:
        return _issue("file_corrupt", "文件已损坏，无法打开；请在 Excel/WPS 中重新保存后提交。")
    total = sum(m.file_size for m in members)
    worst_ratio = max((m.file_size / max(m.compress_size, 1) for m in members), default=0)
    if total > settings.max_uncompressed_bytes or (
        worst_ratio > settings.max_compression_ratio and total > 10 * 1024 * 1024
    ):
        return _issue("zip_bomb",
                      "文件解压后体积异常（疑似压缩炸弹），已拒绝读取；请提交正常保存的填报表。")
    with archive:
        package = _Package(archive)
        if "mimetype" in package and b"spreadsheet" in package.read("mimetype"):
            if b"encryption-data" in package.read("META-INF/manifest.xml"):
                return _issue("file_encrypted", ENCRYPTED)
            return _checked_xml(package, Container("ods"))
        workbook = next(iter(package.related("", _OFFICE_DOCUMENT).values()), None)
        workbook = workbook or next((n for n in ("xl/workbook.xml", "xl/workbook.bin")
                                     if n in package), None)
        if workbook and workbook in package and workbook.endswith(".bin"):
            return Container("xlsb")
        if workbook and workbook in package and workbook.endswith(".xml") and \
                not workbook.startswith(("word/", "ppt/")):
            return _inspect_xlsx(package, workbook, settings.max_sheet_cells)
        if any(n.startswith("word/") for n in package.names):
            return _issue("file_not_spreadsheet",
                          "文件是 Word 文档，不是 Excel 表格；请把数据填入 .xlsx 填报表后提交。")
        if any(n.startswith("ppt/") for n in package.names):
            return _issue("file_not_spreadsheet",
                          "文件是演示文稿，不是 Excel 表格；请提交 .xlsx 填报表。")
    return _issue("file_not_spreadsheet", "压缩包不是 Excel 表格；请直接提交 .xlsx 填报表。")


def _checked_xml(package: _Package, container: Container) -> Container | FileIssue:
    for name in package.names:
        if name.endswith((".xml", ".rels")) and _declares_entities(package.head(name, 2048)):
            return _issue("xml_entities",
                          "文件内部含有不安全的 XML 声明（实体定义），已拒绝读取；"
                          "请在 Excel/WPS 中另存为新的 .xlsx 后提交。")
    return container


def _declares_entities(head: bytes) -> bool:
    return b"<!DOCTYPE" in head or b"<!ENTITY" in head


def _inspect_xlsx(package: _Package, workbook: str, max_cells: int) -> Container | FileIssue:
    checked = _checked_xml(package, Container("xlsx"))
    if isinstance(checked, FileIssue):
        return checked
    sheet_paths = _sheet_paths(package, workbook)
    styles = next((p for p in package.related(workbook).values() if p.endswith("styles.xml")),
                  "")
    percent_styles = _percent_styles(package.read(styles) if styles else b"")
    facts = {}
    for sheet, path in sheet_paths.items():
        sheet_xml = package.read(path)
        rows, columns = sheet_extent(sheet_xml)
        if rows * columns > max_cells:
            return _issue("sheet_too_large",
                          f"工作表“{sheet}”的范围异常大（{rows} 行 × {columns} 列），已拒绝读取；"
                          "请删除多余的行列或只保留填报表后重新提交。")
        facts[sheet] = _sheet_facts(sheet_xml, percent_styles)
    return Container("xlsx", facts)


def sheet_extent(sheet_xml: bytes) -> tuple[int, int]:
    """(rows, columns) the sheet's cells with content really span. A declared
    `<dimension>` or empty styled cells cost nothing to read, so they are not counted."""
    rows = columns = 0
    for match in _CELL.finditer(sheet_xml):
        columns = max(columns, column_number(match.group(1).decode()))
        rows = max(rows, int(match.group(2)))
    return rows, columns


def column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _sheet_paths(package: _Package, workbook: str) -> dict[str, str]:
    root = ElementTree.fromstring(package.read(workbook))
    targets = package.related(workbook)
    return {sheet.get("name", ""): targets.get(sheet.get(f"{{{_NS['rel']}}}id", ""), "")
            for sheet in root.iterfind("main:sheets/main:sheet", _NS)}


# Files made from one template carry the same styles part: parsed once per reader.
@lru_cache(maxsize=64)
def _percent_styles(styles_xml: bytes) -> frozenset[int]:
    if not styles_xml:
        return frozenset()
    styles = ElementTree.fromstring(styles_xml)
    custom_percent = {
        int(fmt.get("numFmtId", -1))
        for fmt in styles.iterfind("main:numFmts/main:numFmt", _NS)
        if "%" in fmt.get("formatCode", "")
    }
    percent_formats = _PERCENT_BUILTIN_FORMATS | custom_percent
    return frozenset(
        index
        for index, xf in enumerate(styles.iterfind("main:cellXfs/main:xf", _NS))
        if int(xf.get("numFmtId", 0)) in percent_formats
    )


def _sheet_facts(sheet_xml: bytes, percent_styles: frozenset[int]) -> SheetFacts:
    facts = SheetFacts()
    if b"<f" not in sheet_xml and not percent_styles:
        return facts
    for match in _FORMULA_CELL.finditer(sheet_xml):
        attributes, body = match.group(1), match.group(2) or b""
        reference = _CELL_REF.search(attributes)
        if reference is None:
            continue
        cell = reference.group(1).decode()
        formula = _FORMULA.search(body)
        if formula is not None and _VALUE.search(body) is None:
            facts.uncalculated_formulas[cell] = "=" + (formula.group(1) or b"").decode(
                "utf-8", "replace")
        style = _STYLE_REF.search(attributes)
        if style is not None and int(style.group(1)) in percent_styles:
            facts.percent_cells.add(cell)
    return facts
