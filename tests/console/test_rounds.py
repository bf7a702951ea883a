"""A new round on the console: the running console follows `round new` taken elsewhere,
lists a department's revision of a past year as waiting for the office, and takes the
office's 确认采用 of it."""

import re
import shutil

import openpyxl
import pytest
from starlette.testclient import TestClient

from config import PROJECT_ROOT
from console.app import create_app
from flows.runs import nightly, open_warehouse
from forms.layout import FIRST_DATA_ROW, FIXED_HEADERS
from pipeline.rounds import next_round, open_next
from schemas.round import configured_round
from tests.console.conftest import PASSWORDS, csrf_of, login
from tests.flows.conftest import project_at
from warehouse.accounts import add_user
from warehouse.table import consolidated_table

CODE = "league.lecturers.sessions"


@pytest.fixture
def console(tmp_path, prefect_server):
    with project_at(tmp_path) as settings:
        shutil.copytree(PROJECT_ROOT / "inbox", settings.inbox_dir)
        nightly("manual")
        warehouse = open_warehouse(settings)
        with warehouse.begin() as session:
            add_user(session, "wumin", "office", None, PASSWORDS["wumin"])
        with TestClient(create_app(settings, warehouse), base_url="http://testserver") as client:
            assert login(client, "wumin").status_code == 303
            yield settings, client


def _value(settings, year: int) -> float | None:
    warehouse = open_warehouse(settings)
    with warehouse.begin() as session:
        rows = consolidated_table(session, warehouse.catalogue, warehouse.registry,
                                  warehouse.years)
    return next(r.value for r in rows if (r.indicator_code, r.year) == (CODE, year))


def test_the_console_follows_a_new_round_and_decides_a_revision(console):
    settings, client = console
    first = configured_round().round
    assert first.name in client.get("/").text
    new = next_round(first.first_year + 1, first.last_year + 1,
                     first.deadline.replace(year=first.deadline.year + 1))
    open_next(open_warehouse(settings), settings, new, "吴敏")  # as `huizong round new` does
    page = client.get("/").text
    assert f"{new.name}（{new.first_year}—{new.last_year}年）" in page

    revised_year = new.first_year + 1
    old = _value(settings, revised_year)
    template = next((settings.outputs_dir / "templates").glob("*_团市委.xlsx"))
    book = openpyxl.load_workbook(template)
    sheet = book.worksheets[0]
    row = next(r for r in range(FIRST_DATA_ROW, sheet.max_row + 1)
               if sheet.cell(r, 2).value == CODE)
    sheet.cell(row, len(FIXED_HEADERS) + 2).value = old + 13
    book.save(settings.inbox_dir / "团市委新一轮.xlsx")
    nightly("manual")

    assert "修订往年数据，与上轮已采用值不同，待确认" in client.get("/").text
    issues = client.get("/issues?department=youth_league").text
    assert f"与上轮已采用值“{old:g}”不同，待联席办确认" in issues
    assert 'action="/decisions/accept"' in issues
    assert "采用修订" in issues and "不采用修订" in issues
    form = {"department": "youth_league", "indicator": CODE, "year": str(revised_year),
            "back": "/issues?department=youth_league"}
    declined = client.post("/decisions/reject", data={
        **form, "reason": "与年报不符", "csrf_token": csrf_of(client)})
    notice = re.search(r'<p class="notice" role="status">(.*?)</p>', declined.text).group(1)
    assert "已不采用这一修订" in notice and "空缺" not in notice, notice
    assert _value(settings, revised_year) == old
    # The department insists, with a note: the office hears it again and takes it.
    sheet.cell(row, len(FIXED_HEADERS) + len(new.years) + 1).value = "确系漏计"
    book.save(settings.inbox_dir / "团市委新一轮（再报）.xlsx")
    nightly("manual")
    again = client.get("/issues?department=youth_league").text
    assert "联席办此前已不采用这一修订（与年报不符）" in again
    done = client.post("/decisions/accept", data={
        **form, "reason": "电话核实：确系漏计", "csrf_token": csrf_of(client)})
    assert "已确认采用" in done.text
    assert _value(settings, revised_year) == old + 13
