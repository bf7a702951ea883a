"""Indicator matching, units in headers and names, unknown rows, duplicates, foreign rows."""

import openpyxl

from transforms import ParseStatus, read_file


def _sheet(path, rows, title="Sheet1"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def test_names_with_prefixes_units_and_full_width(tmp_path):
    path = _sheet(tmp_path / "a.xlsx", [
        ["填报单位：市人民检察院"],
        ["序号", "指标名称", "２０２４", "2025年度"],
        [1, "（一）在校未成年人参与法治学习人次（人次）", 12000, 15000],
        [2, "2.未成年人法治课次数", 30, 40],
        [3, "  批准逮捕侵害未成年人犯罪案件数 ", 5, 6],
    ])
    result = read_file(path)
    values = {(o.indicator_code, o.year): o.value for o in result.observations}
    assert values[("procuratorate.legal_education.participants", 2024)] == 12000
    assert values[("procuratorate.legal_education.classes", 2025)] == 40
    assert values[("procuratorate.crimes_against_minors.arrest_cases", 2024)] == 5
    [note] = result.issues
    assert note.message_zh == ("「在校未成年人参与法治学习人次」按“人次”填报（C3:D3 共 2 个数值），"
                               "已换算为“万人次”。")


def test_unit_in_the_year_header_and_in_the_title_area(tmp_path):
    path = _sheet(tmp_path / "b.xlsx", [
        ["填报单位：团市委", None, "单位：万元"],
        ["指标名称", "2024年（人次）", "2025年"],
        ["12355青少年服务台线上咨询服务人次", 300, 400],
        ["募集关爱资金", None, 12.5],
    ])
    result = read_file(path)
    values = {(o.indicator_code, o.year): o for o in result.observations}
    assert values[("league.hotline_12355.consultations", 2024)].value == 300
    # 2025年 has no unit of its own: the table's 万元 applies; 人次 here is the catalogue unit.
    assert values[("league.care_fund.raised", 2025)].value == 125_000
    assert values[("league.care_fund.raised", 2024)].parse_status == ParseStatus.BLANK


def test_unknown_row_names_the_closest_indicators_and_total_rows_are_skipped(tmp_path):
    path = _sheet(tmp_path / "c.xlsx", [
        ["填报单位：市残联"],
        ["指标名称", "2025年"],
        ["残疾青年康复人次", 50],
        ["一、社会保障", None],
        ["合计", 50],
        ["小计：", 50],
    ])
    result = read_file(path)
    assert result.observations == []
    unknown, total, subtotal = result.issues
    assert (unknown.rule, unknown.severity, unknown.cell) == ("unknown_indicator", "warning", "A3")
    assert "「残疾青年康复救助人次」" in unknown.message_zh
    assert (total.rule, total.severity, subtotal.rule) == ("row_skipped", "info", "row_skipped")


def test_indicator_of_another_department_is_not_taken(tmp_path):
    path = _sheet(tmp_path / "d.xlsx", [
        ["填报单位：市残联"],
        ["指标名称", "2025年"],
        ["残疾儿童手术救助人数", 3],
        ["吸纳创业团队数", 12],
    ])
    result = read_file(path)
    assert [o.indicator_code for o in result.observations] == [
        "disabled.child_rehabilitation.surgeries"]
    [issue] = result.issues
    assert issue.rule == "indicator_not_owned" and issue.cell == "B4"


def test_conflicting_duplicate_rows_are_an_error_citing_both_cells(tmp_path):
    path = _sheet(tmp_path / "e.xlsx", [
        ["填报单位：市残联"],
        ["指标名称", "2025年"],
        ["残疾儿童手术救助人数", 3],
        ["手术救助人数", 4],
    ])
    result = read_file(path)
    [observation] = result.observations
    assert observation.cell == "B3"
    [issue] = result.issues
    assert (issue.rule, issue.severity) == ("duplicate_value", "error")
    assert issue.places == ("Sheet1!B3", "Sheet1!B4")
    assert "两个都暂不采用" in issue.message_zh


def test_identical_duplicate_rows_are_only_noted(tmp_path):
    path = _sheet(tmp_path / "e2.xlsx", [
        ["填报单位：市残联"],
        ["指标名称", "2025年"],
        ["残疾儿童手术救助人数", 3],
        ["手术救助人数", "3"],
    ])
    result = read_file(path)
    assert [o.value for o in result.observations] == [3]
    assert [(i.rule, i.severity) for i in result.issues] == [("duplicate_identical", "info")]


def test_years_outside_the_round_are_ignored_with_a_note(tmp_path):
    path = _sheet(tmp_path / "f.xlsx", [
        ["填报单位：市残联"],
        ["指标名称", "2020年", "2025年"],
        ["残疾儿童手术救助人数", 2, 3],
    ])
    result = read_file(path)
    assert [(o.year, o.value) for o in result.observations] == [(2025, 3)]
    assert [(i.rule, i.severity) for i in result.issues] == [("year_out_of_round", "info")]


def test_percent_formatted_cells_are_read_as_percent(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["填报单位：市残联"])
    sheet.append(["指标名称", "2025年"])
    sheet.append(["残疾青年家庭医生签约率", 0.925])
    sheet["B3"].number_format = "0.0%"
    path = tmp_path / "g.xlsx"
    workbook.save(path)
    [observation] = read_file(path).observations
    assert observation.value == 92.5


def test_no_table_is_one_issue(tmp_path):
    path = _sheet(tmp_path / "h.xlsx", [["青年工作总结"], ["今年我们做了很多工作。"]])
    result = read_file(path)
    assert [(i.rule, i.severity) for i in result.issues] == [("no_table", "error")]
