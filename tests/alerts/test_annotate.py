"""The annotated copy of a department's file, for every format it may have sent."""

import io
from pathlib import Path

import openpyxl

from alerts.annotate import CellProblem, annotated_workbook
from config import PROJECT_ROOT

FIXTURES = PROJECT_ROOT / "tests" / "transforms" / "fixtures"


def _open(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_xls_input_becomes_an_xlsx_with_the_same_addresses():
    problem = CellProblem("error", "填报表", "F9", "12355青少年服务台线上咨询服务人次", 2022,
                          "约3000", "填报表!F9 …请填写准确数字。")
    workbook = _open(annotated_workbook(FIXTURES / "libreoffice_团市委.xls", [problem]))
    assert workbook.sheetnames[0] == "问题清单"
    sheet = workbook["填报表"]
    assert sheet["F9"].value == "约3000" and sheet["F9"].fill.fgColor.rgb == "00FFC7CE"
    assert sheet["A2"].value == "填报单位：团市委"
    assert sheet["F9"].comment.text.startswith("【错误】")


def test_csv_input_and_a_returned_annotated_copy(tmp_path):
    csv = tmp_path / "卫健委.csv"
    csv.write_bytes("填报单位：市卫健委\n指标名称,2025年\n注册心理咨询志愿者人数,-5\n".encode("gbk"))
    problem = CellProblem("error", "CSV", "B3", "注册心理咨询志愿者人数", 2025, "-5", "不能小于 0")
    first = annotated_workbook(csv, [problem])
    assert _open(first)["CSV"]["B3"].value == -5
    returned = tmp_path / "returned.xlsx"
    returned.write_bytes(first)
    again = _open(annotated_workbook(returned, [problem]))
    assert again.sheetnames.count("问题清单") == 1  # the old list is replaced, not stacked
    assert again["问题清单"].max_row == 2


def test_problem_on_a_sheet_that_does_not_exist_is_listed_not_marked():
    source = PROJECT_ROOT / "inbox" / "科技局填报表.xlsx"
    problem = CellProblem("warning", "", "", "", None, "", "文件名中出现多个单位")
    workbook = _open(annotated_workbook(Path(source), [problem]))
    assert workbook["问题清单"]["C2"].value == "整个文件"


def test_a_converted_xls_keeps_the_departments_merged_cells(corpus):
    """The per-year .xls has its title merged across A1:D1: the copy merges it again
    instead of repeating the title in every cell."""
    sample = corpus.per_year_xls("culture_sports", "文广旅体局.xls")
    problem = CellProblem("warning", "2021年", "D5", "青少年活动场次", 2021, "1", "…")
    sheet = _open(annotated_workbook(sample.path, [problem]))["2021年"]
    assert "A1:D1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["A1"].value == "2021年青年发展数据" and sheet["B1"].value is None
    assert sheet["D5"].fill.fgColor.rgb == "00FFEB9C"
