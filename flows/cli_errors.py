"""What a person at the terminal is told when a command cannot go on: one Chinese line
they can act on (exit code 2) for what they can fix — the warehouse address, the
database, a setting, a busy warehouse — and a pointer to the log for a defect of ours
(exit code 1). Tracebacks go to the log file, never to the terminal."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from config import get_settings
from flows.logs import LOG_FILE
from schemas.yaml_file import CatalogueInvalid
from warehouse.run_lock import WarehouseBusy

log = logging.getLogger(__name__)


class UserFixable(Exception):
    """A problem the operator can fix; its message is the one line they read."""


def explain(error: BaseException) -> UserFixable | None:
    """The line to print for an error the operator can fix, or None for a defect."""
    if isinstance(error, UserFixable):
        return error
    if isinstance(error, CatalogueInvalid):
        return UserFixable(str(error))
    if isinstance(error, WarehouseBusy):
        return UserFixable(str(error))
    if isinstance(error, ValidationError):
        return UserFixable(_setting_problem(error))
    if isinstance(error, ArgumentError | NoSuchModuleError):
        return UserFixable("数据仓库地址（HUIZONG_WAREHOUSE_URL 或 --warehouse）格式不正确，应为 "
                           "sqlite:///路径 或 postgresql+psycopg://用户@主机:端口/数据库。")
    if isinstance(error, OperationalError) or (
            isinstance(error, DBAPIError) and error.connection_invalidated):
        return UserFixable(f"无法连接数据仓库 {_where()}：{_reason(error)}。"
                           "请确认数据库已启动、地址和权限正确（HUIZONG_WAREHOUSE_URL）。")
    return None


def internal_error_line(error: BaseException) -> str:
    log.error("命令因程序内部错误中止", exc_info=error)
    path = get_settings().log_dir / LOG_FILE
    return (f"程序内部错误（{type(error).__name__}），命令已中止；详情已写入 {path}，"
            "请发给技术支持。")


def _setting_problem(error: ValidationError) -> str:
    first = error.errors()[0]
    name = "HUIZONG_" + "_".join(str(part) for part in first["loc"]).upper()
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"设置有误（{name}）：{message}"


def _where() -> str:
    try:
        return make_url(get_settings().warehouse_url).render_as_string(hide_password=True)
    except (ArgumentError, ValidationError):
        return "（地址无法解析）"


def _reason(error: OperationalError | DBAPIError) -> str:
    text = str(error.orig or error).lower()
    for needle, reason in (("connection refused", "连接被拒绝"),
                           ("database is locked",
                            "数据库文件被另一个进程占用（可能有汇总进程卡住）"),
                           ("could not translate host name", "找不到数据库主机"),
                           ("name or service not known", "找不到数据库主机"),
                           ("timeout", "连接超时"),
                           ("password authentication failed", "用户名或密码不正确"),
                           ("does not exist", "数据库或用户不存在"),
                           ("unable to open database file",
                            "无法打开数据库文件（目录不存在或没有权限）"),
                           ("readonly", "数据库文件只读"),
                           ("disk", "磁盘已满或出错")):
        if needle in text:
            return reason
    return "数据库返回错误"
