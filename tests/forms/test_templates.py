"""The templates are checked cell by cell, including validation ranges and protection."""

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from flows.cli import app
from forms.layout import DATA_SHEET, FIRST_DATA_ROW, GUIDE_SHEET, HEADER_ROW


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("templates")
    result = CliRunner().invoke(app, ["templates", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "已生成 9 份填报表" in result.output
    return out


def _open(template_dir, name):
    [path] = template_dir.glob(f"*_{name}.xlsx")
    return load_workbook(path)


def test_one_workbook_per_department(template_dir, registry):
    names = sorted(p.name for p in template_dir.glob("*.xlsx"))
    assert len(names) == len(registry.submitting)
    assert names == sorted(f"2026年青年发展数据填报表_{d.name}.xlsx" for d in registry.submitting)


def test_data_sheet_layout(template_dir, catalogue):
    workbook = _open(template_dir, "市教育局")
    assert workbook.sheetnames == [DATA_SHEET, GUIDE_SHEET]
    sheet = workbook[DATA_SHEET]
    assert sheet["A1"].value == "青源市青年发展数据填报表（2021—2025年）"
    assert sheet["A2"].value == "填报单位：市教育局"
    header = [c.value for c in sheet[HEADER_ROW]]
    assert header == ["序号", "指标代码", "指标名称", "单位",
                      "2021年", "2022年", "2023年", "2024年", "2025年", "备注"]
    owned = catalogue.owned_by("edu")
    rows = list(sheet.iter_rows(min_row=FIRST_DATA_ROW, max_col=4, values_only=True))
    assert rows == [(n, i.code, i.name, i.unit) for n, i in enumerate(owned, start=1)]
    assert sheet.freeze_panes == f"E{FIRST_DATA_ROW}"


def test_protection_locks_headers_and_codes_only(template_dir):
    sheet = _open(template_dir, "市教育局")[DATA_SHEET]
    assert sheet.protection.sheet is True
    first, last = FIRST_DATA_ROW, FIRST_DATA_ROW + 11
    for row in (first, last):
        for column in "ABCD":
            assert sheet[f"{column}{row}"].protection.locked is True
        for column in "EFGHIJ":
            assert sheet[f"{column}{row}"].protection.locked is False
    assert sheet[f"B{HEADER_ROW}"].protection.locked is True
    assert sheet["A1"].protection.locked is True


def test_validation_ranges_follow_the_checks(template_dir, catalogue):
    sheet = _open(template_dir, "市教育局")[DATA_SHEET]
    owned = catalogue.owned_by("edu")
    row_of = {i.code: FIRST_DATA_ROW + n for n, i in enumerate(owned)}
    by_cell = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            by_cell[cell_range.coord] = validation
    covered = sorted(by_cell)
    assert covered == sorted(f"E{r}:I{r}" for r in row_of.values())

    rate = by_cell[f"E{row_of['edu.disabled_children.enrolment_rate']}:I"
                   f"{row_of['edu.disabled_children.enrolment_rate']}"]
    assert (rate.type, rate.operator, rate.formula1, rate.formula2) == ("decimal", "between",
                                                                        "0.0", "100.0")
    count = by_cell[f"E{row_of['edu.disabled_children.total']}:I"
                    f"{row_of['edu.disabled_children.total']}"]
    assert (count.type, count.operator, count.formula1) == ("whole", "greaterThanOrEqual", "0.0")
    assert count.showInputMessage and "整数" in count.prompt and "单位：人" in count.prompt
    assert count.errorStyle == "warning" and count.allow_blank
    allowance_row = row_of["edu.teachers.incentive_allowance"]
    allowance = by_cell[f"E{allowance_row}:I{allowance_row}"]
    assert (allowance.type, allowance.operator) == ("decimal", "greaterThan")


def test_guide_sheet_lists_every_indicator_with_its_checks(template_dir, catalogue):
    sheet = _open(template_dir, "市教育局")[GUIDE_SHEET]
    cells = {c.value for row in sheet.iter_rows() for c in row if c.value}
    for indicator in catalogue.owned_by("edu"):
        assert indicator.code in cells and indicator.definition in cells
    joined = "\n".join(map(str, cells))
    assert "「普通学校随班就读残疾儿童人数」 不得超过 「义务教育阶段残疾儿童人数」" in joined
    assert "可相加（每年新发生的数）" in joined and "不相加（每年的现有数、名单或比率）" in joined
    assert sheet.protection.sheet is True


def test_no_placeholder_in_any_template(template_dir):
    for path in template_dir.glob("*.xlsx"):
        for sheet in load_workbook(path).worksheets:
            for row in sheet.iter_rows(values_only=True):
                assert not any("XX" in str(v) for v in row if v is not None), path.name


def test_templates_print_on_a4_with_codes_hidden_and_the_office_contact(template_dir, registry):
    workbook = _open(template_dir, "市教育局")
    for sheet in workbook:
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.oddFooter.center.text == "第 &P 页 共 &N 页"
        assert sheet.column_dimensions["B"].hidden  # 指标代码: for the reader, not the clerk
    office = registry.office
    guide = "\n".join(str(c.value) for c in workbook[GUIDE_SHEET]["A"] if c.value)
    assert office.contact in guide and office.phone in guide and office.email in guide
