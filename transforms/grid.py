"""Load the sheets of a recognised file as plain grids of values, addresses preserved."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import python_calamine

from transforms.container import Container, SheetFacts

CellValue = str | float | int | object | None


def column_letter(number: int) -> str:
    """1 → A, 27 → AA (bijective base 26). openpyxl's own costs 0.13 s of imports in
    every reader process."""
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@dataclass(slots=True)
class Grid:
    """One sheet. `rows[r][c]` is the cell at 0-based (top + r, left + c); in a transposed
    view it is the cell at (top + c, left + r), so addresses always name the real cell."""

    name: str
    rows: list[list[CellValue]]
    top: int = 0
    left: int = 0
    facts: SheetFacts = field(default_factory=SheetFacts)
    visible: bool = True  # hidden and very hidden sheets are not data
    transposed: bool = False
    # The sheet's merged ranges, ((first row, first column), (last row, last column)),
    # 0-based sheet addresses: an annotated copy merges them again.
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)

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
        if self.transposed:
            r, c = c, r
        return f"{column_letter(self.left + c + 1)}{self.top + r + 1}"

    def transpose(self) -> Grid:
        """The sheet with rows and columns swapped: years down the first column and
        indicators across read like the usual wide table."""
        width = self.width
        columns = [[row[c] if c < len(row) else None for row in self.rows] for c in range(width)]
        return replace(self, rows=columns, transposed=not self.transposed)

    def fill_merged(self, ranges: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
        """Give every cell of a merged range the value of its top-left cell."""
        self.merged = list(ranges)
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


def _is_parser_failure(error: BaseException) -> bool:
    """calamine's own errors, anything the Python layer raises on odd bytes, and a Rust
    panic (pyo3's `PanicException` derives from BaseException, not Exception)."""
    if isinstance(error, KeyboardInterrupt | SystemExit | MemoryError):
        return False
    return isinstance(error, Exception) or type(error).__name__ == "PanicException"


def load_grids(data: bytes, container: Container) -> list[Grid]:
    """Every sheet, hidden ones included (marked), or `UnreadableWorkbook`."""
    if container.file_format == "csv":
        return [_csv_grid(data)]
    try:
        return list(_calamine_grids(data, container))
    except python_calamine.PasswordError as error:
        raise UnreadableWorkbook("encrypted") from error
    except BaseException as error:
        if not _is_parser_failure(error):
            raise
        raise UnreadableWorkbook(f"{type(error).__name__}: {error}") from error


def _calamine_grids(data: bytes, container: Container) -> Iterator[Grid]:
    # calamine guesses a file-like object's format and on failure only says it cannot
    # detect it; opened by path with the sniffed extension it names the real problem
    # (a password, a damaged stream).
    with tempfile.NamedTemporaryFile(suffix=f".{container.file_format}") as copy:
        copy.write(data)
        copy.flush()
        workbook = python_calamine.CalamineWorkbook.from_path(copy.name)
    metadata = workbook.sheets_metadata
    hidden = {m.name for m in metadata if m.visible != python_calamine.SheetVisibleEnum.Visible}
    # Chart and dialog sheets hold no cells; calamine may fail on them.
    worksheets = {m.name for m in metadata if m.typ == python_calamine.SheetTypeEnum.WorkSheet}
    for name in workbook.sheet_names:
        if name not in worksheets:
            continue
        sheet = workbook.get_sheet_by_name(name)
        top, left = sheet.start or (0, 0)
        rows = [[None if v == "" else v for v in row] for row in sheet.to_python()]
        grid = Grid(name, rows, top, left, container.sheet_facts.get(name, SheetFacts()),
                    visible=name not in hidden)
        grid.fill_merged(sheet.merged_cell_ranges or [])
        yield grid


def _csv_grid(data: bytes) -> Grid:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = data.decode("utf-8", "replace")
    # Lines may end in CR alone (old Mac exports); the csv module rejects a bare CR
    # inside an unquoted field, so lines are split first.
    lines = text.replace("\x00", "").splitlines()
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines[:50])[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        rows: list[list[CellValue]] = [
            [cell if cell.strip() else None for cell in row]
            for row in csv.reader(lines, dialect)
        ]
    except csv.Error as error:
        raise UnreadableWorkbook(str(error)) from error
    return Grid("CSV", rows)
