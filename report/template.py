"""Read the report template (`template.md`): paragraphs of text and bindings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

TEMPLATE_FILE = Path(__file__).resolve().parent / "template.md"
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
    style = Style(unit=values.get("unit", ""), scale=values.get("scale", ""),
                  decimals=int(values.get("decimals", 0)), approx=values.get("approx", ""),
                  step=float(values["step"]) if "step" in values else None,
                  approx_at=values.get("approx_at", "unit"))
    return Binding("figure", head, style)


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


def load_template(path: Path = TEMPLATE_FILE) -> list[Block]:
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
