"""A new round on SQLite and PostgreSQL: the values accepted for the years still in the
window are carried, a past year sent again unchanged is simply confirmed, a differing one
is a 修订 that waits for the office (declined: the carried value stays, and says so when it
comes back; accepted: taken). The closed round's decisions and issues stay with it."""

import openpyxl
from sqlalchemy import select

from alerts.stage import run_alerts
from config import PROJECT_ROOT
from forms.layout import FIRST_DATA_ROW, FIXED_HEADERS
from pipeline.review import Review, awaiting
from pipeline.rounds import RoundRefused, next_round, open_next
from pipeline.signoff import SIGNED_DIR, lock
from schemas.round import configured_round
from tests.alerts.facts import parse_outbox
from tests.warehouse.helpers import drop, issues, run
from warehouse.decisions import lock_state
from warehouse.models import Issue, ReportingRound, Submission
from warehouse.rounds import ROUND_END_ZH
from warehouse.scope import Scope
from warehouse.table import consolidated_table

SOURCE = PROJECT_ROOT / "inbox" / "检察院未成年人检察工作数据.xlsx"
CASES = "procuratorate.crimes_against_minors.arrest_cases"  # row 7: F7 is the first year
ARRESTED = "procuratorate.crimes_against_minors.arrest_persons"
FIRST_YEAR_COLUMN = 6


def _table(warehouse):
    with warehouse.begin() as session:
        rows = consolidated_table(session, warehouse.catalogue, warehouse.registry,
                                  warehouse.years)
    return {(r.indicator_code, r.year): r for r in rows}


def _revised(tmp_path, name: str, year: int, value: float, note: str = "") -> object:
    book = openpyxl.load_workbook(SOURCE)
    sheet = book.active
    column = FIRST_YEAR_COLUMN + year - configured_round().round.first_year
    sheet.cell(7, column).value = value
    sheet.cell(7, 11).value = note
    path = tmp_path / name
    book.save(path)
    return path


def _mail(settings, kind: str) -> str:
    mails = [m for m in parse_outbox(settings.outbox_dir) if m.kind == kind
             and m.department == "procuratorate"]
    return f"{mails[-1].subject}\n{mails[-1].text}"


def test_a_revision_of_a_past_year_waits_for_the_office(warehouse, settings, tmp_path):
    first = configured_round().round
    drop(settings, SOURCE)
    run(warehouse, settings)
    review = Review(warehouse, settings)
    review.approve("检察院", "审核通过", "吴敏")
    before = _table(warehouse)
    revised_year = first.first_year + 2
    old = before[(CASES, revised_year)].value

    new = next_round(first.first_year + 1, first.last_year + 1,
                     first.deadline.replace(year=first.deadline.year + 1))
    try:
        open_next(warehouse, settings, new, "吴敏")
    except RoundRefused as refused:
        raise AssertionError(refused) from None
    assert warehouse.years == new.years
    after = _table(warehouse)
    assert (CASES, first.first_year) not in after
    assert all(after[key].value == before[key].value and after[key].status == before[key].status
               for key in after if key[1] < new.last_year and before[key].status == "ok")
    assert all(after[(code, new.last_year)].status == "missing"
               for code, _ in after if code.startswith("procuratorate."))
    # Carried values are in use, but nothing was sent in this round yet.
    ledger = {row.department_code: row for row in warehouse.current_ledger()}
    carried = sum(1 for key, row in after.items() if row.carried
                  and key[0].startswith("procuratorate."))
    assert carried > 0 and ledger["procuratorate"].accepted == carried
    assert (ledger["procuratorate"].received, ledger["procuratorate"].status) == (
        0, "not_submitted")
    # The closed round's open issues are closed with it.
    with warehouse.begin() as session:
        closed = session.scalars(select(Issue).where(Issue.indicator_code == ARRESTED)).all()
        assert closed and all((i.state, i.explanation) == ("closed", ROUND_END_ZH)
                              for i in closed)
        rounds = session.scalars(select(ReportingRound).order_by(ReportingRound.id)).all()
        assert [r.name for r in rounds] == [first.name, new.name]
    # The old round's approval is not this round's: the department's file is loaded.
    drop(settings, _revised(tmp_path, "检察院-修订.xlsx", revised_year, old + 4,
                            "经复核，漏计一件"))
    run(warehouse, settings)
    with warehouse.begin() as session:
        newest = session.scalars(select(Submission).order_by(Submission.id.desc())).first()
        assert newest.status != "held" and newest.round_id == rounds[1].id
    table = _table(warehouse)
    assert table[(CASES, revised_year)].value == old  # the carried value stays
    unchanged_year = revised_year + 1
    assert table[(CASES, unchanged_year)].source_file == "检察院-修订.xlsx"  # confirmed
    [revision] = [i for i in issues(warehouse, indicator_code=CASES) if i.rule == "revision"]
    assert (revision.state, revision.year, revision.raw_value) == ("open", revised_year,
                                                                    f"{old + 4:g}")
    assert f"与上轮已采用值“{old:g}”不同，待联席办确认（单位备注：经复核，漏计一件）" in \
        revision.message_zh
    assert revision.id in {a.issue.id for a in awaiting(warehouse, Scope(None))}
    # The person-count warning is raised again, as this round's own issue.
    assert [i for i in issues(warehouse, indicator_code=ARRESTED) if i.state == "open"]
    run_alerts(warehouse, settings)
    mail = _mail(settings, "issues")
    assert "1项待联席办确认" in mail or "1 项数值与已采用的数值不同" in mail
    assert "暂不采用，待联席办确认后告知，贵单位无需为此重新报送" in mail
    summary = [m for m in parse_outbox(settings.outbox_dir) if m.kind == "summary"][-1].text
    assert "修订往年数据、待联席办决定的数值（共 1 项" in summary
    assert f"与上轮已采用值“{old:g}”不同" in summary and "检察院-修订.xlsx，" in summary

    # Declined: the carried value stays; sent again, the office hears it was declined.
    review.reject("检察院", CASES, revised_year, "与年报不符", "吴敏")
    assert _table(warehouse)[(CASES, revised_year)].value == old
    assert "联席办不采用一项修订" in _mail(settings, "decision")
    assert f"仍采用上轮已采用的数值“{old:g}”" in _mail(settings, "decision")
    drop(settings, _revised(tmp_path, "检察院-再次修订.xlsx", revised_year, old + 4,
                            "确系漏计"))
    run(warehouse, settings)
    assert _table(warehouse)[(CASES, revised_year)].value == old
    [again] = [i for i in issues(warehouse, indicator_code=CASES) if i.rule == "revision"]
    assert again.state == "open" and "联席办此前已不采用这一修订（与年报不符）" in again.message_zh

    # Accepted: the revised value is taken, and the department is told so.
    review.accept("检察院", CASES, revised_year, "电话核实：确系漏计", "吴敏")
    assert _table(warehouse)[(CASES, revised_year)].value == old + 4
    told = _mail(settings, "decision")
    assert f"修订“{old + 4:g}”（上轮已采用“{old:g}”），经联席办核实，确认采用" in told


def test_every_prefilled_template_comes_back_without_a_revision(warehouse, settings):
    """Each department sends its pre-filled template back with only the new year added:
    every carried value reads back as the same value (units, 不适用 and decimals
    included), so nothing is a revision."""
    for source in sorted((PROJECT_ROOT / "inbox").rglob("*")):
        if source.is_file():
            drop(settings, source, folder=source.parent.name
                 if source.parent.name != "inbox" else None)
    run(warehouse, settings)
    first = configured_round().round
    opened = open_next(warehouse, settings, next_round(
        first.first_year + 1, first.last_year + 1,
        first.deadline.replace(year=first.deadline.year + 1)), "吴敏")
    carried = _table(warehouse)
    for template in opened.templates:
        book = openpyxl.load_workbook(template)
        sheet = book.worksheets[0]
        newest = len(FIXED_HEADERS) + len(warehouse.years)
        for row in range(FIRST_DATA_ROW, sheet.max_row + 1):
            if sheet.cell(row, 2).value:
                sheet.cell(row, newest).value = sheet.cell(row, newest - 1).value
        book.save(template)
        drop(settings, template)
    run(warehouse, settings)
    assert [i for i in issues(warehouse) if i.rule == "revision"] == []
    table = _table(warehouse)
    filled = {key: row for key, row in carried.items() if key[1] < warehouse.years[-1]
              and row.status == "ok"}
    assert filled
    assert all(table[key].value == row.value and table[key].source_file.endswith(".xlsx")
               and table[key].source_file.startswith(str(first.report_year + 1))
               for key, row in filled.items())


def test_a_signed_round_keeps_its_signed_products_and_the_next_is_open(warehouse, settings):
    drop(settings, SOURCE)
    run(warehouse, settings)
    signed = lock(warehouse, settings, "报市委审定稿", "吴敏")
    first = configured_round().round
    opened = open_next(warehouse, settings, next_round(
        first.first_year + 1, first.last_year + 1,
        first.deadline.replace(year=first.deadline.year + 1)), "吴敏")
    kept = settings.outputs_dir / opened.closed.products_folder
    assert (kept / signed.folder / "report.docx").is_file()
    assert not (settings.outputs_dir / SIGNED_DIR).exists()
    assert not warehouse.locked()  # the signature was the closed round's
    assert (settings.outputs_dir / "report.docx").is_file()
    with warehouse.begin() as session:
        assert lock_state(session) is None
