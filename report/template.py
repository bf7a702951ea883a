"""Read the report template (`template.md`): paragraphs of text and bindings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from schemas.office_files import SHIPPED, office_file

TEMPLATE_FILE = SHIPPED["template.md"]
_BINDING = re.compile(r"\{\{\s*([^}]+?)\s*\}\}")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


@dataclass(frozen=True, slots=True)
class Style:
    """How a figure is worded: `3.2万人次`, `1200余场次`, `95％以上`."""

    unit: str = ""
    scale: str = ""  # 万 / 亿
    decimals: int = 0
    approx: str = ""  # 余 / 左右 / 以上
    step: float | None = None
    # Where 余 goes: before the unit (3万余人次, default) or right after the number
    # (1200余万元: `approx_at=number`).
    approx_at: str = "unit"


@dataclass(frozen=True, slots=True)
class Binding:
    kind: str  # figure / param / year
    key: str  # indicator code or parameter name
    style: Style = Style()
    # Which years the sentence means: sum (五年合计), latest (最近一年), year:2023, or
    # param:NAME (the year a round parameter names, e.g. the event the sentence cites).
    aggregation: str = ""
    # A figure the draft already states (覆盖率达100％): printed as drafted, and listed
    # under 待核实 when the data say otherwise.
    as_drafted: str = ""


class BadBinding(Exception):
    """报告模板中的绑定写法有误，请检查 report/template.md。"""


AGGREGATION = re.compile(r"^(sum|latest|year:\d{4}|param:\w+)$")


@dataclass(slots=True)
class Block:
    kind: str  # title / heading / paragraph
    parts: list[str | Binding] = field(default_factory=list)


def parse_binding(text: str) -> Binding:
    head, *options = text.split()
    if ":" in head:
        kind, key = head.split(":", 1)
        return Binding(kind, key)
    values = dict(option.split("=", 1) for option in options)
    aggregation = values.get("agg", "")
    if not AGGREGATION.match(aggregation):
        raise BadBinding(f"{BadBinding.__doc__}（{head} 缺少或写错 agg=sum|latest|year:年份"
                         "|param:参数名：这句话说的是五年合计、最近一年还是某一年？）")
    style = Style(unit=values.get("unit", ""), scale=values.get("scale", ""),
                  decimals=int(values.get("decimals", 0)), approx=values.get("approx", ""),
                  step=float(values["step"]) if "step" in values else None,
                  approx_at=values.get("approx_at", "unit"))
    return Binding("figure", head, style, aggregation, values.get("as_drafted", ""))


def _parts(line: str) -> list[str | Binding]:
    parts: list[str | Binding] = []
    position = 0
    for match in _BINDING.finditer(line):
        if match.start() > position:
            parts.append(line[position:match.start()])
        parts.append(parse_binding(match.group(1)))
        position = match.end()
    if position < len(line):
        parts.append(line[position:])
    return parts


def load_template(path: Path | None = None) -> list[Block]:
    path = path or office_file("template.md")
    text = _COMMENT.sub("", path.read_text(encoding="utf-8"))
    blocks = []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        if line.startswith("# "):
            blocks.append(Block("title", _parts(line[2:])))
        elif line.startswith("## "):
            blocks.append(Block("heading", _parts(line[3:])))
        else:
            blocks.append(Block("paragraph", _parts(line)))
    return blocks
