"""The run's products, checked cell by cell, on both dialects."""

import csv
import datetime as dt
import re

import openpyxl
import pytest

from pipeline.outputs import export_products
from products.tables import escape
from tests.warehouse.helpers import drop, run


def _csv(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def exported(warehouse, settings, corpus, tmp_path, figures):
    sample = corpus.filled_template("org", "org.xlsx")
    workbook = openpyxl.load_workbook(sample.path)
    workbook["填报表"]["F5"] = "=HYPERLINK(\"http://evil\")"
    workbook["填报表"]["F5"].data_type = "s"  # typed as text, not a formula
    workbook["填报表"]["H5"] = "—"
    evil = tmp_path / "@组织部.xlsx"
    workbook.save(evil)
    drop(settings, evil)
    drop(settings, corpus.filled_template("disabled", "残联.xlsx").path)
    run(warehouse, settings)
    return export_products(warehouse, settings.outputs_dir)


def test_indicator_table_csv(exported, catalogue, figures, settings, parameters):
    rows = _csv(settings.outputs_dir / "indicator_table.csv")
    assert list(rows[0]) == ["indicator_code", "indicator_name", "unit", "department", "year",
                             "value", "status", "source_file", "source_cell", "status_zh"]
    assert len(rows) == len(catalogue.indicators) * len(parameters.round.years)
    by_key = {(r["indicator_code"], r["year"]): r for r in rows}
    ok = by_key[("org.green_channel.returnees", "2021")]
    assert ok == {
        "indicator_code": "org.green_channel.returnees",
        "indicator_name": "绿色通道回乡就业青年人数",
        "unit": "人", "department": "市委组织部", "year": "2021",
        "value": str(int(figures[("org.green_channel.returnees", 2021)])), "status": "ok",
        "source_file": "'@组织部.xlsx", "source_cell": "填报表!E5", "status_zh": "已采用"}
    assert by_key[("org.green_channel.returnees", "2022")]["status"] == "rejected"
    assert by_key[("org.green_channel.returnees", "2022")]["value"] == ""
    assert by_key[("org.green_channel.returnees", "2024")]["status"] == "not_applicable"
    missing = by_key[("edu.disabled_children.total", "2025")]
    assert (missing["status"], missing["value"], missing["source_file"]) == ("missing", "", "")
    # Values are in the reporting unit named in `unit`.
    funds = by_key[("disabled.child_rehabilitation.funds", "2021")]
    assert funds["unit"] == "万元"
    assert float(funds["value"]) == figures[("disabled.child_rehabilitation.funds", 2021)]


def test_issues_and_ledger_csv(exported, settings):
    [issue] = _csv(settings.outputs_dir / "issues.csv")
    assert (issue["severity_zh"], issue["state_zh"]) == ("错误", "待处理")
    assert issue["department"] == "市委组织部" and issue["file"] == "'@组织部.xlsx"
    assert (issue["sheet"], issue["cell"], issue["rule"], issue["severity"], issue["state"]) == (
        "填报表", "F5", "unparsed", "error", "open")
    assert issue["raw_value"] == "'=HYPERLINK(\"http://evil\")"
    ledger = {r["department"]: r for r in _csv(settings.outputs_dir / "ledger.csv")}
    assert ledger["市委组织部"]["status"] == "needs_fix"
    assert (ledger["市委组织部"]["expected"], ledger["市委组织部"]["accepted"],
            ledger["市委组织部"]["open_errors"]) == ("5", "4", "1")
    assert ledger["市残疾人联合会"]["status"] == "submitted"
    assert ledger["市教育局"]["status"] == "not_submitted"
    assert ledger["市教育局"]["last_submission"] == ""
    # Machine timestamps: ISO 8601 with the local offset, the same text on both databases.
    for moment in (issue["first_seen"], issue["last_seen"],
                   ledger["市委组织部"]["last_submission"]):
        parsed = dt.datetime.fromisoformat(moment)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", moment), moment
        assert parsed.utcoffset() == dt.timedelta(hours=8)


def test_indicator_table_xlsx_for_people(exported, settings, figures):
    workbook = openpyxl.load_workbook(settings.outputs_dir / "indicator_table.xlsx")
    assert workbook.sheetnames == ["汇总", "报送情况", "问题清单", "图例"]
    summary = workbook["汇总"]
    assert summary.column_dimensions["A"].hidden  # codes are for machines
    assert summary.auto_filter.ref
    assert [c.value for c in summary[1]] == ["指标代码", "指标名称", "单位", "责任单位", "2021年",
                                           "2022年", "2023年", "2024年", "2025年", "五年报告取值",
                                           "报告用法"]
    assert summary.freeze_panes == "E2"
    org = next(row for row in summary.iter_rows(min_row=2)
               if row[0].value == "org.green_channel.returnees")
    assert org[4].value == figures[("org.green_channel.returnees", 2021)]
    # Rejected: what was sent stays visible, struck through, escaped, and said why.
    assert org[5].value == "'=HYPERLINK(\"http://evil\")" and org[5].font.strike
    assert org[5].fill.fgColor.rgb.endswith("FF9999")
    assert org[5].comment.text.startswith("报送了但未通过校验，暂无可用数值；报送值")
    assert "不是数字" in org[5].comment.text
    assert org[7].comment.text.startswith("单位填报为“不适用”")  # every coloured cell says why
    assert org[7].value == "—"
    assert org[9].value is None  # a sum with a missing year is no figure
    funds = next(row for row in summary.iter_rows(min_row=2)
                 if row[0].value == "disabled.child_rehabilitation.funds")
    expected = sum(figures[("disabled.child_rehabilitation.funds", y)]
                   for y in range(2021, 2026))
    assert funds[9].value == pytest.approx(expected)
    ledger = workbook["报送情况"]
    statuses = {row[0].value: (row[7].value, row[8].value)
                for row in ledger.iter_rows(min_row=2)}
    assert statuses["市委组织部"] == ("收件箱", "待修改")
    assert statuses["市教育局"] == (None, "未报")
    issues = workbook["问题清单"]
    assert issues.cell(2, 1).value == "市委组织部"
    assert issues.cell(2, 6).value == "'=HYPERLINK(\"http://evil\")"
    assert issues.cell(2, 7).value == "错误"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", issues.cell(2, 10).value)  # local, whole
    states = {row[6].value: row[8].value for row in issues.iter_rows(min_row=2)}
    assert states.get("说明", "仅供知悉") == "仅供知悉"  # a note asks nobody to act
    assert all(issues.row_dimensions[r].height for r in range(2, issues.max_row + 1))


USER_TEXT = {"文件", "填报值", "问题说明", "指标名称", "责任单位"}  # typed by people, any script


def test_no_machine_code_in_any_sheet_a_person_reads(exported, settings):
    workbook = openpyxl.load_workbook(settings.outputs_dir / "indicator_table.xlsx")
    for sheet in workbook:
        header = [c.value for c in sheet[1]]
        for column, title in enumerate(header, start=1):
            letter = openpyxl.utils.get_column_letter(column)
            if sheet.column_dimensions[letter].hidden or title in USER_TEXT:
                continue
            for (cell,) in sheet.iter_rows(min_col=column, max_col=column):
                if cell.font.strike:
                    continue  # a refused value as the department typed it
                assert not re.search(r"[a-z_]{4,}", str(cell.value or "")), (sheet.title,
                                                                             cell.value)


def test_every_sheet_prints_on_a4_one_page_wide_with_page_numbers(exported, settings):
    workbook = openpyxl.load_workbook(settings.outputs_dir / "indicator_table.xlsx")
    for sheet in workbook:
        assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.oddFooter.center.text == "第 &P 页 共 &N 页"
        assert sheet.oddHeader.center.text
    summary = workbook["汇总"]
    assert summary.print_title_rows == "$1:$1"
    rate = next(row for row in summary.iter_rows(min_row=2)
                if row[0].value == "edu.disabled_children.enrolment_rate")
    assert rate[4].number_format == "0.0"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_injection_escape(text):
    assert escape(text) == "'" + text
    assert escape("正常文本") == "正常文本" and escape(-1) == -1
