"""确认采用: the office confirms a warned value, with a reason, on SQLite and PostgreSQL.
The decision is a row of its own; the warning is settled as 联席办确认, the report's
【待核】 mark goes and 附件二 cites it; a later file with the same value stays confirmed,
a different value is warned again."""

import threading

import openpyxl
import pytest
from sqlalchemy import select

from alerts.stage import run_alerts
from config import PROJECT_ROOT
from config.clock import local_text
from pipeline.outputs import refresh_outputs
from pipeline.review import BadValue, Review, UnknownIndicator, awaiting, held_files
from pipeline.signoff import lock, signed, unlock
from report.build import refresh_report
from report.figures import figures_by_indicator, open_warnings
from schemas.round import get_round
from tests.alerts.facts import parse_outbox
from tests.warehouse.helpers import drop, issues, run
from warehouse.decisions import DecisionRefused, history
from warehouse.models import AcceptedValue, Decision
from warehouse.scope import Scope
from warehouse.table import consolidated_table, open_issues

ARRESTED = "procuratorate.crimes_against_minors.arrest_persons"
REASON = "电话核实：一案多人与并案，人数少于件数属实"
SOURCE = PROJECT_ROOT / "inbox" / "检察院未成年人检察工作数据.xlsx"


def _procuratorate(tmp_path, name: str, **cells) -> object:
    workbook = openpyxl.load_workbook(SOURCE)
    for cell, value in cells.items():
        workbook.active[cell] = value
    path = tmp_path / name
    workbook.save(path)
    return path


def _warning(warehouse):
    [found] = [i for i in issues(warehouse, indicator_code=ARRESTED, year=2023)
               if i.severity == "warning"]
    return found


def _figure(warehouse):
    with warehouse.begin() as session:
        table = consolidated_table(session, warehouse.catalogue, warehouse.registry,
                                   warehouse.years)
        warnings = open_warnings(open_issues(session))
    return figures_by_indicator(table, warehouse.catalogue, warehouse.registry, get_round(),
                                warnings)[ARRESTED]


def test_a_confirmed_value_is_settled_cited_and_kept(warehouse, settings, tmp_path):
    drop(settings, SOURCE)
    run(warehouse, settings)
    assert _warning(warehouse).state == "open"
    assert _figure(warehouse).check.startswith("【待核：2023年")
    assert ARRESTED in {a.issue.indicator_code for a in awaiting(warehouse, Scope(None))}

    review = Review(warehouse, settings)
    with pytest.raises(DecisionRefused, match="理由"):
        review.accept("检察院", "批准逮捕侵害未成年人犯罪人数", 2023, "  ", "吴敏")
    with pytest.raises(UnknownIndicator):
        review.accept("检察院", "不存在的指标", 2023, REASON, "吴敏")
    decision = review.accept("检察院", "批准逮捕侵害未成年人犯罪人数", 2023, REASON, "吴敏")
    assert (decision.action, decision.raw_value, decision.by_name) == ("accept", "10", "吴敏")

    warning = _warning(warehouse)
    assert (warning.state, warning.explanation) == ("explained", f"联席办确认：{REASON}")
    figure = _figure(warehouse)
    assert figure.check == ""  # the report's 【待核】 mark is gone
    assert f"2023年：数值已采用（联席办确认：{REASON}）" in figure.to_verify
    assert f"2023年：数值已采用（联席办确认：{REASON}）" in (
        settings.outputs_dir / "report.md").read_text(encoding="utf-8")
    with warehouse.begin() as session:
        assert session.get(AcceptedValue, (ARRESTED, 2023)).explanation == f"联席办确认：{REASON}"
        [row] = history(session, Scope(None), "procuratorate")
        assert row.id == decision.id and row.reason == REASON
    # A second clerk deciding the same value sees that it is decided; nothing is lost.
    with pytest.raises(DecisionRefused, match="可能已被他人确认"):
        review.accept("检察院", ARRESTED, 2023, "另一位的理由", "李华")

    # The department sends a correction of another cell, the confirmed value unchanged.
    drop(settings, _procuratorate(tmp_path, "检察院-更正.xlsx", F7=13))
    run(warehouse, settings)
    assert _warning(warehouse).state == "explained"
    assert _figure(warehouse).check == ""
    # A different value is a new question for the office.
    drop(settings, _procuratorate(tmp_path, "检察院-再更正.xlsx", F7=13, H8=9))
    run(warehouse, settings)
    assert _warning(warehouse).state == "open"
    assert _figure(warehouse).check.startswith("【待核：2023年")
    with warehouse.begin() as session:
        assert len(session.scalars(select(Decision)).all()) == 1  # history only grows


# ── every decision, as the table, the report, the mail and the history say it ──────────
CLASSES = "procuratorate.legal_education.classes"  # row 16, 2024 in I16 (269 次)
CASES = "procuratorate.crimes_against_minors.arrest_cases"  # row 7, 2021 in F7 (14 件)


def _row(warehouse, code: str, year: int):
    with warehouse.begin() as session:
        table = consolidated_table(session, warehouse.catalogue, warehouse.registry,
                                   warehouse.years)
    return next(r for r in table if (r.indicator_code, r.year) == (code, year))


def _report(settings) -> str:
    return (settings.outputs_dir / "report.md").read_text(encoding="utf-8")


def _decision_mails(settings) -> list[tuple[str, str]]:
    return [(m.subject, m.text) for m in parse_outbox(settings.outbox_dir)
            if m.kind == "decision"]


def test_reject_is_a_gap_with_its_reason_until_the_department_sends_again(
        warehouse, settings, tmp_path):
    drop(settings, SOURCE)
    run(warehouse, settings)
    review = Review(warehouse, settings)
    decision = review.reject("检察院", "未成年人法治课次数", 2024, "与教育局统计口径不符", "吴敏")
    assert (decision.action, decision.before, decision.after) == ("reject", "269", "")

    row = _row(warehouse, CLASSES, 2024)
    assert (row.status, row.value, row.submitted) == ("refused", None, "269")
    assert row.explanation == "联席办不采用：与教育局统计口径不符"
    report = _report(settings)
    assert "【待补：市人民检察院·2024年·未成年人法治课次数】" in report
    assert "2024年：联席办不采用：与教育局统计口径不符" in report  # 附件二
    assert "2024年 —（联席办不采用：与教育局统计口径不符）" in report  # 附件一
    [issue] = issues(warehouse, indicator_code=CLASSES, year=2024, rule="office_rejected")
    assert (issue.severity, issue.state, issue.cell) == ("error", "open", "I16")
    assert "联席办不采用：与教育局统计口径不符" in issue.message_zh
    [(subject, text)] = _decision_mails(settings)
    assert subject == "【青源市青年发展数据】市人民检察院 联席办不采用一项数值，请核实后重新报送"
    assert "「未成年人法治课次数」2024年数值“269”，联席办不采用，理由：与教育局统计口径不符" in text
    assert next(r for r in warehouse.current_ledger()
                if r.department_code == "procuratorate").status == "needs_fix"
    with pytest.raises(DecisionRefused, match="目前没有被采用"):
        review.reject("检察院", CLASSES, 2024, "再次", "李华")

    run(warehouse, settings, reprocess="procuratorate")  # the same file again: still refused
    assert _row(warehouse, CLASSES, 2024).status == "refused"
    assert issues(warehouse, rule="office_rejected")[0].state == "open"

    drop(settings, _procuratorate(tmp_path, "检察院-更正.xlsx", I16=271))
    run(warehouse, settings)
    row = _row(warehouse, CLASSES, 2024)
    assert (row.status, row.value) == ("ok", 271)
    assert issues(warehouse, rule="office_rejected")[0].state == "resolved"


def test_an_entered_value_is_cited_and_a_file_disagreeing_with_it_waits_for_the_office(
        warehouse, settings, tmp_path):
    drop(settings, _procuratorate(tmp_path, "检察院.xlsx", I16=None))
    run(warehouse, settings)
    assert _row(warehouse, CLASSES, 2024).status == "missing"
    review = Review(warehouse, settings)
    for typed, said in (("很多", "不是一个数值"), ("-3", "小于"), ("2.5", "整数")):
        with pytest.raises(BadValue, match=said):
            review.enter("检察院", CLASSES, 2024, typed, "电话核实", "吴敏")
    with pytest.raises(BadValue, match="不在本轮年度"):
        review.enter("检察院", CLASSES, 2019, "270", "电话核实", "吴敏")
    decision = review.enter("检察院", "未成年人法治课次数", 2024, "270",
                            "12月1日电话核实，王科长", "吴敏")
    cited = f"联席办录入（12月1日电话核实，王科长，吴敏，{local_text(decision.at)}）"
    row = _row(warehouse, CLASSES, 2024)
    assert (row.status, row.value, row.source_file) == ("entered", 270, cited)
    assert f"2024年 270，{cited}" in _report(settings)  # 附件一
    assert "【待补：市人民检察院·2024年·未成年人法治课次数】" not in _report(settings)
    table = (settings.outputs_dir / "indicator_table.csv").read_text(encoding="utf-8-sig")
    assert (f"{CLASSES},未成年人法治课次数,次,市人民检察院,2024,270,entered,{cited},,"
            "联席办录入") in table
    [(subject, text)] = _decision_mails(settings)
    assert subject.endswith("市人民检察院 联席办已录入一项数值")
    assert "「未成年人法治课次数」2024年数值已由联席办录入为“270”次（原未报送）" in text

    drop(settings, _procuratorate(tmp_path, "检察院-补报.xlsx", I16=280))
    run(warehouse, settings)
    assert _row(warehouse, CLASSES, 2024).value == 270  # never silently overwritten
    [held] = issues(warehouse, rule="entry_differs")
    assert (held.severity, held.state, held.raw_value) == ("warning", "open", "280")
    assert "与联席办录入的数值“270”（12月1日电话核实，王科长）不同，暂不采用，待联席办确认" in \
        held.message_zh
    assert held.id in {a.issue.id for a in awaiting(warehouse, Scope(None))}

    review.accept("检察院", CLASSES, 2024, "单位来函说明以补报为准", "吴敏")
    row = _row(warehouse, CLASSES, 2024)
    assert (row.status, row.value, row.source_file) == ("ok", 280, "检察院-补报.xlsx")
    with warehouse.begin() as session:
        actions = [d.action for d in history(session, Scope(None), "procuratorate")]
    assert actions == ["accept", "set"]


def test_approval_holds_a_later_file_until_the_office_chooses_it_and_return_reopens(
        warehouse, settings, tmp_path):
    drop(settings, SOURCE)
    run(warehouse, settings)
    review = Review(warehouse, settings)
    review.approve("检察院", "", "吴敏")
    ledger = {r.department_code: r.status for r in warehouse.current_ledger()}
    assert ledger["procuratorate"] == "approved"
    with pytest.raises(DecisionRefused, match=r"已于 .* 审核通过"):
        review.approve("检察院", "", "李华")
    assert _decision_mails(settings)[0][0].endswith("市人民检察院 本轮数据已审核通过")

    drop(settings, _procuratorate(tmp_path, "检察院-更正.xlsx", F7=15))
    [(_, outcome)] = run(warehouse, settings).outcomes
    assert outcome.status == "held"
    assert _row(warehouse, CASES, 2021).value == 14  # frozen
    [held] = held_files(warehouse)
    assert (held.department_code, held.file_name) == ("procuratorate", "检察院-更正.xlsx")
    run_alerts(warehouse, settings)  # the department is told the truth: kept, not taken
    told = [m for m in parse_outbox(settings.outbox_dir) if m.department == "procuratorate"
            and m.kind in ("held", "confirmation")]
    assert [m.subject for m in told] == [
        "【青源市青年发展数据】市人民检察院 文件已收到，待联席办决定"]
    assert "《检察院-更正.xlsx》已收到并存档，暂未采用，已采用的数据不变" in told[0].text

    review.choose("检察院", "检察院-更正.xlsx", "单位来函说明2021年少报一件", "吴敏")
    assert _row(warehouse, CASES, 2021).value == 15
    assert held_files(warehouse) == []
    with pytest.raises(DecisionRefused, match=r"没有名为《别的\.xlsx》"):
        review.choose("检察院", "别的.xlsx", "理由", "吴敏")

    review.return_("检察院", "2023年批捕人数与年报不一致，请核对", "吴敏")
    ledger = {r.department_code: r.status for r in warehouse.current_ledger()}
    assert ledger["procuratorate"] == "needs_fix"
    subject, text = _decision_mails(settings)[-1]
    assert subject.endswith("市人民检察院 本轮数据退回修改")
    assert "退回修改。理由：2023年批捕人数与年报不一致，请核对。" in text
    drop(settings, _procuratorate(tmp_path, "检察院-再更正.xlsx", F7=15, H8=11))
    [(_, outcome)] = run(warehouse, settings).outcomes
    assert outcome.status in ("accepted", "partially_accepted")  # no longer frozen
    ledger = {r.department_code: r.status for r in warehouse.current_ledger()}
    assert ledger["procuratorate"] == "submitted"  # it sent the correction asked for


def test_choose_one_of_two_conflicting_files(warehouse, settings, tmp_path):
    drop(settings, SOURCE)
    drop(settings, _procuratorate(tmp_path, "检察院-另一份.xlsx", F7=15))
    run(warehouse, settings)
    assert _row(warehouse, CASES, 2021).status == "rejected"
    conflict = [i for i in issues(warehouse, indicator_code=CASES, year=2021)
                if i.rule == "conflicting_files"]
    assert conflict and conflict[0].state == "open"
    Review(warehouse, settings).choose("检察院", "检察院-另一份.xlsx", "单位电话确认以此为准",
                                       "吴敏")
    row = _row(warehouse, CASES, 2021)
    assert (row.status, row.value, row.source_file) == ("ok", 15, "检察院-另一份.xlsx")
    assert issues(warehouse, rule="conflicting_files")[0].state == "resolved"
    _, text = _decision_mails(settings)[-1]
    assert "《检察院-另一份.xlsx》已由联席办选用" in text and "单位电话确认以此为准" in text


def test_lock_keeps_the_signed_products_and_unlock_rebuilds(warehouse, settings, tmp_path):
    drop(settings, SOURCE)
    run(warehouse, settings)
    locked = lock(warehouse, settings, "报市委审定", "吴敏")
    folder = settings.outputs_dir / locked.folder
    assert locked.folder.startswith("定稿/") and (folder / "report.docx").is_file()
    signed_table = (folder / "indicator_table.csv").read_bytes()
    assert signed_table == (settings.outputs_dir / "indicator_table.csv").read_bytes()
    with pytest.raises(DecisionRefused, match=r"已于 .* 定稿"):
        lock(warehouse, settings, "再定一次", "李华")

    drop(settings, _procuratorate(tmp_path, "检察院-更正.xlsx", F7=15))
    run(warehouse, settings)
    assert refresh_outputs(warehouse, settings.outputs_dir, True) is None
    assert refresh_report(warehouse, settings.outputs_dir, True) is None
    Review(warehouse, settings).accept("检察院", ARRESTED, 2023, REASON, "吴敏")
    assert (settings.outputs_dir / "indicator_table.csv").read_bytes() == signed_table
    now = signed(warehouse)
    assert now.changes == ["市人民检察院「批准逮捕侵害未成年人犯罪案件数」2021年："
                           "定稿时 14（已采用），现为 15（已采用）"]
    assert now.headline_zh().endswith("定稿后有 1 处变化。")

    with pytest.raises(DecisionRefused, match="理由"):
        unlock(warehouse, settings, " ", "吴敏")
    unlock(warehouse, settings, "市委要求按更正数据修改", "吴敏")
    assert signed(warehouse) is None
    assert ",2021,15,ok," in (settings.outputs_dir / "indicator_table.csv").read_text(
        encoding="utf-8-sig")
    assert (folder / "indicator_table.csv").read_bytes() == signed_table  # kept as signed
    with pytest.raises(DecisionRefused, match="尚未定稿"):
        unlock(warehouse, settings, "再解除", "吴敏")


def test_two_clerks_deciding_one_value_at_once_one_wins_the_other_is_told(
        warehouse, settings):
    drop(settings, SOURCE)
    run(warehouse, settings)
    start, outcomes = threading.Barrier(2), []

    def decide(name: str) -> None:
        start.wait()
        try:
            Review(warehouse, settings).reject("检察院", CLASSES, 2024, f"{name}的理由", name)
            outcomes.append(("done", name))
        except DecisionRefused as refused:
            outcomes.append(("refused", str(refused)))

    clerks = [threading.Thread(target=decide, args=(name,)) for name in ("吴敏", "李华")]
    for clerk in clerks:
        clerk.start()
    for clerk in clerks:
        clerk.join(60)
    assert sorted(kind for kind, _ in outcomes) == ["done", "refused"]
    with warehouse.begin() as session:
        [decision] = history(session, Scope(None), "procuratorate")
    winner = next(name for kind, name in outcomes if kind == "done")
    assert decision.by_name == winner and decision.reason == f"{winner}的理由"
