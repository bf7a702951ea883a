"""Read the catalogue's YAML files with libyaml's C parser (the pure-Python one takes
longer to read them than a light command may take in all), and say what is wrong with
one in Chinese, a line per problem naming the file and the entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Model = TypeVar("Model", bound=BaseModel)
PROBLEM_ZH = {"missing": "缺少这一项", "extra_forbidden": "不认识这一项（拼写是否有误？）",
              "string_pattern_mismatch": "格式不对", "int_parsing": "应为整数",
              "float_parsing": "应为数字", "bool_parsing": "应为 true 或 false",
              "literal_error": "取值不在允许的范围内", "date_from_datetime_parsing": "应为日期",
              "date_parsing": "应为日期（如 2027-12-15）", "too_short": "不能为空",
              "string_too_short": "太短"}


class CatalogueInvalid(ValueError):
    """The office's catalogue files cannot be used as written (message in Chinese)."""


def load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)


def validated(model: type[Model], path: Path, **extra: Any) -> Model:
    """The file as `model`; `extra` fields are added to what it says."""
    try:
        data = load_yaml(path)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark is not None else ""
        raise CatalogueInvalid(f"{path}：{where}不是有效的 YAML，请检查缩进和冒号。") from None
    try:
        return model.model_validate({**data, **extra} if extra else data)
    except ValidationError as error:
        lines = [f"{path}：{_entry(data, e['loc'])}：{_problem(e)}" for e in error.errors()]
        raise CatalogueInvalid("\n".join(["目录文件有误，请修改后再运行：", *lines])) from None


def _entry(data: Any, loc: tuple[Any, ...]) -> str:
    """`indicators 第 13 项（youth.x）· unit` for ('indicators', 12, 'unit')."""
    parts, node = [], data
    for key in loc:
        if isinstance(key, int):
            node = node[key] if isinstance(node, list) and key < len(node) else None
            code = node.get("code") or node.get("id") if isinstance(node, dict) else None
            parts[-1:] = [f"{parts[-1] if parts else ''} 第 {key + 1} 项"
                          + (f"（{code}）" if code else "")]
        else:
            node = node.get(key) if isinstance(node, dict) else None
            parts.append(str(key))
    return " · ".join(parts) or "整个文件"


def _problem(error: dict[str, Any]) -> str:
    if error["type"] == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return PROBLEM_ZH.get(error["type"], str(error["msg"]))
