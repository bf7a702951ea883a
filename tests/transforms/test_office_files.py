"""What offices really send, each on a workbook written by a real writer."""

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
import xlwt

from schemas.validate import validate
from transforms import read_file

FOREIGN = Path(__file__).resolve().parents[3] / "shared" / "foreign-files"


def _rules(result, severity=None):
    return [i.rule for i in result.issues if severity is None or i.severity == severity]


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_stale_first_sheet_is_skipped_with_a_note(corpus, state):
    sample = corpus.with_hidden_stale_sheet(
        corpus.filled_template("disabled", f"残联_{state}.xlsx"), state=state)
    result = read_file(sample.path)
    assert {o.sheet for o in result.observations} == {"填报表"}
    expected = {(e.indicator_code, e.year): e.value for e in sample.expected}
    assert {(o.indicator_code, o.year): o.value for o in result.observations} == expected
    assert _rules(result) == ["hidden_sheet_skipped"]
    assert "旧版（勿用）" in result.issues[0].message_zh


def test_only_hidden_sheets_hold_data_read_them_with_a_warning(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "封面"
    workbook.active["A1"] = "青源市残联 2026 年报送"
    data = workbook.create_sheet("数据")
    data.append(["填报单位：市残联"])
    data.append(["指标名称", "2025年"])
    data.append(["残疾儿童手术救助人数", 3])
    data.sheet_state = "hidden"
    path = tmp_path / "hidden_only.xlsx"
    workbook.save(path)
    result = read_file(path)
    assert [o.value for o in result.observations] == [3]
    [warning] = [i for i in result.issues if i.severity == "warning"]
    assert warning.rule == "hidden_sheet_read" and "“数据”" in warning.message_zh


def test_a_transposed_table_with_a_unit_row(tmp_path):
    """Years down the first column, indicators across, units in a row under the header."""
    book = xlsxwriter.Workbook(str(tmp_path / "transposed.xlsx"))
    sheet = book.add_worksheet("横表")
    sheet.write("A1", "填报单位：市残联")
    sheet.write_row("A3", ["年度", "残疾儿童手术救助人数", "残疾儿童康复救助训练人数",
                           "康复救助经费"])
    sheet.write_row("A4", [None, "人", "人", "元"])
    sheet.write_row("A5", ["2024年", 12, 340, 1_250_000])
    sheet.write_row("A6", ["2025年", 15, 360, 1_300_000])
    book.close()
    result = read_file(tmp_path / "transposed.xlsx")
    got = {(o.indicator_code, o.year): (o.value, o.cell) for o in result.observations}
    assert got[("disabled.child_rehabilitation.surgeries", 2025)] == (15, "B6")
    assert got[("disabled.child_rehabilitation.trained", 2024)] == (340, "C5")
    # 元 in the unit row is converted to the catalogue's 万元.
    assert got[("disabled.child_rehabilitation.funds", 2025)] == (1_300_000, "D6")
    assert "unit_converted" in _rules(result, "info")
    assert not _rules(result, "error")


@pytest.mark.parametrize("header", ["二〇二一年", "二零二一年", "2021年度", "2021 年", "21年"])
def test_chinese_year_headers(tmp_path, header):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["填报单位：市残联"])
    sheet.append(["指标名称", header, "二〇二二年"])
    sheet.append(["残疾儿童手术救助人数", 7, 8])
    path = tmp_path / "years.xlsx"
    workbook.save(path)
    result = read_file(path)
    assert [(o.year, o.value) for o in result.observations] == [(2021, 7), (2022, 8)]


@pytest.mark.parametrize("writer", ["xlsx", "xls"])
def test_a_date_in_a_number_cell_is_an_error_showing_the_date(tmp_path, writer):
    """Excel turns `3-5` typed into a cell into a date; the clerk sees 3月5日."""
    if writer == "xlsx":
        path = tmp_path / "date.xlsx"
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append(["填报单位：市残联"])
        sheet.append(["指标名称", "2024年", "2025年"])
        sheet.append(["残疾儿童手术救助人数", dt.datetime(2025, 3, 5), 9])
        sheet["B3"].number_format = "m月d日"
        workbook.save(path)
    else:
        path = tmp_path / "date.xls"
        book = xlwt.Workbook()
        sheet = book.add_sheet("Sheet1")
        for row, values in enumerate([["填报单位：市残联"], ["指标名称", "2024年", "2025年"]]):
            for column, value in enumerate(values):
                sheet.write(row, column, value)
        sheet.write(2, 0, "残疾儿童手术救助人数")
        sheet.write(2, 1, dt.datetime(2025, 3, 5), xlwt.easyxf(num_format_str="m/d"))
        sheet.write(2, 2, 9)
        book.save(str(path))
    result = read_file(path)
    validation = validate([result])
    errors = [i for i in validation.issues if i.severity == "error"]
    [error] = errors  # one message for the cell, not "unparsed" as well
    assert error.rule == "date_not_number" and error.cell == "B3"
    assert "日期“2025/3/5”" in error.message_zh and "45721" not in error.message_zh
    assert not next(a for a in validation.assessments if a.observation.cell == "B3").accepted


def _percent_workbook(path: Path, layout: str) -> None:
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "说明"
    first["A1"] = "本表为残联报送数据"
    sheet = workbook.create_sheet("第二页")
    sheet.append(["填报单位：市残联"])
    if layout == "wide":
        sheet.append(["指标名称", "2024年", "2025年"])
        sheet.append(["残疾青年家庭医生签约率", 0.922, 0.935])
        cells = ("B3", "C3")
    else:
        sheet.append(["指标", "年度", "数值"])
        sheet.append(["残疾青年家庭医生签约率", 2024, 0.922])
        sheet.append(["残疾青年家庭医生签约率", 2025, 0.935])
        cells = ("C3", "C4")
    for cell in cells:
        sheet[cell].number_format = "0.0%"
    workbook.save(path)


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_a_fraction_in_a_percent_cell_is_the_percent_shown(tmp_path, layout):
    path = tmp_path / f"percent_{layout}.xlsx"
    _percent_workbook(path, layout)
    result = read_file(path)
    assert sorted(o.value for o in result.observations) == [92.2, 93.5]
    notes = [i for i in result.issues if i.rule == "percent_fraction"]
    assert notes and all(n.severity == "info" and "92.2%" in n.message_zh for n in notes)


def test_an_xls_with_upper_case_stream_names_is_read(tmp_path, corpus):
    sample = corpus.per_year_xls("culture_sports", "文广旅体.xls")
    data = sample.path.read_bytes()
    upper = data.replace("Workbook".encode("utf-16-le"), "WORKBOOK".encode("utf-16-le"))
    assert upper != data
    path = tmp_path / "upper.xls"
    path.write_bytes(upper)
    result = read_file(path)
    assert result.file_format == "xls" and len(result.observations) == len(sample.expected)


@pytest.mark.skipif(not FOREIGN.is_dir(), reason="../shared/foreign-files is not on this machine")
@pytest.mark.parametrize(("name", "rule", "fragment"), [
    ("calamine/tests__any_sheets.xlsb", "no_table", ""),
    ("calamine/tests__capitalized_wbook_stream.xls", "workbook_empty", ""),
    ("calamine/tests__issue_530.xlsx", "no_table", ""),  # part names with back-slashes
    ("calamine/tests__minimal_package.xlsx", "no_table", ""),  # parts without xl/
    ("python-calamine/tests__data__password.xls", "file_encrypted", "已加密"),
    ("python-calamine/tests__data__password.ods", "file_encrypted", "已加密"),
    ("calamine/tests__issue252.xlsx", "file_corrupt", "损坏"),
    ("calamine/tests__issue_174.xlsx", "no_table", ""),  # huge declared range, few cells
    ("xlrd/tests__samples__biff4_no_format_no_window2.xls", "file_unsupported_format", "另存为"),
])
def test_formats_the_libraries_read_are_not_refused(tmp_path, name, rule, fragment):
    path = tmp_path / Path(name).name
    shutil.copyfile(FOREIGN / name, path)
    result = read_file(path)
    assert _rules(result, "error") == [rule]
    assert fragment in result.issues[0].message_zh


@pytest.mark.parametrize(("content", "fragment"), [
    (b"<html><body><table><tr><td>\xe6\x8c\x87\xe6\xa0\x87</td></tr></table></body></html>",
     "网页格式"),
    (b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
     b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>',
     "SpreadsheetML"),
])
def test_a_fake_xls_gets_a_save_as_message(tmp_path, content, fragment):
    path = tmp_path / "导出.xls"
    path.write_bytes(content)
    [issue] = read_file(path).issues
    assert issue.rule == "file_unsupported_format"
    assert fragment in issue.message_zh and "另存为” .xlsx" in issue.message_zh


def test_a_cr_only_text_file_is_read(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes("填报单位：市残联\r指标名称,2025年\r残疾儿童手术救助人数,5\r".encode())
    result = read_file(path)
    assert [o.value for o in result.observations] == [5]


def test_a_zip_with_a_bad_crc_is_corrupt_not_a_crash(tmp_path, corpus):
    data = bytearray(corpus.filled_template("disabled", "残联crc.xlsx").path.read_bytes())
    start = data.index(b"xl/workbook.xml") + len(b"xl/workbook.xml")
    data[start + 40] ^= 0xFF  # flip a byte inside the workbook part's compressed data
    path = tmp_path / "crc.xlsx"
    path.write_bytes(bytes(data))
    assert _rules(read_file(path), "error") == ["file_corrupt"]
