"""The department's own workbook, with every problem cell coloured and commented and a
first sheet 问题清单 linking to them — the file the clerk corrects and sends back."""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.cell import coordinate_from_string
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.hyperlink import Hyperlink

from config import get_settings
from schemas.labels import SEVERITY_ZH
from schemas.observation import ParseStatus
from transforms.container import Container, inspect
from transforms.grid import load_grids
from transforms.values import parse_value

ISSUE_SHEET = "问题清单"
FILLS = {"error": PatternFill("solid", fgColor="FFC7CE"),
         "warning": PatternFill("solid", fgColor="FFEB9C")}


@dataclass(frozen=True, slots=True)
class CellProblem:
    severity: str  # error / warning
    sheet: str
    cell: str
    indicator: str
    year: int | None
    raw_value: str
    message: str


def annotated_workbook(archived: Path, problems: Sequence[CellProblem]) -> bytes:
    """An .xlsx: the original (or, for .xls/.csv, its values at the same addresses)
    with the problems marked. Formatting is kept as far as openpyxl allows."""
    workbook = _open_as_xlsx(archived)
    if ISSUE_SHEET in workbook.sheetnames:  # a returned annotated copy: start afresh
        del workbook[ISSUE_SHEET]
    by_cell: dict[tuple[str, str], list[CellProblem]] = defaultdict(list)
    for problem in problems:
        if problem.sheet in workbook.sheetnames and problem.cell:
            by_cell[(problem.sheet, problem.cell)].append(problem)
    for (sheet, cell), found in by_cell.items():
        target = workbook[sheet][cell]
        worst = "error" if any(p.severity == "error" for p in found) else "warning"
        target.fill = FILLS[worst]
        text = "\n".join(f"【{SEVERITY_ZH[p.severity]}】{p.message}"
                         for p in sorted(found, key=lambda p: p.severity != "error"))
        comment = Comment(text, "联席办")
        comment.width, comment.height = 320, 40 + 18 * text.count("\n") + len(text) // 2
        target.comment = comment
    _issue_sheet(workbook, problems)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _open_as_xlsx(archived: Path) -> Workbook:
    data = archived.read_bytes()
    container = inspect(data, archived.name, get_settings())
    if isinstance(container, Container) and container.file_format == "xlsx":
        try:
            # Macros are not carried over: the copy is a plain .xlsx.
            return load_workbook(io.BytesIO(data), rich_text=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError):
            pass  # a workbook openpyxl cannot load: send its values, addresses kept
    workbook = Workbook()
    workbook.remove(workbook.active)
    if isinstance(container, Container):
        for grid in load_grids(data, container):
            sheet = workbook.create_sheet(grid.name[:31])
            # The reader copies a merged cell's value over its range; the copy keeps the
            # department's merges instead (a title across A1:M1 is written once).
            covered = {(r, c) for (r0, c0), (r1, c1) in grid.merged
                       for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)
                       if (r, c) != (r0, c0)}
            for r, row in enumerate(grid.rows):
                for c, value in enumerate(row):
                    at = (grid.top + r, grid.left + c)
                    if value is not None and at not in covered:
                        sheet.cell(at[0] + 1, at[1] + 1, _typed(value))
            for (r0, c0), (r1, c1) in grid.merged:
                if (r0, c0) != (r1, c1):
                    sheet.merge_cells(start_row=r0 + 1, start_column=c0 + 1,
                                      end_row=r1 + 1, end_column=c1 + 1)
    return workbook


def _typed(value: object) -> object:
    """CSV cells arrive as text; a plain number goes back as a number the clerk can edit."""
    if not isinstance(value, str):
        return value
    parsed = parse_value(value, ())
    if parsed.status is ParseStatus.NUMBER and parsed.multiplier == 1 and parsed.unit is None:
        number = parsed.number
        return int(number) if number is not None and number.is_integer() else number
    return value


def _issue_sheet(workbook: Workbook, problems: Sequence[CellProblem]) -> None:
    sheet = workbook.create_sheet(ISSUE_SHEET, 0)
    sheet.append(["序号", "级别", "位置", "指标", "年度", "填报值", "问题及修改建议"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    ordered = sorted(problems, key=lambda p: (p.severity != "error", p.sheet, _order(p.cell)))
    for number, problem in enumerate(ordered, start=1):
        place = f"{problem.sheet}!{problem.cell}" if problem.cell else "整个文件"
        sheet.append([number, SEVERITY_ZH.get(problem.severity, problem.severity), place,
                      problem.indicator, problem.year or "", problem.raw_value, problem.message])
        link = sheet.cell(sheet.max_row, 3)
        if problem.cell and problem.sheet in workbook.sheetnames:
            link.hyperlink = Hyperlink(ref=link.coordinate,
                                       location=f"'{problem.sheet}'!{problem.cell}")
            link.font = Font(color="0563C1", underline="single")
        sheet.cell(sheet.max_row, 2).fill = FILLS.get(problem.severity, PatternFill())
    for column, width in zip("ABCDEFG", (6, 8, 16, 30, 8, 14, 90), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    workbook.active = 0


def _order(cell: str) -> tuple[int, str]:
    if not cell:
        return (0, "")
    column, row = coordinate_from_string(cell)
    return (row, column)
