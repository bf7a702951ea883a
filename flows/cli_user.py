"""`huizong user …`: the console's accounts (add, list, disable, change a password)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from flows.cli_zh import ChineseCommand, ChineseGroup

user_app = typer.Typer(cls=ChineseGroup, no_args_is_help=True, add_completion=False,
                       help="审核台账号：新增、列出、停用账号，修改密码。")
console = Console(soft_wrap=True)
ROLE_ZH = {"office": "联席办", "department": "责任单位"}

PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="从标准输入读取密码（一行），供脚本使用；不给时交互输入两次")]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("密码（至少 10 个字符）", hide_input=True,
                        confirmation_prompt="再输入一次密码")


def _change(action: str, done_zh: str, *args: str) -> None:
    """Apply one account change; a mistake of the operator's is one line and exit 2."""
    from flows.cli import _open_warehouse
    from warehouse import accounts

    warehouse = _open_warehouse()
    try:
        with warehouse.begin() as session:
            getattr(accounts, action)(session, *args)
            accounts.log_event(session, "（命令行）", action, args[0])
    except accounts.AccountError as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    console.print(done_zh)


@user_app.command("add", cls=ChineseCommand)
def add_command(
    name: Annotated[str, typer.Argument(help="用户名（登录时输入）")],
    role: Annotated[str, typer.Option("--role", help="office（联席办，可看全部单位）或 "
                                      "department（责任单位，只看本单位）")],
    department: Annotated[str | None, typer.Option(
        "--department", "-d", help="责任单位账号所属的单位（名称、简称或代码）")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """新增审核台账号。"""
    from flows.cli import _known_department

    code = _known_department(department) if department else None
    if role not in ROLE_ZH:
        console.print("[red]--role 只能是 office（联席办）或 department（责任单位）。[/red]")
        raise typer.Exit(2)
    _change("add_user", f"已新增账号“{escape(name)}”（{ROLE_ZH[role]}）。", name, role,
            code or "", _password(password_stdin))


@user_app.command("list", cls=ChineseCommand)
def list_command() -> None:
    """列出全部账号。"""
    from config.clock import local_text
    from flows.cli import _open_warehouse
    from warehouse.accounts import list_users

    warehouse = _open_warehouse()
    names = {d.code: d.name for d in warehouse.registry.departments}
    with warehouse.begin() as session:
        users = list_users(session)
    if not users:
        console.print("还没有账号；用 huizong user add 新增。")
        return
    table = Table(title="审核台账号")
    for column in ("用户名", "角色", "单位", "状态", "创建时间", "密码修改时间"):
        table.add_column(column)
    for user in users:
        table.add_row(user.name, ROLE_ZH[user.role], names.get(user.department_code or "", "全部"),
                      "正常" if user.active else "已停用", local_text(user.created_at),
                      local_text(user.password_changed_at))
    console.print(table)


@user_app.command("disable", cls=ChineseCommand)
def disable_command(name: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """停用账号（立即退出其所有登录）。"""
    _change("disable_user", f"已停用账号“{escape(name)}”，其登录已全部失效。", name)


@user_app.command("password", cls=ChineseCommand)
def password_command(name: Annotated[str, typer.Argument(help="用户名")],
                     password_stdin: PasswordStdin = False) -> None:
    """修改账号密码（其所有登录随即失效）。"""
    _change("set_password", f"已修改“{escape(name)}”的密码，其原有登录已全部失效。", name,
            _password(password_stdin))
