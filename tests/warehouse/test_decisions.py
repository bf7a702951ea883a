"""确认采用: the office confirms a warned value, with a reason, on SQLite and PostgreSQL.
The decision is a row of its own; the warning is settled as 联席办确认, the report's
【待核】 mark goes and 附件二 cites it; a later file with the same value stays confirmed,
a different value is warned again."""

import openpyxl
import pytest
from sqlalchemy import select

from config import PROJECT_ROOT
from pipeline.review import Review, UnknownIndicator, awaiting
from report.figures import figures_by_indicator, open_warnings
from schemas.round import get_round
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
