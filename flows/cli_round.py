"""`huizong round …`: open the next round, list the rounds, show one."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from flows.cli_zh import ChineseCommand, ChineseGroup

round_app = typer.Typer(cls=ChineseGroup, no_args_is_help=True, add_completion=False,
                        help="报送轮次：开启新一轮、列出各轮、查看一轮。")
console = Console(soft_wrap=True)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"“{text}”不是日期，请写成 2027-12-15 的形式。") from None


@round_app.command("new", cls=ChineseCommand)
def new_command(
    first_year: Annotated[int, typer.Option("--first-year", help="新一轮的起始年，如 2022")],
    last_year: Annotated[int, typer.Option("--last-year", help="新一轮的截止年，如 2026")],
    deadline: Annotated[str, typer.Option("--deadline", help="报送截止日期，如 2027-12-15")],
    report_year: Annotated[int | None, typer.Option(
        "--report-year", help="报告年度（默认：截止年的下一年）")] = None,
    name: Annotated[str | None, typer.Option(
        "--name", help="轮次名称（默认：“<报告年度>年度青年发展数据报送”）")] = None,
    by: Annotated[str, typer.Option("--by", help="操作人（默认记为“命令行”）")] = "",
) -> None:
    """结束本轮、开启新一轮：本轮产出移到 outputs/<本轮名称>/，仍在新年度范围内的已采用数值
    带入新一轮，立即生成新一轮的汇总表、报告和预填的填报表。"""
    from alerts.delivery import deliver_queued
    from config import get_settings
    from flows.cli import _open_warehouse
    from pipeline.rounds import RoundRefused, next_round, open_next
    from warehouse.decisions import SYSTEM_USER

    settings = get_settings()
    warehouse = _open_warehouse()
    try:
        new = next_round(first_year, last_year, _date(deadline), report_year, name)
        opened = open_next(warehouse, settings, new, by or SYSTEM_USER)
    except RoundRefused as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    closed = opened.closed
    console.print(escape(
        f"已结束“{closed.name}”（{closed.first_year}—{closed.last_year}年），其产出保存在 "
        f"outputs/{closed.products_folder}/。"), highlight=False)
    console.print(escape(
        f"已开启“{new.name}”（{new.first_year}—{new.last_year}年，报送截止 "
        f"{new.deadline.year}年{new.deadline.month}月{new.deadline.day}日）：带入上轮已采用的数值 "
        f"{opened.carried} 个；新一轮的汇总表和报告已生成，{len(opened.templates)} 份预填的填报表"
        f"在 {settings.outputs_dir / 'templates'}。"), highlight=False)
    console.print(f"已给 {opened.mails} 个单位生成新一轮通知邮件（附预填的填报表）。")
    deliver_queued(warehouse, settings)


@round_app.command("deadline", cls=ChineseCommand)
def deadline_command(
    deadline: Annotated[str, typer.Argument(help="新的报送截止日期，如 2027-12-20")],
) -> None:
    """调整当前轮次的报送截止日期（催报邮件和填报表按新日期）。"""
    from flows.cli import _open_warehouse
    from warehouse.rounds import open_round

    day = _date(deadline)
    warehouse = _open_warehouse()
    with warehouse.begin() as session:
        record = open_round(session)
        before, record.deadline = record.deadline, day
        name = record.name
    console.print(escape(f"“{name}”的报送截止日期已由 {before.isoformat()} 改为 {day.isoformat()}"
                         "；已发出的填报表上的日期不变，可用 huizong templates 重新生成。"),
                  highlight=False)


@round_app.command("list", cls=ChineseCommand)
def list_command() -> None:
    """列出各报送轮次。"""
    from config.clock import local_text
    from flows.cli import _open_warehouse
    from warehouse.rounds import every_round

    warehouse = _open_warehouse()
    with warehouse.begin() as session:
        found = every_round(session)
    for record in found:
        state = (f"{local_text(record.closed_at)} 结束，产出在 outputs/{record.products_folder}/"
                 if record.closed_at else "进行中，产出在 outputs/")
        console.print(escape(
            f"{record.name}：{record.first_year}—{record.last_year}年，报告年度 "
            f"{record.report_year}，截止 {record.deadline.isoformat()}；"
            f"{local_text(record.opened_at)} 开启（{record.opened_by}），{state}"),
            highlight=False)
    console.print(f"共 {len(found)} 轮。")


@round_app.command("show", cls=ChineseCommand)
def show_command(
    name: Annotated[str | None, typer.Argument(help="轮次名称（默认：当前轮次）")] = None,
) -> None:
    """查看一轮：年度、截止日期、报送与采用情况；已结束的轮次还有结束时的数值。"""
    from flows.cli import _open_warehouse
    from pipeline.rounds import describe_round

    warehouse = _open_warehouse()
    lines = describe_round(warehouse, name)
    if lines is None:
        console.print(f"[red]没有名为“{escape(name or '')}”的轮次"
                      "（huizong round list 列出各轮）。[/red]")
        raise typer.Exit(2)
    for line in lines:
        console.print(escape(line), highlight=False)
