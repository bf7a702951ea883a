"""Which department sent the file: 填报单位 cell, then inbox folder, then file name."""

import openpyxl
import pytest

from transforms import read_file


def _workbook(path, unit_line=None, rows=(("吸纳创业团队数", 12),)):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    if unit_line is not None:
        sheet.append(unit_line)
    sheet.append(["指标名称", "2025年"])
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


@pytest.mark.parametrize(
    "line",
    [
        ["填报单位：青源市人力资源和社会保障局（盖章）"],
        ["填报单位:市人社局"],
        ["填报单位：", None, "人社局"],
        ["填报单位：人社局    联系人：陈静"],
        ["报送单位：青源人社局"],
    ],
)
def test_unit_cell_variants(tmp_path, line):
    result = read_file(_workbook(tmp_path / "data.xlsx", line))
    assert result.department == "hrss"
    assert result.issues == []
    assert result.observations[0].value == 12


def test_folder_then_file_name(tmp_path):
    path = _workbook(tmp_path / "2025年数据.xlsx")
    assert read_file(path, folder="市人社局").department == "hrss"
    named = _workbook(tmp_path / "青源市人社局-青年数据.xlsx")
    result = read_file(named)
    assert result.department == "hrss" and result.issues == []


def test_unit_cell_wins_over_folder_with_a_warning(tmp_path):
    path = _workbook(tmp_path / "x.xlsx", ["填报单位：市人社局"])
    result = read_file(path, folder="教育局")
    assert result.department == "hrss"
    [issue] = result.issues
    assert issue.rule == "department_folder_mismatch" and issue.severity == "warning"


def test_unknown_department_is_inferred_from_indicators_with_a_warning(tmp_path):
    path = _workbook(tmp_path / "新建 Microsoft Excel 工作表.xlsx", ["填报单位：市财政局"])
    result = read_file(path)
    assert result.department == "hrss"
    [issue] = result.issues
    assert issue.rule == "department_inferred"


def test_unknown_department_without_any_clue_is_kept_and_reported(tmp_path):
    path = _workbook(tmp_path / "新建 Microsoft Excel 工作表.xlsx", ["填报单位：市财政局"],
                     rows=(("吸纳创业团队数", 12), ("残疾儿童手术救助人数", 3)))
    result = read_file(path)
    assert result.department is None
    [issue] = [i for i in result.issues if i.rule == "department_unknown"]
    assert issue.severity == "error"
    assert "市财政局" in issue.message_zh and (issue.sheet, issue.cell) == ("Sheet1", "A1")
    assert len(result.observations) == 2  # kept, never dropped


def test_conflicting_unit_cells(tmp_path):
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.append(["填报单位：市人社局"])
    first.append(["指标名称", "2025年"])
    first.append(["吸纳创业团队数", 1])
    second = workbook.create_sheet("Sheet2")
    second.append(["填报单位：市残联"])
    path = tmp_path / "two.xlsx"
    workbook.save(path)
    result = read_file(path)
    assert result.department is None
    assert [i.rule for i in result.issues] == ["department_conflict"]
