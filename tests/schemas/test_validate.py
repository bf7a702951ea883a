"""Validation through the real reader: exact cells, severities and Chinese messages."""

import openpyxl
import pytest

from schemas.completeness import missing_indicators
from schemas.validate import validate
from transforms import read_file

EDU_ROWS = {  # row of each edu indicator in our template (first data row is 5)
    "edu.student_aid.policies": 5,
    "edu.student_aid.beneficiaries": 6,
    "edu.disabled_children.total": 7,
    "edu.disabled_children.regular_school": 8,
    "edu.disabled_children.special_education": 9,
    "edu.disabled_children.enrolment_rate": 10,
    "edu.teachers.recruited": 11,
    "edu.teachers.incentive_allowance": 12,
}
YEAR_COLUMN = dict(zip(range(2021, 2026), "EFGHI", strict=True))


@pytest.fixture
def edu_template(corpus):
    """A correctly filled 市教育局 template to break one cell at a time."""
    sample = corpus.filled_template("edu", "edu_validation.xlsx")
    return sample.path


def _edit(path, edits: dict[str, object], target):
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["填报表"]
    for cell, value in edits.items():
        sheet[cell] = value
    workbook.save(target)
    return target


def _cell(code, year):
    return f"{YEAR_COLUMN[year]}{EDU_ROWS[code]}"


def _issues(path, prior=None):
    result = validate([read_file(path)], prior)
    return result, [i for i in result.issues if i.severity != "info"]


def test_clean_template_has_no_issue_and_every_value_accepted(edu_template):
    result, issues = _issues(edu_template)
    assert issues == []
    assert all(a.accepted and not a.flagged for a in result.assessments)
    assert len(result.assessments) == 60


def test_parts_above_total_message_cites_both_cells(edu_template, tmp_path):
    path = _edit(edu_template, {"H7": 1200, "H8": 1320, "H9": 10, "H10": 95}, tmp_path / "a.xlsx")
    result, issues = _issues(path)
    rules = sorted((i.rule, i.severity) for i in issues if i.rule != "yoy_jump")
    assert rules == [
        ("enrolment_rate_matches_counts", "warning"),
        ("regular_school_within_total", "error"),
    ]
    [issue] = [i for i in issues if i.rule == "regular_school_within_total"]
    assert issue.message_zh == (
        "填报表!H8、填报表!H7 「普通学校随班就读残疾儿童人数」2024年填报1,320人，"
        "超过同年「义务教育阶段残疾儿童人数」1,200人；请核对两项数据。"
    )
    assert issue.cells == ("填报表!H8", "填报表!H7")
    assert (issue.cell, issue.indicator_code, issue.year) == (
        "H8",
        "edu.disabled_children.regular_school",
        2024,
    )
    rejected = {a.observation.cell for a in result.assessments if not a.accepted}
    # H9 and H10 are flagged (a jump, the rate warning) but accepted.
    assert rejected == {"H7", "H8"}


def test_two_parts_above_total(edu_template, tmp_path):
    path = _edit(
        edu_template, {"H7": 1200, "H8": 700, "H9": 600, "H10": 108.3}, tmp_path / "b.xlsx"
    )
    _, issues = _issues(path)
    [parts] = [i for i in issues if i.rule == "enrolled_within_total"]
    assert (
        "「普通学校随班就读残疾儿童人数」与「接受特殊教育残疾儿童人数」2024年合计1,300人"
        in parts.message_zh
    )
    assert len(parts.cells) == 3
    [rate] = [i for i in issues if i.rule == "above_maximum"]
    assert rate.message_zh.startswith(
        "填报表!H10 「残疾儿童入学率」2024年填报108.3％，超过上限100％"
    )


def test_rate_inconsistent_with_counts_is_a_warning_and_accepted(edu_template, tmp_path):
    path = _edit(edu_template, {"H7": 1000, "H8": 800, "H9": 150, "H10": 90}, tmp_path / "c.xlsx")
    result, issues = _issues(path)
    [issue] = issues
    assert issue.rule == "enrolment_rate_matches_counts" and issue.severity == "warning"
    assert (
        "按（普通学校随班就读残疾儿童人数＋接受特殊教育残疾儿童人数）"
        "÷ 义务教育阶段残疾儿童人数计算约为95％" in issue.message_zh
    )
    rate = next(a for a in result.assessments if a.observation.cell == "H10")
    assert rate.accepted and rate.flagged


def test_yoy_jump_against_prior_accepted_value_and_explanation(edu_template, tmp_path):
    path = _edit(
        edu_template, {"E11": 5000, "J11": "2021年起实施人才引进专项计划"}, tmp_path / "d.xlsx"
    )
    prior = {("edu", "edu.teachers.recruited", 2020): 40.0}
    result, issues = _issues(path, prior)
    jumps = [i for i in issues if i.rule == "yoy_jump"]
    assert [(i.cell, i.year) for i in jumps] == [("E11", 2021), ("F11", 2022)]
    assert jumps[0].message_zh.startswith(
        "填报表!E11 「补充青年教育人才人数」2021年填报5,000人，是上年40人的125倍"
    )
    assert all(i.explained and i.explanation == "2021年起实施人才引进专项计划" for i in jumps)
    flagged = {a.observation.cell for a in result.assessments if a.flagged}
    assert flagged == {"E11", "F11"}


def test_errors_are_never_accepted_and_cannot_be_explained(edu_template, tmp_path):
    path = _edit(edu_template, {"E5": -3, "J5": "上级政策调整"}, tmp_path / "e.xlsx")
    result, issues = _issues(path)
    [issue] = issues
    assert (issue.rule, issue.severity, issue.explained) == ("below_minimum", "error", False)
    assert (
        issue.message_zh
        == "填报表!E5 「落实学生资助政策项数」2021年填报-3项，不能是负数；"
        "请填写当年的实际数（没有发生的填0）。"
    )
    assert not next(a for a in result.assessments if a.observation.cell == "E5").accepted


def test_twenty_problems_in_one_pass(edu_template, tmp_path):
    edits = {
        "E5": -1,
        "F5": 2.5,
        "G5": "见附件",
        "H5": "约12",
        "I5": None,  # 5
        "E6": "待统计",
        "F6": -0.5,
        "G6": "300余",
        "H6": None,
        "I6": "x12",  # 5
        "E12": 0,
        "F12": -100,
        "G12": "约5000",
        "H12": None,
        "I12": "未发放",  # 5
        "E11": 3.5,
        "F11": -2,
        "G11": "很多",
        "H11": None,
        "I11": "约20",  # 5
    }
    path = _edit(edu_template, edits, tmp_path / "f.xlsx")
    _, issues = _issues(path)
    by_cell = {}
    for issue in issues:
        by_cell.setdefault(issue.cell, []).append(issue.rule)
    expected = {
        "E5": ["below_minimum"],
        "F5": ["not_integer"],
        "G5": ["unparsed"],
        "H5": ["approximate"],
        "I5": ["missing_value"],
        "E6": ["unparsed"],
        "F6": ["below_minimum"],
        "G6": ["approximate"],
        "H6": ["missing_value"],
        "I6": ["unparsed"],
        "E12": ["not_positive"],
        "F12": ["not_positive"],
        "G12": ["approximate"],
        "H12": ["missing_value"],
        "I12": ["unparsed"],
        "E11": ["not_integer"],
        "F11": ["below_minimum"],
        "G11": ["unparsed"],
        "H11": ["missing_value"],
        "I11": ["approximate"],
    }
    for cell, rules in expected.items():
        assert sorted(set(by_cell[cell]) - {"yoy_jump"}) == rules, cell
    assert len(expected) == 20


def test_blank_cell_with_a_prior_value_is_not_missing(edu_template, tmp_path):
    path = _edit(edu_template, {"E5": None}, tmp_path / "g.xlsx")
    _, issues = _issues(path, {("edu", "edu.student_aid.policies", 2021): 12.0})
    assert issues == []
    _, issues = _issues(path)
    [issue] = issues
    assert (
        issue.message_zh
        == "填报表!E5 「落实学生资助政策项数」2021年未填报；请补填，确实不适用的请填“—”。"
    )


def test_reader_notes_pass_through_as_info(corpus):
    sample = corpus.wide_messy("disabled", "残联_info.xlsx")
    result, issues = _issues(sample.path)
    assert issues == []
    [note] = [i for i in result.issues if i.severity == "info"]
    assert (note.rule, note.department, note.file) == ("row_skipped", "disabled", "残联_info.xlsx")


def test_batch_of_many_departments_at_once(corpus, registry, catalogue, parameters):
    batch = [
        read_file(corpus.filled_template(d.code, f"batch_{d.code}.xlsx").path)
        for d in registry.submitting
    ]
    result = validate(batch)
    assert [i for i in result.issues if i.severity != "info"] == []
    assert len(result.assessments) == len(catalogue.indicators) * len(parameters.round.years)


def test_completeness_counts_not_applicable_as_submitted(catalogue):
    submitted = {("org", "org.green_channel.returnees", y) for y in (2021, 2022, 2023)}
    missing = missing_indicators(submitted, ["org"], catalogue, (2021, 2022, 2023, 2024))
    assert missing == {"org": {2021: [], 2022: [], 2023: [], 2024: ["org.green_channel.returnees"]}}


def test_uncalculated_formula_is_one_error_and_text_starting_with_equals_is_unparsed(
        corpus, tmp_path):
    sample = corpus.uncalculated_formula("科技局_公式_校验.xlsx")
    result = validate([read_file(sample.path)])
    assert [(i.rule, i.cell) for i in result.issues] == [("formula_not_calculated", "I5")]
    assert result.issues[0].message_zh.startswith("填报表!I5 公式未计算")
    workbook = openpyxl.load_workbook(sample.path)
    cell = workbook["填报表"]["I5"]
    cell.value, cell.data_type = "=1+1", "s"  # text that merely looks like a formula
    workbook.save(tmp_path / "text.xlsx")
    [issue] = validate([read_file(tmp_path / "text.xlsx")]).issues
    assert (issue.rule, issue.raw_value) == ("unparsed", "=1+1")


def test_zero_after_a_non_zero_year_is_a_warning_not_a_crash(edu_template, tmp_path):
    path = _edit(edu_template, {"G11": 0, "H11": "0", "J11": "2023年起暂停招聘"},
                 tmp_path / "zero.xlsx")
    result, issues = _issues(path)
    [issue] = [i for i in issues if i.rule == "yoy_jump"]
    assert (issue.cell, issue.year, issue.severity) == ("G11", 2023, "warning")
    assert "2023年填报0，上年为" in issue.message_zh and issue.explained
    # 2024 follows a zero: no ratio to speak of, and nothing else breaks.
    assert not [i for i in issues if i.cell in ("H11", "I11")]
    assert next(a for a in result.assessments if a.observation.cell == "G11").accepted


def test_a_value_typed_in_persons_into_a_ten_thousand_column_is_an_error_with_the_fix(
        corpus, tmp_path, figures):
    volunteers = {year: figures[("league.volunteers.registered", year)]
                  for year in range(2021, 2026)}
    slipped = round(volunteers[2023] * 10_000)
    sample = corpus.filled_template("youth_league", "slip.xlsx", typed={
        ("league.volunteers.registered", 2023): slipped})
    result = validate([read_file(sample.path)])
    slips = [i for i in result.issues if i.indicator_code == "league.volunteers.registered"]
    [issue] = slips  # neither the slip's neighbour 2024 nor anything else is flagged
    assert (issue.rule, issue.severity, issue.year) == ("unit_slip", "error", 2023)
    corrected = f"{volunteers[2023]:g}"
    assert f"疑似按“人”填报，应为{corrected}万人？" in issue.message_zh
    verdicts = {a.observation.year: a.accepted for a in result.assessments
                if a.observation.indicator_code == "league.volunteers.registered"}
    assert verdicts == {2021: True, 2022: True, 2023: False, 2024: True, 2025: True}


def test_a_value_typed_in_ten_thousands_into_a_persons_column_is_caught_too(
        edu_template, tmp_path, figures):
    recruited = figures[("edu.teachers.recruited", 2023)]
    path = _edit(edu_template, {"G11": recruited / 10_000}, tmp_path / "down.xlsx")
    _, issues = _issues(path)
    [issue] = [i for i in issues if i.cell == "G11" and i.rule != "not_integer"]
    assert issue.rule == "unit_slip"
    assert f"疑似按“万人”填报，应为{int(recruited):,}人？" in issue.message_zh


def test_many_files_of_one_department_disagreeing_name_a_few_and_count_the_rest(
        edu_template, tmp_path):
    cell = _cell("edu.teachers.recruited", 2025)
    versions = [read_file(_edit(edu_template, {cell: 100 + n}, tmp_path / f"v{n}.xlsx"))
                for n in range(6)]
    conflicts = [i for i in validate(versions).issues if i.rule == "conflicting_files"]
    assert len(conflicts) == 6 and {i.cell for i in conflicts} == {cell}
    first = next(i for i in conflicts if i.file == "v0.xlsx")
    assert "《v1.xlsx》" in first.message_zh and "《v4.xlsx》" not in first.message_zh
    assert "等 5 个文件" in first.message_zh and "这些文件的该项都暂不采用" in first.message_zh
    agreeing = validate([read_file(edu_template), read_file(edu_template)])
    assert not [i for i in agreeing.issues if i.rule == "conflicting_files"]


def test_a_note_column_added_to_a_sheet_without_one_explains_a_warning(corpus, tmp_path):
    """What the mail tells a clerk whose sheet has no 备注: add a column headed 备注 at the
    right of the table and write the reason in the row. It works on the per-year .xls."""
    import xlwt

    code = "sports.snowboard_national.shortlisted"
    sample = corpus.per_year_xls("culture_sports", "文广旅体局.xls")
    source = read_file(sample.path)
    row_of = {o.indicator_code: int(o.cell[1:]) for o in source.observations if o.year == 2023}
    rebuilt = xlwt.Workbook(encoding="utf-8")
    for year in corpus.years:
        values = {o.indicator_code: o for o in source.observations if o.year == year}
        sheet_name = next(iter(values.values())).sheet
        sheet = rebuilt.add_sheet(sheet_name)
        sheet.write(1, 0, "填报单位：市文化广电旅游体育局")
        for column, label in enumerate(["序号", "指标名称", "单位", "数值", "备注"]):
            sheet.write(3, column, label)
        for indicator in corpus.catalogue.owned_by("culture_sports"):
            row = row_of[indicator.code] - 1
            observation = values[indicator.code]
            sheet.write(row, 1, indicator.name)
            sheet.write(row, 2, indicator.unit)
            value = 0 if (indicator.code, year) == (code, 2023) else observation.value
            sheet.write(row, 3, value)
            if (indicator.code, year) == (code, 2023):
                sheet.write(row, 4, "2023年未组织选拔")
    path = tmp_path / "文广旅体局（加备注）.xls"
    rebuilt.save(str(path))
    result = read_file(path)
    issues = validate([result]).issues
    [zero] = [i for i in issues if i.indicator_code == code and i.year == 2023]
    assert zero.rule == "yoy_jump" and zero.explained and zero.explanation == "2023年未组织选拔"
