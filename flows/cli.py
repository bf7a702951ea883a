"""The `huizong` command line: a thin layer over the stage packages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from config import get_settings
from flows.cli_zh import ChineseCommand, ChineseGroup
from forms.workbook import write_template
from schemas.catalogue import get_catalogue
from schemas.departments import get_registry
from schemas.round import get_round

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
    """初始化：创建收件箱、运行数据目录（var/）、输出目录和发件箱。"""
    settings = get_settings()
    settings.ensure_dirs()
    console.print(f"已就绪：收件箱 {settings.inbox_dir}，运行数据 {settings.var_dir}，"
                  f"输出 {settings.outputs_dir}，发件箱 {settings.outbox_dir}")


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
