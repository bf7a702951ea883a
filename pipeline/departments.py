"""Resolve what a user typed (`--department 教育局`) to a department of the registry."""

from __future__ import annotations

from schemas.departments import Registry


class UnknownDepartment(Exception):
    """找不到这个单位：请使用单位名录中的名称、简称或代码（运行 huizong status 查看）。"""


def resolve_department(text: str, registry: Registry) -> str:
    department = registry.match(text)
    if department is None or department.receives_summaries:
        raise UnknownDepartment(UnknownDepartment.__doc__.replace("这个单位", f"单位“{text}”"))
    return department.code
