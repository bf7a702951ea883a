"""Find the indicator table on a sheet by its content: header row, name, year and unit columns.

Three shapes are recognised, wherever they sit on the sheet:
- wide: one column per year (`2021`, `2021年`, `2021年度`, `２０２１`), possibly under a
  merged `年度` cell;
- long: one row per indicator and year (指标名称 / 年度 / 数值 / 单位 in any order);
- one sheet per year: the sheet is named after the year and has a single value column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from schemas.catalogue import Catalogue
from schemas.names import fold, normalise_name, split_unit
from transforms.grid import Grid

HEADER_SEARCH_ROWS = 40
MATCH_SAMPLE_ROWS = 200
_YEAR = re.compile(r"^(20\d{2}|19\d{2})(?:年度|年)?(?:数据|数值|填报值)?$")
# `21年` is 2021 only with the 年 that makes it a year.
_SHORT_YEAR = re.compile(r"^(\d{2})(?:年度|年)(?:数据|数值|填报值)?$")
# 二〇二一年, 二零二一年: year numbers are written digit by digit.
_CHINESE_DIGITS = str.maketrans("〇○零一二三四五六七八九", "000123456789")
_TABLE_UNIT = re.compile(r"单位\s*[:：]\s*([^\s,，;；]+)")

LABELS: dict[str, frozenset[str]] = {
    "name": frozenset({"指标名称", "指标", "指标项目", "项目", "名称", "项目名称", "内容",
                       "指标内容", "统计指标", "主要指标"}),
    "code": frozenset({"指标代码", "代码", "编码", "指标编码", "指标编号"}),
    "unit": frozenset({"单位", "计量单位", "统计单位"}),
    "note": frozenset({"备注", "说明", "备注说明", "情况说明"}),
    "seq": frozenset({"序号", "编号"}),
    "year": frozenset({"年度", "年份", "年", "统计年度", "所属年度"}),
    "value": frozenset({"数值", "数据", "填报值", "值", "数量", "完成值", "本年数", "完成数",
                        "指标值", "统计数", "实际完成", "完成情况", "填报数"}),
}


def parse_year(value: object) -> int | None:
    if isinstance(value, float | int) and not isinstance(value, bool):
        number = float(value)
        return int(number) if number.is_integer() and 1990 <= number <= 2100 else None
    if not isinstance(value, str):
        return None
    text = normalise_name(fold(value).translate(_CHINESE_DIGITS))
    if match := _YEAR.match(text):
        return int(match.group(1))
    if match := _SHORT_YEAR.match(text):
        return 2000 + int(match.group(1))
    return None


@dataclass(slots=True)
class Layout:
    header_row: int
    name_col: int
    code_col: int | None = None
    unit_col: int | None = None
    note_col: int | None = None
    year_cols: dict[int, int] = field(default_factory=dict)  # wide: column -> year
    year_col: int | None = None  # long
    value_col: int | None = None  # long, or one sheet per year
    sheet_year: int | None = None
    column_units: dict[int, str] = field(default_factory=dict)
    table_unit: str | None = None

    @property
    def value_columns(self) -> list[int]:
        if self.year_cols:
            return list(self.year_cols)
        return [self.value_col] if self.value_col is not None else []


def _label(value: object, units: set[str]) -> tuple[str | None, str | None]:
    """(kind, unit) of a header cell: kind is a LABELS key, `year:2021`, or None."""
    if value is None:
        return None, None
    text, unit = split_unit(str(value), units) if isinstance(value, str) else (value, None)
    year = parse_year(text)
    if year is not None:
        return f"year:{year}", unit
    key = normalise_name(str(text))
    for kind, names in LABELS.items():
        if key in names:
            return kind, unit
    if key.startswith("指标名称"):
        return "name", unit
    return None, unit


def find_layout(grid: Grid, catalogue: Catalogue) -> Layout | None:
    units = set(catalogue.units)
    sheet_year = parse_year(fold(grid.name))
    for r in range(min(grid.height, HEADER_SEARCH_ROWS)):
        labels = [_label(grid.value(r, c), units) for c in range(len(grid.rows[r]))]
        kinds = [kind for kind, _ in labels]
        # A two-row header keeps some labels (指标名称, 单位, 备注) in the row above.
        above = [_label(grid.value(r - 1, c), units)[0] if r else None
                 for c in range(len(labels))]
        merged = [k if k is not None else (a if a and not a.startswith("year:") else None)
                  for k, a in zip(kinds, above, strict=True)]
        year_cols = {c: int(k[5:]) for c, k in enumerate(merged) if k and k.startswith("year:")}
        has_name = "name" in merged or "code" in merged
        layout: Layout | None = None
        if len(year_cols) >= 2 or (year_cols and has_name):
            layout = Layout(r, -1, year_cols=year_cols)
        elif has_name and "year" in merged and "value" in merged:
            layout = Layout(r, -1, year_col=merged.index("year"), value_col=merged.index("value"))
        elif has_name and sheet_year is not None:
            value_col = merged.index("value") if "value" in merged else None
            layout = Layout(r, -1, value_col=value_col, sheet_year=sheet_year)
        if layout is None:
            continue
        layout.code_col = merged.index("code") if "code" in merged else None
        layout.unit_col = merged.index("unit") if "unit" in merged else None
        layout.note_col = merged.index("note") if "note" in merged else None
        layout.column_units = {c: u for c, (_, u) in enumerate(labels) if u}
        layout.table_unit = _table_unit(grid, r, units)
        taken = {*layout.year_cols, layout.year_col, layout.value_col, layout.code_col,
                 layout.unit_col, layout.note_col}
        layout.name_col = _name_column(grid, layout, merged, taken, catalogue)
        if layout.name_col < 0:
            continue
        if layout.unit_col is None:
            layout.unit_col = _unit_column(grid, layout, taken | {layout.name_col}, units)
        if layout.sheet_year is not None and layout.value_col is None:
            layout.value_col = _first_free_column(merged, taken | {layout.name_col},
                                                  after=layout.name_col)
            if layout.value_col is None:
                continue
        return layout
    return None


def _table_unit(grid: Grid, header_row: int, units: set[str]) -> str | None:
    """A `单位：万人次` note in the title area applies to the whole table."""
    for r in range(header_row):
        for value in grid.rows[r]:
            if isinstance(value, str):
                match = _TABLE_UNIT.search(fold(value))
                if match and match.group(1) in units:
                    return match.group(1)
    return None


def _name_column(grid: Grid, layout: Layout, labels: list[str | None], taken: set[int | None],
                 catalogue: Catalogue) -> int:
    """The column naming the indicators: the one whose cells match the catalogue best."""
    first, last = layout.header_row + 1, min(grid.height, layout.header_row + MATCH_SAMPLE_ROWS)
    scores: dict[int, int] = {}
    for c in range(grid.width):
        if c in taken:
            continue
        scores[c] = sum(
            1 for r in range(first, last)
            if isinstance(value := grid.value(r, c), str) and catalogue.match(value) is not None
        )
    best = max(scores, key=lambda c: (scores[c], labels[c] == "name" if c < len(labels) else 0),
               default=-1)
    if best >= 0 and scores[best] > 0:
        return best
    if "name" in labels:
        return labels.index("name")
    return layout.code_col if layout.code_col is not None else -1


def _unit_column(grid: Grid, layout: Layout, taken: set[int | None],
                 units: set[str]) -> int | None:
    """An unlabelled column that holds units (`人`, `万人次`) — in a transposed table the
    unit row under the indicator names has no header of its own."""
    first, last = layout.header_row + 1, min(grid.height, layout.header_row + MATCH_SAMPLE_ROWS)
    for c in range(grid.width):
        if c in taken:
            continue
        texts = [fold(str(v)).replace(" ", "") for r in range(first, last)
                 if (v := grid.value(r, c)) not in (None, "")]
        if len(texts) >= 2 and sum(t in units for t in texts) >= 0.8 * len(texts):
            return c
    return None


def _first_free_column(labels: list[str | None], taken: set[int | None], after: int) -> int | None:
    for c in range(after + 1, len(labels)):
        if c not in taken and labels[c] not in {"seq", "unit", "note", "code", "name"}:
            return c
    return None
