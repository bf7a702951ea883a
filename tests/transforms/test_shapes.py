"""Every workbook shape, read from a real file, gives exact values, statuses and cells."""

import pytest

from transforms import ParseStatus, read_file


def _check(sample, result):
    assert result.department == sample.department
    got = {(o.indicator_code, o.year): o for o in result.observations}
    assert len(got) == len(result.observations)
    for expected in sample.expected:
        observation = got.pop((expected.indicator_code, expected.year))
        assert observation.value == pytest.approx(expected.value) if expected.value is not None \
            else observation.value is None, expected
        assert observation.parse_status == expected.status, expected
        assert (observation.sheet, observation.cell) == (expected.sheet, expected.cell), expected
        assert observation.file_sha256 == result.file_sha256
        assert observation.department == sample.department
    assert not got, f"unexpected observations: {sorted(got)}"


def test_own_template_round_trips_exactly(corpus):
    sample = corpus.filled_template("edu")
    result = read_file(sample.path)
    assert result.issues == []
    assert result.file_format == "xlsx"
    _check(sample, result)
    assert len(result.observations) == 12 * 5
    assert all(o.value == e.value for o, e in zip(result.observations, sample.expected,
                                                   strict=True))


def test_every_department_template_round_trips(corpus, registry):
    for department in registry.submitting:
        sample = corpus.filled_template(department.code, f"roundtrip_{department.code}.xlsx")
        result = read_file(sample.path)
        assert result.issues == []
        _check(sample, result)


def test_wide_table_with_title_merged_two_row_header_and_notes(corpus):
    sample = corpus.wide_messy("disabled", "残联近五年数据.xlsx")
    result = read_file(sample.path)
    _check(sample, result)
    rules = [(i.rule, i.severity) for i in result.issues]
    assert rules == [("row_skipped", "info")]
    assert result.issues[0].message_zh == "已跳过合计行“合计”。"


def test_wide_table_converts_units_and_says_so(corpus):
    sample = corpus.wide_messy("procuratorate", "检察院数据.xlsx")
    result = read_file(sample.path)
    _check(sample, result)
    participants = [o for o in result.observations
                    if o.indicator_code == "procuratorate.legal_education.participants"]
    assert {o.year for o in participants} == {2021, 2022, 2023, 2024, 2025}
    [conversion] = [i for i in result.issues if i.rule == "unit_converted"]
    assert conversion.severity == "info"
    assert conversion.message_zh == (
        f"「在校未成年人参与法治学习人次」按“人次”填报（{participants[0].cell}:"
        f"{participants[-1].cell} 共 5 个数值），已换算为“万人次”。")
    assert conversion.cell == participants[0].cell


def test_long_table_any_column_order_department_from_folder(corpus):
    sample = corpus.long_table("hrss", "long.xlsx", folder="人社局")
    result = read_file(sample.path, folder=sample.folder)
    assert result.issues == []
    _check(sample, result)


def test_one_sheet_per_year_in_old_xls(corpus):
    sample = corpus.per_year_xls("culture_sports", "文广旅体局.xls")
    result = read_file(sample.path)
    assert result.file_format == "xls"
    assert result.issues == []
    _check(sample, result)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_csv_in_utf8_and_gbk(corpus, encoding):
    sample = corpus.csv_table("health", f"卫健委_{encoding}.csv", encoding)
    result = read_file(sample.path)
    assert result.file_format == "csv"
    assert result.issues == []
    _check(sample, result)


def test_every_way_of_typing_a_value(corpus):
    sample = corpus.values_zoo("教育局_各种写法.xlsx")
    result = read_file(sample.path)
    _check(sample, result)
    by_cell = {o.cell: o for o in result.observations}
    assert by_cell["E6"].raw_value == "1.2万"
    assert by_cell["I6"].raw_value == "见附件"
    recruited = [o for o in result.observations if o.indicator_code == "edu.teachers.recruited"]
    assert {o.note for o in recruited} == {"2023年数据待人社部门核定"}
    converted = {i.cell for i in result.issues if i.rule == "unit_converted"}
    assert {"E6", "G6", "H6", "F14"} == converted
    assert all(i.severity == "info" for i in result.issues)


def test_uncalculated_formula_is_an_issue_never_a_silent_blank(corpus):
    sample = corpus.uncalculated_formula("科技局_公式.xlsx")
    result = read_file(sample.path)
    _check(sample, result)
    [issue] = result.issues
    assert issue.rule == "formula_not_calculated" and issue.severity == "error"
    assert issue.message_zh == (
        "公式未计算，请在 Excel/WPS 中打开后保存（公式“=E5+F5”没有计算结果）。")
    assert (issue.sheet, issue.cell) == ("填报表", "I5")
    assert next(o for o in result.observations if o.cell == "I5").raw_value == "=E5+F5"


def test_macro_workbook_is_read_without_running_anything(corpus):
    sample = corpus.macro_workbook("组织部.xlsm")
    result = read_file(sample.path)
    assert result.issues == []
    _check(sample, result)


def test_blank_cells_are_observations_marked_blank(corpus, registry, parameters, catalogue,
                                                   tmp_path):
    from forms.workbook import write_template

    path = write_template(registry.get("org"), catalogue, parameters, tmp_path)
    result = read_file(path)
    assert result.issues == []
    assert {o.parse_status for o in result.observations} == {ParseStatus.BLANK}
    assert len(result.observations) == 5
