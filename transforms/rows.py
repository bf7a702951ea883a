"""Walk the rows of a found table and turn each value cell into a reading."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from schemas.catalogue import Catalogue, Indicator
from schemas.describe import format_number
from schemas.names import fold, normalise_name, split_unit
from schemas.observation import FileIssue, ParseStatus
from transforms.grid import Grid
from transforms.layout import Layout, parse_year
from transforms.values import ParsedValue, is_date, parse_value, raw_text

_TOTAL_ROW = re.compile(r"^(?:合计|小计|总计|共计|累计)")
# Matched on the folded label, before punctuation is dropped: `注：` is a note, `注册…` is not.
_NOTE_ROW = re.compile(r"^\s*(?:(?:注|说明|备注)\s*[:：0-9]|填表人|填报人|审核人|负责人|联系人|"
                       r"联系电话|填报日期|制表|单位负责人|统计负责人)")


@dataclass(frozen=True, slots=True)
class Reading:
    """One value cell, read and converted, before the department is known."""

    indicator: Indicator
    year: int
    value: float | None
    raw_value: str
    status: ParseStatus
    note: str
    sheet: str
    cell: str


def read_table(grid: Grid, layout: Layout, catalogue: Catalogue,
               years: tuple[int, ...]) -> tuple[list[Reading], list[FileIssue]]:
    readings: list[Reading] = []
    issues: list[FileIssue] = []
    units = set(catalogue.units)
    for r in range(layout.header_row + 1, grid.height):
        label = _text(grid.value(r, layout.name_col))
        code = _text(grid.value(r, layout.code_col)) if layout.code_col is not None else ""
        if not label and not code:
            continue
        if _NOTE_ROW.match(fold(label)):
            continue
        if _TOTAL_ROW.match(normalise_name(label)):
            issues.append(FileIssue("info", "row_skipped", f"已跳过合计行“{label}”。",
                                    grid.name, grid.address(r, layout.name_col)))
            continue
        indicator = (catalogue.match(code) if code else None) or catalogue.match(label)
        if indicator is None:
            if _has_values(grid, r, layout):
                issues.append(_unknown_indicator(label or code, catalogue, grid, r, layout))
            continue
        row_unit, unit_issue = _row_unit(grid, r, layout, indicator, units)
        if unit_issue:
            issues.append(unit_issue)
        note = _text(grid.value(r, layout.note_col)) if layout.note_col is not None else ""
        converted: list[tuple[str, str]] = []  # (cell, unit) read in a row or column unit
        fractions: list[str] = []  # percent-formatted cells holding 0.922 for 92.2%
        for column, year in _cells(grid, r, layout):
            if year is None or year not in years:
                if year is not None:
                    issues.append(FileIssue(
                        "info", "year_out_of_round",
                        f"{year}年不在本轮报送范围（{years[0]}—{years[-1]}年），已忽略。",
                        grid.name, grid.address(r, column), indicator.code, year))
                continue
            unit = row_unit or layout.column_units.get(column) or layout.table_unit
            reading, note_issue = _reading(grid, r, column, indicator, year, unit, note,
                                           catalogue)
            readings.append(reading)
            if note_issue and note_issue.rule == "percent_fraction":
                fractions.append(reading.cell)
            elif note_issue:
                issues.append(note_issue)
            elif unit and unit != indicator.unit and reading.value is not None:
                converted.append((reading.cell, unit))
        if converted:
            issues.append(_row_conversion_note(converted, indicator, catalogue, grid.name))
        if fractions:
            issues.append(_row_fraction_note(fractions, indicator, grid.name))
    return readings, issues


def _text(value: object) -> str:
    return raw_text(value) if value is not None else ""


def _cells(grid: Grid, r: int, layout: Layout) -> Iterator[tuple[int, int | None]]:
    if layout.year_cols:
        yield from layout.year_cols.items()
    elif layout.year_col is not None and layout.value_col is not None:
        yield layout.value_col, parse_year(grid.value(r, layout.year_col))
    elif layout.value_col is not None:
        yield layout.value_col, layout.sheet_year


def _has_values(grid: Grid, r: int, layout: Layout) -> bool:
    return any(grid.value(r, c) not in (None, "") for c in layout.value_columns)


def _unknown_indicator(label: str, catalogue: Catalogue, grid: Grid, r: int,
                       layout: Layout) -> FileIssue:
    retired = catalogue.retired_match(label)
    if retired is not None:
        return FileIssue("info", "retired_indicator",
                         f"「{retired.name}」该指标本轮已停用，无需填报，该行数据未读取。",
                         grid.name, grid.address(r, layout.name_col), raw_value=label)
    names = {normalise_name(i.name): i.name for i in catalogue.indicators}
    close = difflib.get_close_matches(normalise_name(label), list(names), n=3, cutoff=0.4)
    hint = ("最接近的目录指标：" + "、".join(f"「{names[k]}」" for k in close)) if close else \
        "目录中没有相近的指标"
    return FileIssue("warning", "unknown_indicator",
                     f"未能识别指标“{label}”，该行数据未读取；{hint}。请使用填报表中的指标名称。",
                     grid.name, grid.address(r, layout.name_col), raw_value=label)


def _row_unit(grid: Grid, r: int, layout: Layout, indicator: Indicator,
              units: set[str]) -> tuple[str | None, FileIssue | None]:
    """The unit a row declares (unit column, or written into the name), if any."""
    _, unit = split_unit(_text(grid.value(r, layout.name_col)), units)
    if layout.unit_col is not None:
        typed = fold(_text(grid.value(r, layout.unit_col))).replace(" ", "")
        if typed in units:
            unit = typed
        elif typed:
            return unit, FileIssue(
                "warning", "unit_unknown",
                f"「{indicator.name}」的单位“{typed}”无法识别，已按目录单位“{indicator.unit}”读取，"
                "请核对。", grid.name, grid.address(r, layout.unit_col), indicator.code,
                raw_value=typed)
    return unit, None


def _reading(grid: Grid, r: int, column: int, indicator: Indicator, year: int,
             context_unit: str | None, note: str,
             catalogue: Catalogue) -> tuple[Reading, FileIssue | None]:
    cell = grid.address(r, column)
    formula = grid.facts.uncalculated_formulas.get(cell)
    if formula is not None:
        return Reading(indicator, year, None, formula, ParseStatus.UNPARSED, note, grid.name,
                       cell), FileIssue(
            "error", "formula_not_calculated",
            f"公式未计算，请在 Excel/WPS 中打开后保存（公式“{formula}”没有计算结果）。",
            grid.name, cell, indicator.code, year, formula)
    typed = grid.value(r, column)
    if is_date(typed):
        shown = raw_text(typed)
        return Reading(indicator, year, None, shown, ParseStatus.UNPARSED, note, grid.name,
                       cell), FileIssue(
            "error", "date_not_number",
            f"「{indicator.name}」{year}年的单元格显示为日期“{shown}”，不是数字（在 Excel/WPS 中"
            f"输入“3-5”“3/5”这类内容会被自动当成日期）；请把该单元格格式改为“常规”或“数值”，"
            f"重新填写数字（单位：{indicator.unit}）。",
            grid.name, cell, indicator.code, year, shown)
    parsed = parse_value(typed, catalogue.units)
    if parsed.number is None:
        return Reading(indicator, year, None, parsed.raw, parsed.status, note, grid.name,
                       cell), None
    number = parsed.number
    fraction = (indicator.kind == "percent" and cell in grid.facts.percent_cells
                and parsed.unit is None and isinstance(typed, int | float))
    if fraction:
        number *= 100  # Excel shows 98.6% but stores 0.986
    if parsed.unit is None and parsed.multiplier != 1:
        # `1.2万` counts base units (人次, 元): 12,000, whatever the row's unit.
        unit, factor = catalogue.base_unit(indicator), parsed.multiplier
    else:
        unit = parsed.unit or context_unit or indicator.unit
        factor = catalogue.units[unit].factor
    value = round(number * factor, 6)
    issue = None
    typed_unit = parsed.unit is not None or parsed.multiplier != 1
    other_quantity = catalogue.units[unit].base != catalogue.base_unit(indicator)
    if (typed_unit and unit != indicator.unit) or other_quantity:
        issue = _conversion_note(parsed, unit, value, indicator, catalogue, grid.name, cell, year)
    elif fraction:
        issue = FileIssue("info", "percent_fraction", "", grid.name, cell, indicator.code, year)
    return Reading(indicator, year, value, parsed.raw, parsed.status, note, grid.name,
                   cell), issue


def _row_conversion_note(converted: list[tuple[str, str]], indicator: Indicator,
                         catalogue: Catalogue, sheet: str) -> FileIssue:
    """One note per row for values typed in the row's (or column's) unit, not per cell."""
    units = "、".join(dict.fromkeys(unit for _, unit in converted))
    cells = converted[0][0] if len(converted) == 1 else f"{converted[0][0]}:{converted[-1][0]}"
    return FileIssue("info", "unit_converted",
                     f"「{indicator.name}」按“{units}”填报（{cells} 共 {len(converted)} 个数值），"
                     f"已换算为“{indicator.unit}”。", sheet, converted[0][0], indicator.code)


def _row_fraction_note(cells: list[str], indicator: Indicator, sheet: str) -> FileIssue:
    span = cells[0] if len(cells) == 1 else f"{cells[0]}:{cells[-1]}"
    return FileIssue("info", "percent_fraction",
                     f"「{indicator.name}」{span} 设置了百分比格式（单元格存 0.922、显示 92.2%），"
                     f"已按显示的百分数读取（共 {len(cells)} 个数值）。", sheet, cells[0],
                     indicator.code)


def _conversion_note(parsed: ParsedValue, unit: str, value: float, indicator: Indicator,
                     catalogue: Catalogue, sheet: str, cell: str, year: int) -> FileIssue:
    shown = format_number(value / catalogue.factor(indicator))
    if catalogue.base_unit(indicator) != catalogue.units[unit].base:
        return FileIssue("warning", "unit_mismatch",
                         f"「{indicator.name}」{year}年填报“{parsed.raw}”，单位“{unit}”与指标单位"
                         f"“{indicator.unit}”不一致，暂按{shown}{indicator.unit}读取；"
                         "请核对单位。",
                         sheet, cell, indicator.code, year, parsed.raw)
    return FileIssue("info", "unit_converted",
                     f"「{indicator.name}」{year}年：已将“{parsed.raw}”（{unit}）换算为 "
                     f"{shown} {indicator.unit}。", sheet, cell, indicator.code, year, parsed.raw)
