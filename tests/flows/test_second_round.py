"""The second year as the office lives it: a round with corrections, `round new`, the
pre-filled template a department fills (the new year added, one past year revised), the
revision held and then accepted, the report over the new years — and the previous round's
products still there, byte for byte."""

import email
import hashlib
from email import policy
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from flows.cli import app
from forms.layout import FIRST_DATA_ROW, FIXED_HEADERS, NOTE_HEADER
from forms.workbook import CARRIED_ZH
from schemas.catalogue import get_catalogue
from schemas.departments import get_registry
from schemas.round import configured_round
from warehouse.models import Issue
from warehouse.store import Warehouse
from warehouse.table import consolidated_table

REVISED_CODE = "league.lecturers.sessions"  # the issue's example: 2023 宣讲场次 137 → 150


def _huizong(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _table(settings) -> dict[tuple[str, int], object]:
    warehouse = Warehouse(settings.warehouse_url)
    warehouse.init()
    with warehouse.begin() as session:
        rows = consolidated_table(session, warehouse.catalogue, warehouse.registry,
                                  warehouse.years)
    return {(row.indicator_code, row.year): row for row in rows}


def _newest_mail(settings, kind: str, department: str) -> email.message.EmailMessage:
    path = sorted(settings.outbox_dir.glob(f"*_{kind}_{department}.eml"))[-1]
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def _text(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def test_a_second_round_carries_values_and_holds_a_revision(example_inbox):
    settings = example_inbox
    catalogue, registry, first = get_catalogue(), get_registry(), configured_round().round
    revised = catalogue.indicator(REVISED_CODE)
    department = registry.get(revised.department)
    revised_year = first.years[len(first.years) // 2]

    # The first round, with a correction decided by the office.
    _huizong("run")
    _huizong("review", "accept", "-d", "检察院", "--indicator", "批准逮捕侵害未成年人犯罪人数",
             "--year", "2023", "--reason", "电话核实：一案多人")
    closing = _table(settings)
    before = _hashes(settings.outputs_dir)
    assert "report.docx" in before and "indicator_table.csv" in before

    # 开启新一轮: one year later.
    new_first, new_last = first.first_year + 1, first.last_year + 1
    opened = _huizong("round", "new", "--first-year", str(new_first), "--last-year",
                      str(new_last), "--deadline", f"{first.deadline.year + 1}-12-15",
                      "--by", "吴敏")
    kept = settings.outputs_dir / first.name
    assert f"其产出保存在 outputs/{first.name}/" in opened
    assert _hashes(kept) == before, "the closed round's products are moved, never changed"
    carried = [row for key, row in closing.items() if key[1] >= new_first
               and row.status in ("ok", "warning", "pending", "entered", "not_applicable")]
    assert f"带入上轮已采用的数值 {len(carried)} 个" in opened
    listing = _huizong("round", "list")
    assert first.name in listing and f"{new_first}—{new_last}" in listing

    # The template comes pre-filled: past years grey with last round's values, the new
    # year empty; the guide says what the grey cells are.
    template = next((settings.outputs_dir / "templates").glob(f"*_{department.name}.xlsx"))
    book = openpyxl.load_workbook(template)
    sheet = book.worksheets[0]
    assert CARRIED_ZH in "".join(str(c.value) for c in book.worksheets[1]["A"] if c.value)
    year_column = {year: len(FIXED_HEADERS) + 1 + n
                   for n, year in enumerate(range(new_first, new_last + 1))}
    note_column = year_column[new_last] + 1
    assert sheet.cell(FIRST_DATA_ROW - 1, note_column).value == NOTE_HEADER
    rows = {sheet.cell(r, 2).value: r for r in range(FIRST_DATA_ROW, sheet.max_row + 1)
            if sheet.cell(r, 2).value}
    assert set(rows) == {i.code for i in catalogue.owned_by(department.code)}
    for code, r in rows.items():
        for year, column in year_column.items():
            cell, old = sheet.cell(r, column), closing.get((code, year))
            if year == new_last:
                assert cell.value is None
            elif old is not None and old.status == "ok":
                assert cell.value == old.value and cell.fill.fgColor.rgb.endswith("E7E6E6")

    # The department fills it as a clerk would: the new year, and one past year revised.
    old_value = closing[(REVISED_CODE, revised_year)].value
    new_value = old_value + 13
    for code, r in rows.items():
        latest = closing.get((code, first.last_year))
        sheet.cell(r, year_column[new_last]).value = latest.value if latest else None
    sheet.cell(rows[REVISED_CODE], year_column[revised_year]).value = new_value
    sheet.cell(rows[REVISED_CODE], note_column).value = "经复核，原报数漏计线上宣讲"
    book.save(settings.inbox_dir / f"{department.name}{new_last}年填报表.xlsx")
    _huizong("run")

    table = _table(settings)
    held = table[(REVISED_CODE, revised_year)]
    assert held.value == old_value, "the value accepted last round stays until the office decides"
    assert table[(REVISED_CODE, new_last)].value == closing[(REVISED_CODE, first.last_year)].value
    mail = _text(_newest_mail(settings, "issues", department.code))
    line = (f"「{revised.name}」{revised_year}年填报“{new_value:g}”，与上轮已采用值"
            f"“{old_value:g}”不同，待联席办确认（单位备注：经复核，原报数漏计线上宣讲）")
    assert line in mail
    assert "暂不采用，待联席办确认后告知，贵单位无需为此重新报送" in mail
    waiting = _huizong("review", "list")
    assert f"{revised.name} {revised_year}年（填报 {new_value:g}" in waiting

    # The office accepts the revision: the table, the report and the department's mail.
    said = _huizong("review", "accept", "-d", department.name, "--indicator", revised.name,
                    "--year", str(revised_year), "--reason", "与年报核对无误")
    assert (f"已确认采用 {revised.name} {revised_year}年的修订 {new_value:g}（上轮已采用 "
            f"{old_value:g}）") in said
    table = _table(settings)
    assert table[(REVISED_CODE, revised_year)].value == new_value
    told = _text(_newest_mail(settings, "decision", department.code))
    assert (f"贵单位对「{revised.name}」{revised_year}年的修订“{new_value:g}”（上轮已采用"
            f"“{old_value:g}”），经联席办核实，确认采用") in told
    report = (settings.outputs_dir / "report.md").read_text(encoding="utf-8")
    source = next(line for line in report.splitlines() if f". {revised.name}：" in line)
    assert f"{first.first_year}年" not in source
    total = sum(table[(REVISED_CODE, y)].value for y in range(new_first, new_last + 1))
    assert f"{revised.name}：{total:g} {revised.unit}" in source
    assert f"{revised_year}年 {new_value:g}（{department.name}{new_last}年填报表.xlsx" in source

    warehouse = Warehouse(settings.warehouse_url)
    warehouse.init()
    with warehouse.begin() as session:
        revision = session.query(Issue).filter_by(indicator_code=REVISED_CODE,
                                                  rule="revision").one()
        assert revision.state == "explained"
    assert _hashes(kept) == before
    assert "已结束" in _huizong("round", "show", first.name)
