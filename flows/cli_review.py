"""`huizong review …`: the office's decisions about a department's data."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from flows.cli_zh import ChineseCommand, ChineseGroup
from schemas.labels import DECISION_ZH

if TYPE_CHECKING:
    from pipeline.review import Review
    from warehouse.models import Decision

review_app = typer.Typer(cls=ChineseGroup, no_args_is_help=True, add_completion=False,
                         help="联席办的决定：确认采用、不采用、录入数值、选用文件、审核通过、"
                              "退回修改、定稿和解除定稿，每个决定都写明理由并留有记录。")
console = Console(soft_wrap=True)

DepartmentOption = Annotated[str, typer.Option(
    "--department", "-d", help="单位名称、简称或代码，如 教育局")]
IndicatorOption = Annotated[str, typer.Option("--indicator", help="指标名称或代码")]
YearOption = Annotated[int, typer.Option("--year", help="年度，如 2024")]
ReasonOption = Annotated[str, typer.Option("--reason", help="理由（必填，记入决定记录）")]
ByOption = Annotated[str, typer.Option("--by", help="作出决定的人（默认记为“命令行”）")]


@contextmanager
def _refusals() -> Iterator[None]:
    """A decision that cannot be taken as asked is one red line and exit code 2."""
    from pipeline.departments import UnknownDepartment
    from pipeline.review import UnknownIndicator
    from warehouse.decisions import DecisionRefused

    try:
        yield
    except (DecisionRefused, UnknownIndicator, UnknownDepartment) as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None


def _decide(take: Callable[[Review], Decision], said: Callable[[Decision], str]) -> None:
    from config import get_settings
    from flows.cli import _open_warehouse
    from pipeline.review import Review

    warehouse = _open_warehouse()
    with _refusals():
        decision = take(Review(warehouse, get_settings()))
    products = ("汇总表和报告已更新" if not warehouse.locked()
                else "本轮已定稿，汇总表和报告保持定稿版本")
    console.print(escape(f"{said(decision)}（理由：{decision.reason}）；{products}。"),
                  highlight=False)


def _by(by: str) -> str:
    from warehouse.decisions import SYSTEM_USER

    return by or SYSTEM_USER


@review_app.command("list", cls=ChineseCommand)
def list_command() -> None:
    """列出等待联席办决定的事项（有提醒的数值、相互矛盾的文件、审核通过后再报送的文件、
    发件人未能验证的邮件附件）。"""
    from flows.cli import _open_warehouse
    from pipeline.review import awaiting, held_files
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
    held = held_files(warehouse)
    for file in held:
        console.print(escape(f"{names.get(file.department_code, '')} 《{file.file_name}》"
                             f"（{file.received_zh} 收到，{file.why_zh}）：已存档，待决定是否选用"),
                      highlight=False)
    console.print(f"共 {len(found) + len(held)} 项等待决定。确认采用：huizong review accept；"
                  "不采用：review reject；录入：review set；选用文件：review choose"
                  "（均需 --reason 理由）。")


@review_app.command("accept", cls=ChineseCommand)
def accept_command(department: DepartmentOption, indicator: IndicatorOption, year: YearOption,
                   reason: ReasonOption, by: ByOption = "") -> None:
    """确认采用一个有提醒的数值：提醒记为“联席办确认”，报告中该数字的【待核】标记去掉；
    单位修订的往年数据，采用修订后的数值。"""
    from warehouse.decisions import is_revision

    _decide(lambda review: review.accept(department, indicator, year, reason, _by(by)),
            lambda d: f"已确认采用 {indicator} {year}年的修订 {d.raw_value}（上轮已采用 "
                      f"{d.before}）" if is_revision(d) else
                      f"已确认采用 {indicator} {year}年的数值 {d.raw_value}")


@review_app.command("reject", cls=ChineseCommand)
def reject_command(department: DepartmentOption, indicator: IndicatorOption, year: YearOption,
                   reason: ReasonOption, by: ByOption = "") -> None:
    """不采用一个数值：该项成为空缺（报告中【待补】），单位收到邮件，重新报送后再校验。
    单位修订往年数据、待联席办确认的，不采用的是这一修订：仍用上轮已采用的数值。"""
    _decide(lambda review: review.reject(department, indicator, year, reason, _by(by)),
            lambda d: f"已不采用 {indicator} {year}年的修订 {d.before}，仍采用上轮已采用的数值 "
                      f"{d.after}，已通知单位" if d.action == "keep" else
                      f"已不采用 {indicator} {year}年的数值 {d.before}，该项现为空缺，已通知单位")


@review_app.command("set", cls=ChineseCommand)
def set_command(department: DepartmentOption, indicator: IndicatorOption, year: YearOption,
                value: Annotated[str, typer.Option("--value", help="数值（指标单位），如 1350")],
                reason: ReasonOption, by: ByOption = "") -> None:
    """录入联席办核实的数值（电话、公函）：汇总表和报告附件一注明“联席办录入”，之后报送的
    文件与它不同时不会覆盖，而是待联席办确认。"""
    _decide(lambda review: review.enter(department, indicator, year, value, reason, _by(by)),
            lambda d: f"已录入 {indicator} {year}年的数值 {d.after}"
                      + (f"（原为 {d.before}）" if d.before else ""))


@review_app.command("choose", cls=ChineseCommand)
def choose_command(department: DepartmentOption,
                   file: Annotated[str, typer.Option("--file", help="文件名，如 教育局-更正.xlsx")],
                   reason: ReasonOption, by: ByOption = "") -> None:
    """选用单位的一个文件（两个文件相互矛盾，或审核通过后再报送的文件）：按该文件采用。"""
    _decide(lambda review: review.choose(department, file, reason, _by(by)),
            lambda d: f"已选用《{d.raw_value}》，其中的数值已按校验结果采用")


@review_app.command("approve", cls=ChineseCommand)
def approve_command(department: DepartmentOption, reason: Annotated[str, typer.Option(
        "--reason", help="意见（默认：审核通过）")] = "", by: ByOption = "") -> None:
    """审核通过一个单位本轮的报送：其数值冻结，之后报送的文件存档、待联席办决定。"""
    _decide(lambda review: review.approve(department, reason, _by(by)),
            lambda d: "已审核通过，该单位的数值已冻结，已通知单位")


@review_app.command("return", cls=ChineseCommand)
def return_command(department: DepartmentOption, reason: ReasonOption,
                   by: ByOption = "") -> None:
    """退回修改：单位收到说明理由的邮件（在其来信的同一会话中），台账显示“待修改”。"""
    _decide(lambda review: review.return_(department, reason, _by(by)),
            lambda d: "已退回修改，已通知单位")


@review_app.command("lock", cls=ChineseCommand)
def lock_command(reason: ReasonOption, by: ByOption = "") -> None:
    """定稿：当前的汇总表和报告保存为定稿版本（outputs/定稿/<时间>/），之后的运行照常收取和
    校验，但不改变定稿的汇总表和报告。"""
    from config import get_settings
    from flows.cli import _open_warehouse
    from pipeline.signoff import lock

    with _refusals():
        signed = lock(_open_warehouse(), get_settings(), reason, _by(by))
    console.print(escape(f"已定稿：定稿版本保存在 outputs/{signed.folder}/（理由："
                         f"{signed.decision.reason}）。"), highlight=False)


@review_app.command("unlock", cls=ChineseCommand)
def unlock_command(reason: ReasonOption, by: ByOption = "") -> None:
    """解除定稿：汇总表和报告按仓库中的当前数据重新生成，之后的运行照常更新。"""
    from config import get_settings
    from flows.cli import _open_warehouse
    from pipeline.signoff import unlock

    with _refusals():
        decision = unlock(_open_warehouse(), get_settings(), reason, _by(by))
    console.print(escape(f"已解除定稿（理由：{decision.reason}）；汇总表和报告已按当前数据"
                         "重新生成。"), highlight=False)


@review_app.command("history", cls=ChineseCommand)
def history_command(department: Annotated[str | None, typer.Option(
        "--department", "-d", help="只看这个单位")] = None) -> None:
    """联席办作出的全部决定（谁、何时、什么、之前和之后的数值、理由），最新的在前。"""
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
    for column in ("时间", "决定", "单位", "指标", "年度", "之前", "之后", "理由", "决定人"):
        table.add_column(column)
    for row in rows:
        table.add_row(local_text(row.at), DECISION_ZH[row.action],
                      names.get(row.department_code or "", "（全部）"),
                      indicators.get(row.indicator_code, ""), str(row.year or ""),
                      row.before, row.after, row.reason, row.by_name)
    console.print(table)
    console.print(f"共 {len(rows)} 项。")
