"""Recognise a file by its bytes and refuse hostile ones cheaply, before any parser runs.

python-calamine allocates the whole declared range of a sheet, and XML parsers can be
made to expand entities, so zip members, sheet extents and DOCTYPEs are checked here
from the raw bytes, with limits taken from the settings.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from config import Settings
from transforms.model import FileIssue

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"%PDF", b"II*\x00", b"MM\x00*")
_NS = {
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "rel": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "pkg": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')
_DIMENSION = re.compile(rb'<dimension\b[^>]*?\bref="([A-Z]{1,3})?([0-9]{1,7})?:?'
                        rb'([A-Z]{1,3})?([0-9]{1,7})?"')
_FORMULA_CELL = re.compile(rb'<c\b([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3}[0-9]{1,7})"')
_STYLE_REF = re.compile(rb'\bs="([0-9]+)"')
_FORMULA = re.compile(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.S)
_VALUE = re.compile(rb"<v>[^<]+</v>|<is>")
_PERCENT_BUILTIN_FORMATS = {9, 10}


@dataclass(slots=True)
class SheetFacts:
    """What the sheet XML tells us that calamine does not."""

    uncalculated_formulas: dict[str, str] = field(default_factory=dict)  # cell -> formula
    percent_cells: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Container:
    file_format: str  # xlsx, xls, ods, csv
    sheet_facts: dict[str, SheetFacts] = field(default_factory=dict)


def _issue(rule: str, message: str) -> FileIssue:
    return FileIssue(severity="error", rule=rule, message_zh=message)


def inspect(data: bytes, file_name: str, settings: Settings) -> Container | FileIssue:
    """The file's format and sheet facts, or the one issue that stops us reading it."""
    if not data:
        return _issue("file_empty", "文件是空的（0 字节），请重新保存后提交。")
    if len(data) > settings.max_file_bytes:
        limit = settings.max_file_bytes // (1024 * 1024)
        return _issue("file_too_large", f"文件超过 {limit} MB，不像是填报表，请只提交填报表。")
    if data.startswith(ZIP_MAGIC):
        return _inspect_zip(data, settings)
    if data.startswith(OLE_MAGIC):
        return _inspect_ole(data, file_name)
    if data.startswith(_IMAGE_MAGIC):
        return _issue("file_not_spreadsheet",
                      "文件是图片或 PDF，不是 Excel 表格；请提交填好的 .xlsx 填报表。")
    if _looks_like_text(data):
        return Container("csv")
    return _issue("file_not_spreadsheet",
                  "无法识别文件格式（不是 Excel / WPS 表格），请另存为 .xlsx 后提交。")


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


def _inspect_ole(data: bytes, file_name: str) -> Container | FileIssue:
    # Directory entries of a compound file store stream names in UTF-16LE.
    def has_stream(name: str) -> bool:
        return name.encode("utf-16-le") in data

    if has_stream("EncryptionInfo") or has_stream("EncryptedPackage"):
        return _issue("file_encrypted", "文件已加密，请取消密码后重新提交。")
    if has_stream("WordDocument"):
        return _issue("file_not_spreadsheet",
                      "文件是 Word 文档，不是 Excel 表格；请把数据填入 .xlsx 填报表后提交。")
    if has_stream("Workbook") or has_stream("Book"):
        return Container("xls")
    if file_name.lower().endswith((".et", ".ett")):
        return _issue("file_unsupported_format",
                      "文件是 WPS 表格专用格式（.et），请在 WPS 中“另存为” .xlsx 后重新提交。")
    return _issue("file_not_spreadsheet",
                  "无法识别文件格式（不是 Excel / WPS 表格），请另存为 .xlsx 后提交。")


def _inspect_zip(data: bytes, settings: Settings) -> Container | FileIssue:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return _issue("file_corrupt", "文件已损坏，无法打开；请在 Excel/WPS 中重新保存后提交。")
    total = sum(m.file_size for m in members)
    worst_ratio = max((m.file_size / max(m.compress_size, 1) for m in members), default=0)
    if total > settings.max_uncompressed_bytes or (
        worst_ratio > settings.max_compression_ratio and total > 10 * 1024 * 1024
    ):
        return _issue("zip_bomb",
                      "文件解压后体积异常（疑似压缩炸弹），已拒绝读取；请提交正常保存的填报表。")
    names = {m.filename for m in members}
    with archive:
        if "mimetype" in names and b"spreadsheet" in _read(archive, "mimetype"):
            return _checked_xml(archive, names, Container("ods"))
        if "xl/workbook.xml" in names:
            return _inspect_xlsx(archive, names, settings.max_sheet_cells)
        if any(n.startswith("word/") for n in names):
            return _issue("file_not_spreadsheet",
                          "文件是 Word 文档，不是 Excel 表格；请把数据填入 .xlsx 填报表后提交。")
        if any(n.startswith("ppt/") for n in names):
            return _issue("file_not_spreadsheet",
                          "文件是演示文稿，不是 Excel 表格；请提交 .xlsx 填报表。")
    return _issue("file_not_spreadsheet", "压缩包不是 Excel 表格；请直接提交 .xlsx 填报表。")


def _read(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return b""


def _checked_xml(archive: zipfile.ZipFile, names: set[str],
                 container: Container) -> Container | FileIssue:
    for name in names:
        if name.endswith((".xml", ".rels")) and _declares_entities(archive, name):
            return _issue("xml_entities",
                          "文件内部含有不安全的 XML 声明（实体定义），已拒绝读取；"
                          "请在 Excel/WPS 中另存为新的 .xlsx 后提交。")
    return container


def _declares_entities(archive: zipfile.ZipFile, name: str) -> bool:
    with archive.open(name) as member:
        head = member.read(2048)
    return b"<!DOCTYPE" in head or b"<!ENTITY" in head


def _inspect_xlsx(archive: zipfile.ZipFile, names: set[str],
                  max_cells: int) -> Container | FileIssue:
    checked = _checked_xml(archive, names, Container("xlsx"))
    if isinstance(checked, FileIssue):
        return checked
    try:
        sheet_paths = _sheet_paths(archive)
        percent_styles = _percent_styles(_read(archive, "xl/styles.xml"))
    except (DefusedXmlException, ElementTree.ParseError, KeyError):
        return _issue("file_corrupt", "文件已损坏，无法打开；请在 Excel/WPS 中重新保存后提交。")
    facts = {}
    for sheet, path in sheet_paths.items():
        sheet_xml = _read(archive, path)
        rows, columns = sheet_extent(sheet_xml)
        if rows * columns > max_cells:
            return _issue("sheet_too_large",
                          f"工作表“{sheet}”的范围异常大（{rows} 行 × {columns} 列），已拒绝读取；"
                          "请删除多余的行列或只保留填报表后重新提交。")
        facts[sheet] = _sheet_facts(sheet_xml, percent_styles)
    return Container("xlsx", facts)


def sheet_extent(sheet_xml: bytes) -> tuple[int, int]:
    """(rows, columns) a sheet really spans or declares, whichever is larger."""
    rows = columns = 0
    for match in _CELL.finditer(sheet_xml):
        columns = max(columns, column_number(match.group(1).decode()))
        rows = max(rows, int(match.group(2)))
    dimension = _DIMENSION.search(sheet_xml[:4096])
    if dimension and dimension.group(3) and dimension.group(4):
        columns = max(columns, column_number(dimension.group(3).decode()))
        rows = max(rows, int(dimension.group(4)))
    return rows, columns


def column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in rels.findall("pkg:Relationship", _NS)
    }
    paths = {}
    for sheet in workbook.iterfind("main:sheets/main:sheet", _NS):
        target = targets.get(sheet.get(f"{{{_NS['rel']}}}id"), "")
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        paths[sheet.get("name", "")] = target
    return paths


def _percent_styles(styles_xml: bytes) -> set[int]:
    if not styles_xml:
        return set()
    styles = ElementTree.fromstring(styles_xml)
    custom_percent = {
        int(fmt.get("numFmtId", -1))
        for fmt in styles.iterfind("main:numFmts/main:numFmt", _NS)
        if "%" in fmt.get("formatCode", "")
    }
    percent_formats = _PERCENT_BUILTIN_FORMATS | custom_percent
    return {
        index
        for index, xf in enumerate(styles.iterfind("main:cellXfs/main:xf", _NS))
        if int(xf.get("numFmtId", 0)) in percent_formats
    }


def _sheet_facts(sheet_xml: bytes, percent_styles: set[int]) -> SheetFacts:
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
