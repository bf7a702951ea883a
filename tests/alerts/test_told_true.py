"""Read as the clerks would: every mail of a run over the hard cases, parsed back and
compared with what the warehouse holds (tests/alerts/facts.py)."""

import pytest

from flows.runs import nightly, open_warehouse
from samples.hard_cases import HARD_CASES, write_hard_inbox
from tests.alerts.facts import (
    adopted_by_department,
    assert_issue_mails_tell_the_facts,
    assert_reminders_tell_the_ledger,
    assert_settled_refusals_are_named,
    assert_summary_lists_the_reports_doubts,
    assert_summary_tells_the_ledger,
    files_in_use,
    parse_outbox,
)
from tests.flows.conftest import project_at


@pytest.fixture(scope="module")
def hard_run(tmp_path_factory, prefect_server, corpus):
    """One run over the hard cases, read by every test of this file."""
    with project_at(tmp_path_factory.mktemp("hard")) as settings:
        write_hard_inbox(corpus, settings.inbox_dir)
        nightly("manual")
        yield settings, open_warehouse(settings)


def _mail(mails, kind, department):
    [found] = [m for m in mails if m.kind == kind and m.department == department]
    return found


def test_every_mail_of_the_hard_cases_states_the_warehouse_facts(hard_run):
    settings, warehouse = hard_run
    assert_issue_mails_tell_the_facts(warehouse, settings.outbox_dir)
    assert_summary_tells_the_ledger(settings.outbox_dir, settings.outputs_dir / "ledger.csv")
    assert_reminders_tell_the_ledger(settings.outbox_dir, settings.outputs_dir / "ledger.csv")
    assert_summary_lists_the_reports_doubts(settings.outbox_dir,
                                            settings.outputs_dir / "report.md")


def test_a_department_whose_every_file_is_refused_hears_which_and_why(hard_run):
    settings, _ = hard_run
    mails = parse_outbox(settings.outbox_dir)
    disabled = _mail(mails, "issues", "disabled")
    assert disabled.subject.endswith("填报数据需修改（3个文件未能采用）")
    for name, reason in [("残联填报表.xlsx", "文件是 Word 文档，不是 Excel 表格"),
                         ("残联数据（空）.xlsx", "工作簿是空的，没有找到任何数据"),
                         ("康复中心名单.xlsx", "没有找到指标表格")]:
        assert f"错误 | 《{name}》整个文件 |  |  |  | {reason}" in disabled.text
    assert "无法打开" not in disabled.text and disabled.attachments == []
    reminder = _mail(mails, "reminder", "disabled")
    assert "尚未报送青年发展数据" not in reminder.text  # it did send: its files were refused
    ledger = (settings.outputs_dir / "ledger.csv").read_text(encoding="utf-8-sig")
    assert "市残疾人联合会,45,0,0,3,0," in ledger and ",needs_fix,待修改" in ledger
    summary = _mail(mails, "summary", "office")
    assert "未识别单位" not in summary.text
    assert "市残疾人联合会 | 康复中心名单.xlsx | 3 | 未采用" in summary.text


def test_a_good_workbook_beside_a_bad_file_is_attached_marked(hard_run):
    settings, _ = hard_run
    edu = _mail(parse_outbox(settings.outbox_dir), "issues", "edu")
    assert edu.attachments == ["教育局填报表（问题已标注）.xlsx"]
    assert "错误 | 《教育局盖章版.xlsx》整个文件 |  |  |  | 文件是图片或 PDF" in edu.text
    assert "《教育局盖章版.xlsx》无法读取其中的数据，因此没有附上标注后的副本" in edu.text
    # The rate of 135 % is one error, not also a warning that it does not match its counts.
    assert [row.place for row in edu.rows].count("填报表!H10") == 1


def test_two_complementary_files_are_one_submission(hard_run):
    settings, warehouse = hard_run
    league = _mail(parse_outbox(settings.outbox_dir), "issues", "youth_league")
    assert "未填" not in league.subject and "未填报" not in league.text
    assert "解决了" not in league.text  # nothing was said before, so nothing was resolved
    assert league.attachments == ["团市委主表（问题已标注）.xlsx"]  # the file holding the error
    owned = len(warehouse.catalogue.owned_by("youth_league")) * len(warehouse.years)
    assert adopted_by_department(warehouse)["youth_league"] == owned - 1
    states = files_in_use(warehouse)
    assert states["团市委主表.xlsx"] == states["团市委志愿服务.xlsx"] == "in_use"
    summary = _mail(parse_outbox(settings.outbox_dir), "summary", "office")
    assert "已被新版本替代" not in summary.text


def test_a_negative_value_is_one_row_that_says_negative(hard_run):
    settings, _ = hard_run
    hrss = _mail(parse_outbox(settings.outbox_dir), "issues", "hrss")
    [row] = hrss.rows
    assert row.raw == "-31"
    assert "不能是负数" in hrss.text and "百万分之一" not in hrss.text


def test_warnings_only_a_not_applicable_year_and_a_two_row_header(hard_run):
    settings, warehouse = hard_run
    mails = parse_outbox(settings.outbox_dir)
    science = _mail(mails, "issues", "science")
    assert science.subject.endswith("填报数据请核对（1项提醒）")
    assert "这些数值已采用" in science.text and "表头写“备注”" in science.text
    adopted = adopted_by_department(warehouse)
    for code in ("culture_sports", "procuratorate"):
        owned = len(warehouse.catalogue.owned_by(code)) * len(warehouse.years)
        assert adopted[code] == owned, code
    assert not [m for m in mails if m.department == "procuratorate"]
    assert set(HARD_CASES) <= {d.code for d in warehouse.registry.submitting}


def test_a_broken_copy_beside_a_complete_workbook_is_named_not_a_problem(hard_run):
    """All its values adopted: the department is 已报 and hears once of the broken copy."""
    settings, warehouse = hard_run
    mails = [m for m in parse_outbox(settings.outbox_dir) if m.department == "culture_sports"]
    [confirmation] = mails
    assert confirmation.kind == "confirmation"
    assert "这些文件无需再处理" in confirmation.text
    assert "  文广旅体局填报表（副本）.xlsx | 文件已损坏，无法打开" in confirmation.text
    ledger = (settings.outputs_dir / "ledger.csv").read_text(encoding="utf-8-sig")
    assert "市文化广电旅游体育局,30,30,30,0,0," in ledger
    assert_settled_refusals_are_named(warehouse, settings.outbox_dir)
    assert files_in_use(warehouse)["文广旅体局填报表（副本）.xlsx"] == "rejected"
