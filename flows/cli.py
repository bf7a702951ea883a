"""The `huizong` command line: a thin layer over the stage packages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.engine import make_url

from config import get_settings
from flows.cli_zh import ChineseCommand, ChineseGroup
from forms.workbook import write_template
from schemas.catalogue import get_catalogue
from schemas.departments import get_registry
from schemas.issue import SEVERITY_ORDER, Issue
from schemas.round import get_round
from schemas.validate import validate
from transforms import ReadResult, read_file
from transforms.inbox import InboxFile, scan_inbox
from warehouse.store import Warehouse

app = typer.Typer(
    name="huizong",
    cls=ChineseGroup,
    help="青年发展数据汇总：收集、校验各责任单位报送的年度指标，生成汇总表与报告。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
console = Console()

OutOption = Annotated[
    Path | None, typer.Option("--out", help="输出目录（默认：项目下 outputs/templates）")
]


@app.command("init", cls=ChineseCommand)
def init_command() -> None:
    """初始化：创建目录，建立或升级数据仓库（数据库结构、指标目录、单位名录）。"""
    settings = get_settings()
    settings.ensure_dirs()
    Warehouse(settings.warehouse_url).init()
    console.print(f"已就绪：收件箱 {settings.inbox_dir}，运行数据 {settings.var_dir}，"
                  f"输出 {settings.outputs_dir}，发件箱 {settings.outbox_dir}")
    console.print(f"数据仓库：{_safe_url(settings.warehouse_url)}（已升级到最新结构）")


def _safe_url(url: str) -> str:
    """The warehouse address without its password, for the console."""
    return make_url(url).render_as_string(hide_password=True)


@app.command("templates", cls=ChineseCommand)
def templates_command(out: OutOption = None) -> None:
    """为每个责任单位生成本轮填报表（.xlsx，含填报说明、数据有效性和工作表保护）。"""
    target = out or get_settings().outputs_dir / "templates"
    catalogue, parameters = get_catalogue(), get_round()
    departments = get_registry().submitting
    for department in departments:
        path = write_template(department, catalogue, parameters, target)
        indicators = len(catalogue.owned_by(department.code))
        console.print(f"  {department.name}：{indicators} 项指标 → {path.name}")
    console.print(f"已生成 {len(departments)} 份填报表，保存在 {target}")


SEVERITY_ZH = {"error": "错误", "warning": "提醒", "info": "说明"}


@app.command("check", cls=ChineseCommand)
def check_command(
    target: Annotated[Path | None, typer.Argument(
        help="要检查的文件或文件夹（默认：收件箱 inbox/）")] = None,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="同时列出每个读取到的数值")] = False,
) -> None:
    """试读并校验文件：显示识别出的单位、读到的数值和全部问题（不入库、不发邮件）。"""
    target = target or get_settings().inbox_dir
    files = [InboxFile(target, None)] if target.is_file() else list(scan_inbox(target))
    if not files:
        console.print(f"{target} 中没有待读取的文件。")
        return
    results = [read_file(item.path, folder=item.folder) for item in files]
    validation = validate(results)
    issues_of: dict[str, list[Issue]] = {}
    for issue in sorted(validation.issues, key=lambda i: SEVERITY_ORDER[i.severity]):
        issues_of.setdefault(issue.file_sha256, []).append(issue)
    registry = get_registry()
    summary = Table(title="读取与校验结果")
    for column in ("文件", "单位", "格式", "已填数值", "错误", "提醒", "说明"):
        summary.add_column(column)
    for item, result in zip(files, results, strict=True):
        issues = issues_of.get(result.file_sha256, [])
        counts = {s: sum(1 for i in issues if i.severity == s) for s in SEVERITY_ZH}
        filled = sum(1 for o in result.observations if o.raw_value)
        department = registry.get(result.department).name if result.department else "未识别"
        summary.add_row(item.display_name, department, result.file_format or "—",
                        f"{filled}/{len(result.observations)}", str(counts["error"]),
                        str(counts["warning"]), str(counts["info"]))
    console.print(summary)
    for item, result in zip(files, results, strict=True):
        _print_details(item, result, issues_of.get(result.file_sha256, []), verbose)


def _print_details(item: InboxFile, result: ReadResult, issues: list[Issue],
                   verbose: bool) -> None:
    if issues or verbose:
        console.print(f"\n[bold]{escape(item.display_name)}[/bold]")
    for issue in issues:
        console.print(escape(f"  [{SEVERITY_ZH[issue.severity]}] {issue.message_zh}"),
                      highlight=False)
    if verbose:
        catalogue = get_catalogue()
        for observation in result.observations:
            name = catalogue.indicator(observation.indicator_code).name
            console.print(escape(
                f"  {observation.sheet}!{observation.cell} {name} {observation.year}年："
                f"{observation.raw_value or '（空）'} → {observation.value}"), highlight=False)
