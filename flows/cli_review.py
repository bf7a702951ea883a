"""`huizong review …`: the office's decisions about a department's data."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from flows.cli_zh import ChineseCommand, ChineseGroup
from schemas.labels import DECISION_ZH

review_app = typer.Typer(cls=ChineseGroup, no_args_is_help=True, add_completion=False,
                         help="联席办的决定：确认采用有提醒的数值，查看决定记录。")
console = Console(soft_wrap=True)

DepartmentOption = Annotated[str, typer.Option(
    "--department", "-d", help="单位名称、简称或代码，如 教育局")]
ReasonOption = Annotated[str, typer.Option("--reason", help="理由（必填，记入决定记录）")]
ByOption = Annotated[str, typer.Option("--by", help="作出决定的人（默认：命令行）")]


@review_app.command("list", cls=ChineseCommand)
def list_command() -> None:
    """列出等待联席办决定的事项（有提醒、尚未确认的数值）。"""
    from flows.cli import _open_warehouse
    from pipeline.review import awaiting
    from warehouse.scope import Scope

    warehouse = _open_warehouse()
    names = {d.code: d.name for d in warehouse.registry.departments}
    indicators = {i.code: i.name for i in warehouse.catalogue.indicators}
    found = awaiting(warehouse, Scope(None))
    for item in found:
        issue = item.issue
        console.print(escape(f"{names.get(issue.department_code or '', '')} "
                             f"{indicators.get(issue.indicator_code, issue.indicator_code)} "
                             f"{issue.year}年（填报 {issue.raw_value}，{item.file_name}）："
                             f"{issue.message_zh}"), highlight=False)
    console.print(f"共 {len(found)} 项等待决定；确认采用：huizong review accept -d 单位 "
                  "--indicator 指标 --year 年度 --reason 理由")


@review_app.command("accept", cls=ChineseCommand)
def accept_command(
    department: DepartmentOption,
    indicator: Annotated[str, typer.Option("--indicator", help="指标名称或代码")],
    year: Annotated[int, typer.Option("--year", help="年度，如 2024")],
    reason: ReasonOption,
    by: ByOption = "",
) -> None:
    """确认采用一个有提醒的数值：提醒记为“联席办确认”，报告中该数字的【待核】标记去掉。"""
    from config import get_settings
    from flows.cli import _known_department, _open_warehouse
    from pipeline.review import UnknownIndicator, accept
    from warehouse.decisions import SYSTEM_USER, DecisionRefused

    _known_department(department)
    warehouse = _open_warehouse()
    try:
        decision = accept(warehouse, get_settings(), department, indicator, year, reason,
                          by or SYSTEM_USER)
    except (DecisionRefused, UnknownIndicator) as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    console.print(escape(f"已确认采用 {indicator} {year}年的数值 {decision.raw_value}"
                         f"（理由：{decision.reason}）；汇总表和报告已更新。"), highlight=False)


@review_app.command("history", cls=ChineseCommand)
def history_command(department: Annotated[str | None, typer.Option(
        "--department", "-d", help="只看这个单位")] = None) -> None:
    """联席办作出的全部决定（谁、何时、什么、理由），最新的在前。"""
    from config.clock import local_text
    from flows.cli import _known_department, _open_warehouse
    from warehouse.decisions import history
    from warehouse.scope import Scope

    code = _known_department(department) if department else None
    warehouse = _open_warehouse()
    names = {d.code: d.name for d in warehouse.registry.departments}
    indicators = {i.code: i.name for i in warehouse.catalogue.indicators}
    with warehouse.begin() as session:
        rows = history(session, Scope(None), code)
    table = Table(title="联席办的决定")
    for column in ("时间", "决定", "单位", "指标", "年度", "数值", "理由", "决定人"):
        table.add_column(column)
    for row in rows:
        table.add_row(local_text(row.at), DECISION_ZH[row.action], names[row.department_code],
                      indicators.get(row.indicator_code, ""), str(row.year or ""),
                      row.raw_value, row.reason, row.by_name)
    console.print(table)
    console.print(f"共 {len(rows)} 项。")
