"""Write the run's products: CSV for machines (stable English columns and codes), XLSX for
people (Chinese headers, colours, a legend). Every text cell is escaped against formula
injection, because department names, file names and typed values come from users."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from config.clock import iso_local, local_text
from forms.printing import print_ready
from products import PRODUCT_FILES
from schemas.catalogue import Catalogue, Indicator
from schemas.issue import SEVERITY_ORDER
from schemas.labels import CELL_STATUS_ZH, LEDGER_ZH, SEVERITY_ZH, issue_state_zh
from schemas.messages import without_place
from schemas.round import get_round
from warehouse.models import Issue
from warehouse.table import LedgerRow, TableRow

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
STATUS_FILL = {"warning": "FFF2CC", "pending": "F8CBAD", "rejected": "FF9999",
               "missing": "D9D9D9", "not_applicable": "E2EFDA", "entered": "BDD7EE",
               "refused": "FF9999"}
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
# What each colour of the table means, for the legend a person reads.
STATUS_MEANING_ZH = {
    "ok": "数值已通过校验并采用",
    "warning": "数值已采用，但有提醒，请单位核对（可在报送表备注中说明原因）",
    "pending": "最新报送未通过校验，暂沿用上一版数值，等待单位修改",
    "rejected": "报送了但未通过校验，暂无可用数值",
    "missing": "尚未报送",
    "not_applicable": "单位填报为“不适用”（—）",
    "entered": "联席办录入的数值（电话、公函等核实）",
    "refused": "联席办不采用该数值，等待单位核实后重新报送",
}

NOT_IN_REPORT_ZH = "报告未引用"
# Codes stay stable for programs; each code column is followed (at the end, so no
# program's column moves) by its Chinese label for the person who opens the file.
TABLE_COLUMNS = ("indicator_code", "indicator_name", "unit", "department", "year", "value",
                 "status", "source_file", "source_cell", "status_zh")
ISSUE_COLUMNS = ("department", "file", "sheet", "cell", "indicator_code", "year", "raw_value",
                 "rule", "severity", "message_zh", "state", "first_seen", "last_seen",
                 "severity_zh", "state_zh")
CARRIED_NOTE_ZH = "（上轮已采用）"  # a value of an earlier round, not sent again in this one
LEDGER_COLUMNS = ("department", "expected", "received", "accepted", "open_errors",
                  "open_warnings", "last_submission", "mail_sender", "mail_sent_at", "status",
                  "status_zh")


def escape(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _number(value: float | None) -> int | float | str:
    """Numbers stay numbers (never escaped as text); a missing one is an empty field."""
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else round(value, 6)


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([escape(v) for v in row] for row in rows)


def issue_rows(issues: Sequence[tuple[Issue, str]], names: dict[str, str]) -> list[list[object]]:
    ordered = sorted(issues, key=lambda pair: (pair[0].department_key,
                                               SEVERITY_ORDER[pair[0].severity]))
    return [[names.get(i.department_code or "", "未识别单位"), file, i.sheet, i.cell,
             i.indicator_code, i.year or "", i.raw_value, i.rule, i.severity, i.message_zh,
             i.state, iso_local(i.first_seen), iso_local(i.last_seen)] for i, file in ordered]


def write_exports(out_dir: Path, table: list[TableRow], ledger: list[LedgerRow],
                  issues: Sequence[tuple[Issue, str]], catalogue: Catalogue,
                  years: tuple[int, ...], names: dict[str, str],
                  usage: dict[str, tuple[float | None, str]]) -> list[Path]:
    """`usage`: indicator code -> (the report's figure, which years it means), for the
    indicators the report cites."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / name for name in PRODUCT_FILES]
    _write_csv(paths[0], TABLE_COLUMNS, (
        [r.indicator_code, r.indicator_name, r.unit, r.department, r.year, _number(r.value),
         r.status, r.source_file, r.source_cell,
         CELL_STATUS_ZH[r.status] + (CARRIED_NOTE_ZH if r.carried else "")] for r in table))
    _write_csv(paths[1], ISSUE_COLUMNS, (
        [*row, SEVERITY_ZH[str(row[8])], issue_state_zh(str(row[8]), str(row[10]))]
        for row in issue_rows(issues, names)))
    _write_csv(paths[2], LEDGER_COLUMNS, (
        [r.department, r.expected, r.received, r.accepted, r.open_errors, r.open_warnings,
         iso_local(r.last_submission), r.mail_sender, iso_local(r.mail_sent_at), r.status,
         LEDGER_ZH[r.status]] for r in ledger))
    _write_workbook(paths[3], table, ledger, issues, names, catalogue, years, usage)
    return paths


def received_via_zh(row: LedgerRow) -> str:
    """How the department's newest version came: the inbox, or a mail (who, when)."""
    if not row.mail_sender:
        return "收件箱" if row.last_submission else ""
    return f"邮件（{row.mail_sender}，{local_text(row.mail_sent_at, '%m-%d %H:%M')} 发出）"


def _write_workbook(path: Path, table: list[TableRow], ledger: list[LedgerRow],
                    issues: Sequence[tuple[Issue, str]], names: dict[str, str],
                    catalogue: Catalogue, years: tuple[int, ...],
                    usage: dict[str, tuple[float | None, str]]) -> None:
    """For people: Chinese everywhere, codes hidden, A4 and one page wide when printed."""
    city = get_round().city
    span = f"{years[0]}—{years[-1]}年"
    workbook = Workbook()
    summary = workbook.active
    summary.title = "汇总"
    _wide_sheet(summary, table, catalogue, years, usage, _reasons(issues))
    print_ready(summary, f"{city}青年发展指标汇总表（{span}）", landscape=True, repeat_rows="1:1")
    ledger_sheet = workbook.create_sheet("报送情况")
    _rows(ledger_sheet, ["责任单位", "应报项数", "已报项数", "已采用项数", "待改错误", "待核提醒",
                         "最近报送时间", "报送方式", "状态"],
          [[r.department, r.expected, r.received, r.accepted, r.open_errors, r.open_warnings,
            local_text(r.last_submission), received_via_zh(r), LEDGER_ZH[r.status]]
           for r in ledger],
          widths=(22, 9, 9, 10, 9, 9, 17, 30, 9))
    print_ready(ledger_sheet, f"{city}青年发展数据报送情况", landscape=False,
                repeat_rows="1:1")
    issue_sheet = workbook.create_sheet("问题清单")
    ordered = sorted(issues, key=lambda pair: (pair[0].department_key,
                                               SEVERITY_ORDER[pair[0].severity]))
    _rows(issue_sheet, ["责任单位", "文件", "单元格", "指标", "年度", "填报值", "级别",
                        "问题说明", "状态", "首次发现", "最近发现"],
          [[names.get(i.department_code or "", "未识别单位"), file,
            f"{i.sheet}!{i.cell}" if i.cell else "",
            _indicator_name(catalogue, i.indicator_code), i.year or "", i.raw_value,
            SEVERITY_ZH[i.severity], i.message_zh, issue_state_zh(i.severity, i.state),
            local_text(i.first_seen), local_text(i.last_seen)] for i, file in ordered],
          widths=(16, 24, 12, 22, 7, 12, 7, 60, 8, 16, 16))
    print_ready(issue_sheet, f"{city}青年发展数据问题清单", landscape=True, repeat_rows="1:1")
    legend = workbook.create_sheet("图例")
    _rows(legend, ["颜色", "状态", "含义"],
          [["", CELL_STATUS_ZH[s], STATUS_MEANING_ZH[s]] for s in CELL_STATUS_ZH],
          widths=(8, 20, 60))
    for row, status in enumerate(CELL_STATUS_ZH, start=2):
        if status in STATUS_FILL:
            legend.cell(row, 1).fill = PatternFill("solid", fgColor=STATUS_FILL[status])
    print_ready(legend, "图例", landscape=False)
    workbook.save(path)


def _indicator_name(catalogue: Catalogue, code: str) -> str:
    try:
        return catalogue.indicator(code).name
    except KeyError:
        return ""  # a file-level problem names no indicator


def _rows(sheet: Worksheet, header: list[str], rows: Iterable[Sequence[object]],
          widths: Sequence[int]) -> None:
    sheet.append(header)
    for cell in sheet[1]:
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in rows:
        sheet.append([escape(v) for v in row])
        for cell in sheet[sheet.max_row]:
            cell.border, cell.alignment = BOX, WRAP
        sheet.row_dimensions[sheet.max_row].height = _height(row, widths)
    sheet.freeze_panes = "A2"
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def _height(row: Sequence[object], widths: Sequence[int]) -> float:
    """Tall enough for every wrapped cell to print whole (a Chinese character takes about
    1.85 units of column width): spreadsheet programs do not grow a row on their own."""
    lines = max((math.ceil(sum(1.85 if ord(c) > 0x2E80 else 1 for c in str(value)) /
                           max(width, 1))
                 for value, width in zip(row, widths, strict=False) if value not in (None, "")),
                default=1)
    return 15.0 * max(lines, 1) + 3


def _number_format(indicator: Indicator) -> str:
    """As a clerk would print it: rates 98.6, counts and yuan 1,731, 万/亿 12.35."""
    if indicator.kind == "percent":
        return "0.0"
    if indicator.checks.integer or indicator.unit == "元":
        return "#,##0"
    return "#,##0.00" if indicator.unit[:1] in ("万", "亿") else "#,##0.0#"


def _reasons(issues: Sequence[tuple[Issue, str]]) -> dict[tuple[str, int], list[str]]:
    """(indicator, year) -> what the open problems on that value say, for its comment."""
    found: dict[tuple[str, int], list[str]] = {}
    for issue, _ in issues:
        if issue.state == "open" and issue.severity != "info" and issue.year:
            found.setdefault((issue.indicator_code, issue.year), []).append(
                without_place(issue.message_zh, issue.cells))
    return found


def _comment(row: TableRow, reasons: list[str]) -> str:
    """Why a coloured cell is coloured, in the words a person needs."""
    head = STATUS_MEANING_ZH[row.status]
    if row.status in ("rejected", "pending", "refused") and row.submitted:
        head += f"；报送值“{row.submitted}”"
    if row.status == "entered":
        head += f"：{row.source_file}"
    elif row.status == "refused":
        head += f"；{row.explanation}"
    return "\n".join([head, *reasons])


def _wide_sheet(sheet: Worksheet, table: list[TableRow], catalogue: Catalogue,
                years: tuple[int, ...], usage: dict[str, tuple[float | None, str]],
                reasons: dict[tuple[str, int], list[str]]) -> None:
    header = ["指标代码", "指标名称", "单位", "责任单位", *(f"{y}年" for y in years),
              "五年报告取值", "报告用法"]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    by_indicator: dict[str, dict[int, TableRow]] = {}
    for row in table:
        by_indicator.setdefault(row.indicator_code, {})[row.year] = row
    for code, cells in by_indicator.items():
        indicator = catalogue.indicator(code)
        first = next(iter(cells.values()))
        total, used_as = usage.get(code, (None, NOT_IN_REPORT_ZH))
        sheet.append([code, escape(first.indicator_name), first.unit, escape(first.department),
                      *(_display(cells[y]) for y in years), total, used_as])
        line = sheet.max_row
        sheet.row_dimensions[line].height = _height([first.indicator_name, first.department],
                                                    (30, 22))
        for cell in sheet[line]:
            cell.border = BOX
            cell.alignment = Alignment(vertical="center", wrap_text=cell.column in (2, 4))
        number_format = _number_format(indicator)
        for offset, year in enumerate(years, start=5):
            cell, row = sheet.cell(line, offset), cells[year]
            cell.number_format = number_format
            if row.status in STATUS_FILL:
                cell.fill = PatternFill("solid", fgColor=STATUS_FILL[row.status])
                text = _comment(row, reasons.get((code, year), []))
                cell.comment = Comment(text, "联席办", width=300,
                                       height=40 + 18 * (text.count("\n") + len(text) // 18))
            if row.status in ("rejected", "refused") and row.submitted:
                # What was sent stays visible, struck through: it was not taken.
                cell.value = escape(row.submitted)
                cell.font = Font(strike=True, color="C00000")
                cell.alignment = Alignment(horizontal="right", vertical="center")
        sheet.cell(line, 5 + len(years)).number_format = number_format
    sheet.freeze_panes = "E2"
    sheet.auto_filter.ref = sheet.dimensions  # filter by 责任单位 instead of a sheet each
    for column, width in zip("ABCD", (34, 30, 8, 22), strict=True):
        sheet.column_dimensions[column].width = width
    for offset in range(len(years) + 2):
        sheet.column_dimensions[get_column_letter(5 + offset)].width = 11
    sheet.column_dimensions["A"].hidden = True  # the code is for machines (the CSV has it)


def _display(row: TableRow) -> object:
    if row.status == "not_applicable":
        return "—"
    return row.value
