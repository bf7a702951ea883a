"""An inbox of the cases where what a department is told used to be untrue: every file
refused, a good workbook beside a bad file, data split over two complementary files,
warnings only, a not-applicable year, a negative value, a two-row merged header.

Each case is one department; `HARD_CASES` says what its clerk must read. Tests build
the inbox with `write_hard_inbox` and compare every mail with the warehouse's facts.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import xlsxwriter

from forms.layout import DATA_SHEET, FIRST_DATA_ROW
from samples.corpus import CorpusWriter

HARD_CASES = {
    "disabled": "只交来读不了的文件（Word 文档改名为 .xlsx、空工作簿、没有指标表的表格）",
    "edu": "一份好的工作簿（有一处错误）和一个读不了的文件（PDF 改名为 .xlsx）",
    "youth_league": "数据分成主表和志愿服务两个文件报送，主表中有一处错误",
    "science": "只有提醒（约数）",
    "culture_sports": "有一年填“—”（不适用），另有一个损坏的副本（数据已从正本全部采用）",
    "hrss": "一个负数",
    "procuratorate": "两行合并表头（“指标名称”跨两行）",
}
# 团市委's indicators in its second file (志愿服务); the others are in its 主表.
VOLUNTEER_PREFIX = "league.volunteer"


def _word_document() -> bytes:
    """A minimal .docx: a zip with word/document.xml and no workbook part."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns='
                         '"http://schemas.openxmlformats.org/package/2006/content-types"/>')
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _empty_workbook(path: Path) -> None:
    openpyxl.Workbook().save(path)


def _no_table(path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "性别", "班级"])
    sheet.append(["张三", "男", "一（1）班"])
    workbook.save(path)


def _keep_rows(path: Path, keep: set[int]) -> None:
    """Delete the template's data rows not in `keep` (bottom up, so rows do not shift)."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[DATA_SHEET]
    last = sheet.max_row
    for row in range(last, FIRST_DATA_ROW - 1, -1):
        if row not in keep and isinstance(sheet.cell(row, 2).value, str):
            sheet.delete_rows(row)
    workbook.save(path)


def _two_row_header(writer: CorpusWriter, path: Path) -> None:
    """检察院's figures under a header whose 指标名称 and 单位 span two rows."""
    department = writer.registry.get("procuratorate")
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Sheet1")
    sheet.write("A1", f"填报单位：{department.name}")
    sheet.merge_range("A2:A3", "指标名称")
    sheet.merge_range("B2:B3", "单位")
    sheet.merge_range(1, 2, 1, 1 + len(writer.years), "年度")
    for offset, year in enumerate(writer.years):
        sheet.write(2, 2 + offset, f"{year}年")
    for row, indicator in enumerate(writer.catalogue.owned_by("procuratorate"), start=3):
        sheet.write(row, 0, indicator.name)
        sheet.write(row, 1, indicator.unit)
        for offset, year in enumerate(writer.years):
            sheet.write(row, 2 + offset, writer.figures[(indicator.code, year)])
    book.close()


def write_hard_inbox(writer: CorpusWriter, inbox: Path) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    folders = {code: inbox / writer.registry.get(code).aliases[-1]
               for code in HARD_CASES}
    for folder in folders.values():
        folder.mkdir(exist_ok=True)

    (folders["disabled"] / "残联填报表.xlsx").write_bytes(_word_document())
    _empty_workbook(folders["disabled"] / "残联数据（空）.xlsx")
    _no_table(folders["disabled"] / "康复中心名单.xlsx")

    edu = writer.filled_template("edu", "教育局填报表.xlsx", typed={
        ("edu.disabled_children.enrolment_rate", 2024): 135})
    edu.path.rename(folders["edu"] / edu.path.name)
    (folders["edu"] / "教育局盖章版.xlsx").write_bytes(_pdf())

    league = [i.code for i in writer.catalogue.owned_by("youth_league")]
    main = writer.filled_template("youth_league", "团市委主表.xlsx", typed={
        (league[0], 2023): -5})
    _keep_rows(main.path, {FIRST_DATA_ROW + n for n, code in enumerate(league)
                           if not code.startswith(VOLUNTEER_PREFIX)})
    main.path.rename(folders["youth_league"] / main.path.name)
    volunteers = writer.filled_template("youth_league", "团市委志愿服务.xlsx")
    _keep_rows(volunteers.path, {FIRST_DATA_ROW + n for n, code in enumerate(league)
                                 if code.startswith(VOLUNTEER_PREFIX)})
    volunteers.path.rename(folders["youth_league"] / volunteers.path.name)

    science = [i.code for i in writer.catalogue.owned_by("science")]
    writer.filled_template("science", "科技局填报表.xlsx", typed={
        (science[0], 2022): f"约{int(writer.figures[(science[0], 2022)])}"}
    ).path.rename(folders["science"] / "科技局填报表.xlsx")

    sports = [i.code for i in writer.catalogue.owned_by("culture_sports")]
    good = writer.filled_template("culture_sports", "文广旅体局填报表.xlsx", typed={
        (sports[0], 2021): "—"}).path.rename(folders["culture_sports"] / "文广旅体局填报表.xlsx")
    # A copy broken in transfer beside the good workbook: nothing is owed, nothing to fix.
    (folders["culture_sports"] / "文广旅体局填报表（副本）.xlsx").write_bytes(
        good.read_bytes()[:2000])

    hrss = [i.code for i in writer.catalogue.owned_by("hrss")]
    writer.filled_template("hrss", "人社局填报表.xlsx", typed={(hrss[0], 2024): -31}
                           ).path.rename(folders["hrss"] / "人社局填报表.xlsx")

    _two_row_header(writer, folders["procuratorate"] / "检察院数据.xlsx")
