"""Load the sheets of a recognised file as plain grids of values, addresses preserved."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

import python_calamine
from openpyxl.utils import get_column_letter

from transforms.container import Container, SheetFacts

CellValue = str | float | int | object | None


@dataclass(slots=True)
class Grid:
    """One sheet. `rows[r][c]` is the cell at 0-based (top + r, left + c)."""

    name: str
    rows: list[list[CellValue]]
    top: int = 0
    left: int = 0
    facts: SheetFacts = field(default_factory=SheetFacts)

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return max((len(row) for row in self.rows), default=0)

    def value(self, r: int, c: int) -> CellValue:
        row = self.rows[r]
        return row[c] if c < len(row) else None

    def address(self, r: int, c: int) -> str:
        return f"{get_column_letter(self.left + c + 1)}{self.top + r + 1}"

    def fill_merged(self, ranges: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
        """Give every cell of a merged range the value of its top-left cell."""
        for (r0, c0), (r1, c1) in ranges:
            r0, r1, c0, c1 = r0 - self.top, r1 - self.top, c0 - self.left, c1 - self.left
            if not (0 <= r0 < self.height and c0 >= 0):
                continue
            value = self.value(r0, c0)
            for r in range(r0, min(r1, self.height - 1) + 1):
                row = self.rows[r]
                for c in range(c0, c1 + 1):
                    if c >= len(row):
                        row.extend([None] * (c + 1 - len(row)))
                    if (r, c) != (r0, c0):
                        row[c] = value


class UnreadableWorkbook(Exception):
    """The parser gave up on a file that passed the container checks."""


def load_grids(data: bytes, container: Container) -> Iterator[Grid]:
    if container.file_format == "csv":
        yield _csv_grid(data)
        return
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            top, left = sheet.start or (0, 0)
            rows = [[None if v == "" else v for v in row] for row in sheet.to_python()]
            grid = Grid(name, rows, top, left, container.sheet_facts.get(name, SheetFacts()))
            grid.fill_merged(sheet.merged_cell_ranges or [])
            yield grid
    except python_calamine.PasswordError as error:
        raise UnreadableWorkbook("encrypted") from error
    except (python_calamine.CalamineError, python_calamine.ZipError,
            python_calamine.XmlError, ValueError, OSError) as error:
        raise UnreadableWorkbook(str(error)) from error


def _csv_grid(data: bytes) -> Grid:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = data.decode("utf-8", "replace")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[CellValue]] = [
        [cell if cell.strip() else None for cell in row]
        for row in csv.reader(io.StringIO(text), dialect)
    ]
    return Grid("CSV", rows)
