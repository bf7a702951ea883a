"""Write one department's 填报表 workbook for the round."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from forms.layout import (
    DATA_SHEET,
    FIRST_DATA_ROW,
    FIXED_HEADERS,
    GUIDE_SHEET,
    HEADER_ROW,
    NOT_APPLICABLE_MARK,
    NOTE_HEADER,
    TITLE_ROW,
    UNIT_ROW,
)
from forms.printing import print_ready
from schemas.catalogue import Catalogue, Indicator
from schemas.departments import Department, get_registry
from schemas.describe import ADDITIVE_ZH, describe_checks, format_number
from schemas.round import RoundParameters

INPUT_FILL = PatternFill("solid", fgColor="FFF9E5")
# A value accepted in an earlier round, filled in for the department to check.
CARRIED_FILL = PatternFill("solid", fgColor="E7E6E6")
CARRIED_ZH = "上轮已采用"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
UNLOCKED = Protection(locked=False)
TITLE_FONT = Font(name="宋体", size=16, bold=True)
BODY_FONT = Font(name="宋体", size=11)
HEADER_FONT = Font(name="宋体", size=11, bold=True)


def template_filename(department: Department, parameters: RoundParameters) -> str:
    return f"{parameters.round.report_year}年青年发展数据填报表_{department.name}.xlsx"


def write_template(
    department: Department,
    catalogue: Catalogue,
    parameters: RoundParameters,
    out_dir: Path,
    carried: Mapping[tuple[str, int], float | str] | None = None,
) -> Path:
    """`carried`: (indicator code, year) -> the value accepted in an earlier round, in
    the reporting unit (or the 不适用 mark); those cells come filled and grey."""
    indicators = catalogue.owned_by(department.code)
    workbook = Workbook()
    data_sheet = workbook.active
    data_sheet.title = DATA_SHEET
    _write_data_sheet(data_sheet, department, indicators, catalogue, parameters, carried or {})
    _write_guide_sheet(workbook.create_sheet(GUIDE_SHEET), indicators, catalogue, parameters,
                       get_registry().office, bool(carried))
    workbook.properties.title = f"{parameters.round.name}·{department.name}"
    workbook.properties.creator = parameters.city + "青年工作联席会议办公室"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / template_filename(department, parameters)
    workbook.save(path)
    return path


def _year_columns(parameters: RoundParameters) -> list[tuple[int, int]]:
    """(column index, year) for each year of the round."""
    first = len(FIXED_HEADERS) + 1
    return [(first + offset, year) for offset, year in enumerate(parameters.round.years)]


def _write_data_sheet(
    sheet: Worksheet,
    department: Department,
    indicators: tuple[Indicator, ...],
    catalogue: Catalogue,
    parameters: RoundParameters,
    carried: Mapping[tuple[str, int], float | str],
) -> None:
    years = _year_columns(parameters)
    note_column = years[-1][0] + 1
    last_letter = get_column_letter(note_column)
    round_ = parameters.round

    sheet.merge_cells(f"A{TITLE_ROW}:{last_letter}{TITLE_ROW}")
    title = sheet.cell(TITLE_ROW, 1, f"{parameters.city}青年发展数据填报表"
                       f"（{round_.first_year}—{round_.last_year}年）")
    title.font, title.alignment = TITLE_FONT, Alignment(horizontal="center")
    sheet.row_dimensions[TITLE_ROW].height = 30

    sheet.cell(UNIT_ROW, 1, f"填报单位：{department.name}").font = HEADER_FONT
    sheet.cell(UNIT_ROW, years[0][0], "联系人：").font = BODY_FONT
    contact = sheet.cell(UNIT_ROW, years[1][0])
    contact.protection, contact.fill = UNLOCKED, INPUT_FILL
    sheet.cell(UNIT_ROW, years[2][0], "联系电话：").font = BODY_FONT
    phone = sheet.cell(UNIT_ROW, years[3][0])
    phone.protection, phone.fill = UNLOCKED, INPUT_FILL
    deadline = round_.deadline
    sheet.cell(UNIT_ROW + 1, 1, (
        f"请按“单位”列填写各年度数值；不适用的填“{NOT_APPLICABLE_MARK}”；暂无数据请留空并在备注中说明。"
        f"报送截止：{deadline.year}年{deadline.month}月{deadline.day}日。"
        + (f"灰色单元格为{CARRIED_ZH}的数值，无误不必改动，有误直接改写并在备注中说明。"
           if carried else "")
    )).font = Font(name="宋体", size=10, color="C00000")

    headers = [*FIXED_HEADERS, *(f"{year}年" for _, year in years), NOTE_HEADER]
    for column, text in enumerate(headers, start=1):
        cell = sheet.cell(HEADER_ROW, column, text)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    validations: dict[tuple, list[str]] = defaultdict(list)
    for offset, indicator in enumerate(indicators):
        row = FIRST_DATA_ROW + offset
        for column, value in enumerate(
            (offset + 1, indicator.code, indicator.name, indicator.unit), start=1
        ):
            cell = sheet.cell(row, column, value)
            cell.font, cell.border = BODY_FONT, BOX
            cell.alignment = Alignment(vertical="center", wrap_text=column == 3)
        for column, year in years:
            value = carried.get((indicator.code, year))
            cell = sheet.cell(row, column, value)
            cell.protection, cell.border = UNLOCKED, BOX
            cell.fill = INPUT_FILL if value is None else CARRIED_FILL
            cell.number_format = _number_format(indicator)
        note = sheet.cell(row, note_column)
        note.protection, note.border = UNLOCKED, BOX
        note.alignment = Alignment(wrap_text=True, vertical="center")
        span = f"{get_column_letter(years[0][0])}{row}:{get_column_letter(years[-1][0])}{row}"
        validations[_validation_key(indicator)].append(span)

    for key, ranges in validations.items():
        validation = _data_validation(key, catalogue)
        for span in ranges:
            validation.add(span)
        sheet.add_data_validation(validation)

    for column, width in zip(range(1, note_column + 1),
                             [6, 30, 40, 9, *([12] * len(years)), 30], strict=True):
        sheet.column_dimensions[get_column_letter(column)].width = width
    # The reader matches the code or the name; the clerk reads the name.
    sheet.column_dimensions[get_column_letter(FIXED_HEADERS.index("指标代码") + 1)].hidden = True
    sheet.freeze_panes = sheet.cell(FIRST_DATA_ROW, years[0][0])
    print_ready(sheet, f"{department.name} 青年发展数据填报表", landscape=True,
                repeat_rows=f"{HEADER_ROW}:{HEADER_ROW}")
    sheet.protection.sheet = True
    # Let clerks resize and format freely; only content outside the input cells is locked.
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False
    sheet.protection.formatCells = False


def _number_format(indicator: Indicator) -> str:
    return "#,##0" if indicator.checks.integer else "#,##0.00"


def _validation_key(indicator: Indicator) -> tuple:
    checks = indicator.checks
    return (indicator.unit, checks.integer, checks.minimum, checks.minimum_exclusive,
            checks.maximum)


def _data_validation(key: tuple, catalogue: Catalogue) -> DataValidation:
    unit, integer, minimum, minimum_exclusive, maximum = key
    kind = "whole" if integer else "decimal"
    if minimum is not None and maximum is not None:
        operator, formulas = "between", (minimum, maximum)
        expected = f"{format_number(minimum)}～{format_number(maximum)} 之间的"
    elif minimum is not None:
        operator = "greaterThan" if minimum_exclusive else "greaterThanOrEqual"
        formulas = (minimum,)
        expected = f"{'大于' if minimum_exclusive else '不小于'} {format_number(minimum)} 的"
    else:
        operator, formulas = "lessThanOrEqual", (maximum if maximum is not None else 1e15,)
        expected = ""
    number = "整数" if integer else "数字"
    validation = DataValidation(
        type=kind,
        operator=operator,
        formula1=str(formulas[0]),
        formula2=str(formulas[1]) if len(formulas) > 1 else None,
        allow_blank=True,
        # A warning, not a stop: a clerk must still be able to type "—" for 不适用.
        errorStyle="warning",
        showErrorMessage=True,
        showInputMessage=True,
        promptTitle="填写提示",
        prompt=(f"请填写{expected}{number}，单位：{unit}。"
                f"不适用请填“{NOT_APPLICABLE_MARK}”，暂无数据请留空并在备注中说明。"),
        errorTitle="数值不符合要求",
        error=f"此处应填写{expected}{number}（单位：{unit}）。如确属不适用，可点“是”保留“—”。",
    )
    return validation


def _write_guide_sheet(
    sheet: Worksheet,
    indicators: tuple[Indicator, ...],
    catalogue: Catalogue,
    parameters: RoundParameters,
    office: Department,
    carried: bool,
) -> None:
    round_ = parameters.round
    deadline = round_.deadline
    lines = [
        f"{parameters.round.name}填报说明",
        f"1. 请在“{DATA_SHEET}”工作表的浅黄色单元格中填写 {round_.first_year}—{round_.last_year} "
        "年各年度的数值，每年填当年发生数（不是累计数），比率类填当年末数值。",
        "2. 请按“单位”列的单位填写；如按其他单位统计（如“人次”而非“万人次”），"
        "请在备注中注明，系统会自动换算并提示。",
        f"3. 不适用的指标填“{NOT_APPLICABLE_MARK}”；暂时没有数据请留空，并在备注中说明原因。"
        "“0”表示实际为零。",
        "4. 数值与上年相差较大等情况会收到核对提示，可在备注中写明原因，无需修改。",
        f"5. 请于 {deadline.year}年{deadline.month}月{deadline.day}日前将本表（保持 .xlsx 格式）"
        "发送至联席办，请勿修改表格结构和指标代码。",
        f"6. 联系人：{office.name} {office.reach_zh}。",
    ]
    if carried:
        lines.insert(1, (
            f"灰色单元格是{CARRIED_ZH}的数值（往年已报送并经联席办采用），已替贵单位填好，无误"
            f"不必改动；如有错误可直接改写，并在备注中说明原因，改动的数值经联席办确认后采用。"
            f"浅黄色空白单元格（{round_.last_year}年等）请填写。"))
    for row, text in enumerate(lines, start=1):
        # Across the table's width and wrapped, so a printed page shows the whole line.
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=7)
        cell = sheet.cell(row, 1, text)
        cell.font = TITLE_FONT if row == 1 else BODY_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.row_dimensions[row].height = 24 if row == 1 else 30
    header_row = len(lines) + 2
    headers = ("序号", "指标代码", "指标名称", "单位", "统计口径", "校验规则", "各年能否相加")
    for column, text in enumerate(headers, start=1):
        cell = sheet.cell(header_row, column, text)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BOX
    for offset, indicator in enumerate(indicators, start=1):
        values = (offset, indicator.code, indicator.name, indicator.unit, indicator.definition,
                  describe_checks(indicator, catalogue), ADDITIVE_ZH[indicator.additive])
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(header_row + offset, column, value)
            cell.font, cell.border = BODY_FONT, BOX
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in zip("ABCDEFG", (6, 30, 24, 8, 40, 40, 12), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.column_dimensions["B"].hidden = True  # the code is for the machine, not the clerk
    print_ready(sheet, f"{parameters.round.name}填报说明", landscape=True,
                repeat_rows=f"{header_row}:{header_row}")
    sheet.protection.sheet = True
