"""The office changes its own catalogue (a copy under HUIZONG_CATALOGUE_DIR) between runs:
an indicator retired, renamed or added, a department added. Every run exits 0 and says
the truth about the change. The commands run as the office types them, in their own
processes."""

import csv
import email
import shutil
from email import policy
from pathlib import Path

import openpyxl
import pytest
import yaml
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from config import PROJECT_ROOT
from forms.layout import FIRST_DATA_ROW, FIXED_HEADERS
from schemas.office_files import SHIPPED
from schemas.round import configured_round
from tests.flows.conftest import huizong, project_at
from warehouse.models import Issue

pytestmark = pytest.mark.slow
FOLDER = "联席办目录"


def _huizong(root: Path, *args: str) -> str:
    done = huizong(*args, HUIZONG_CATALOGUE_DIR=str(root / FOLDER))
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, prefect_server) -> Path:
    """The example round run once with the office's own copy of the catalogue, and the
    templates written for it."""
    root = tmp_path_factory.mktemp("office")
    with project_at(root) as settings:
        shutil.copytree(PROJECT_ROOT / "inbox", settings.inbox_dir)
        said = _huizong(root, "init", "--copy-catalogue")
        assert all(name in said for name in SHIPPED) and "（联席办）" in said
        _huizong(root, "run")
        _huizong(root, "templates")
    return root


@pytest.fixture
def office(baseline, tmp_path):
    root = tmp_path / "office"
    shutil.copytree(baseline, root)
    with project_at(root) as settings:
        yield settings, root


def _edit(root: Path, name: str, change) -> None:
    path = root / FOLDER / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")


def _csv(settings, name: str) -> list[dict[str, str]]:
    with (settings.outputs_dir / name).open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _issues(settings, code: str) -> list[Issue]:
    with Session(create_engine(settings.warehouse_url)) as session:
        return list(session.scalars(select(Issue).where(Issue.indicator_code == code)))


def _fill(template: Path, target: Path) -> None:
    """A clerk fills every empty year with the year before's value (1 for a first year)."""
    book = openpyxl.load_workbook(template)
    sheet = book.worksheets[0]
    first = len(FIXED_HEADERS) + 1
    for row in range(FIRST_DATA_ROW, sheet.max_row + 1):
        if not sheet.cell(row, 2).value:
            continue
        previous = 1
        for column in range(first, first + 5):
            cell = sheet.cell(row, column)
            if cell.value is None:
                cell.value = previous
            previous = cell.value if isinstance(cell.value, int | float) else previous
    book.save(target)


def test_retiring_an_indicator_closes_its_issues_and_leaves_a_gap(office):
    settings, root = office
    # An indicator the report speaks of and that has an open problem (the department is
    # 待修改 for it): the office stops collecting it.
    indicators = yaml.safe_load((root / FOLDER / "indicators.yaml").read_text("utf-8"))
    template = (root / FOLDER / "template.md").read_text(encoding="utf-8")
    open_codes = {i.indicator_code for i in _issues_all(settings) if i.state == "open"}
    retired = next(i for i in indicators["indicators"]
                   if i["code"] in open_codes and i["code"] in template)
    owner = retired["department"]
    blank = next((settings.outputs_dir / "templates").glob(f"*_{_name(root, owner)}.xlsx"))

    def retire(data):
        data["indicators"] = [i for i in data["indicators"] if i["code"] != retired["code"]]
        data["relations"] = [r for r in data.get("relations", [])
                             if retired["code"] not in yaml.safe_dump(r)]
    _edit(root, "indicators.yaml", retire)
    # The department's next file still has the row (an old template).
    _fill(blank, settings.inbox_dir / f"{_name(root, owner)}更正.xlsx")
    said = _huizong(root, "run")

    assert f"指标目录有变化：停用指标「{retired['name']}」" in said
    assert "待补数据" in said and f"指标已停用·{retired['name']}" in said
    report = (settings.outputs_dir / "report.md").read_text(encoding="utf-8")
    assert f"【待补：指标已停用·{retired['name']}】" in report and "XX" not in report
    problems = _issues(settings, retired["code"])
    assert problems and all(i.state in ("closed", "resolved") for i in problems)
    assert any(i.explanation == "指标已停用" for i in problems)
    notes = [row for row in _csv(settings, "issues.csv")
             if "该指标本轮已停用，无需填报" in " ".join(row.values())]
    assert notes and retired["name"] in " ".join(notes[0].values())
    assert not any(retired["code"] == row["indicator_code"]
                   for row in _csv(settings, "indicator_table.csv"))
    ledger = {row["department"]: row for row in _csv(settings, "ledger.csv")}
    assert "待修改" not in " ".join(ledger[_name(root, owner)].values())
    checked = _huizong(root, "init")  # the office is told which sentence to rewrite
    assert f"引用了已停用的指标「{retired['name']}」（{retired['code']}）" in checked


def test_a_renamed_indicator_still_reads_its_old_name(office):
    settings, root = office
    code, new_name = "league.lecturers.sessions", "青年讲师团宣讲活动场次"
    old_name = {}

    def rename(data):
        entry = next(i for i in data["indicators"] if i["code"] == code)
        old_name["name"] = entry["name"]
        entry["name"] = new_name
    _edit(root, "indicators.yaml", rename)
    years = configured_round().round.years
    accepted = {int(row["year"]): float(row["value"]) for row in
                _csv(settings, "indicator_table.csv") if row["indicator_code"] == code}
    corrected = accepted[years[-1]] + 5
    # A department's own sheet, without the code column, using the name it always used.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["填报单位：团市委"])
    sheet.append(["指标名称", "单位", *(f"{y}年" for y in years)])
    sheet.append([old_name["name"], "场次", *(accepted[y] for y in years[:-1]), corrected])
    book.save(settings.inbox_dir / "团市委宣讲场次补报.xlsx")
    said = _huizong(root, "run")

    assert f"指标「{old_name['name']}」改名为「{new_name}」" in said
    rows = {int(row["year"]): row for row in _csv(settings, "indicator_table.csv")
            if row["indicator_code"] == code}
    assert rows[years[-1]]["indicator_name"] == new_name
    assert float(rows[years[-1]]["value"]) == corrected
    assert rows[years[-1]]["source_file"] == "团市委宣讲场次补报.xlsx"
    assert not any("最接近" in " ".join(row.values()) for row in _csv(settings, "issues.csv"))


def test_an_added_indicator_is_asked_for(office):
    settings, root = office
    added = {"code": "league.volunteer.new_projects", "name": "青年志愿服务新增项目数",
             "unit": "个", "department": "youth_league", "kind": "count", "additive": True,
             "section": 1, "definition": "当年新增的青年志愿服务项目个数。",
             "checks": {"minimum": 0, "integer": True}}
    _edit(root, "indicators.yaml", lambda data: data["indicators"].append(added))
    before = {r["department"]: r for r in _csv(settings, "ledger.csv")}["团市委"]
    said = _huizong(root, "run")
    assert "汇总表和报告保持不变" not in said  # the catalogue changed: the table is rebuilt
    assert f"新增指标「{added['name']}」" in said
    rows = [r for r in _csv(settings, "indicator_table.csv")
            if r["indicator_code"] == added["code"]]
    assert [int(r["year"]) for r in rows] == list(configured_round().round.years)
    assert all(r["status"] == "missing" for r in rows)
    after = {r["department"]: r for r in _csv(settings, "ledger.csv")}["团市委"]
    assert int(after["expected"]) == int(before["expected"]) + len(rows)
    _huizong(root, "templates")
    template = next((settings.outputs_dir / "templates").glob("*_团市委.xlsx"))
    codes = [c.value for c in openpyxl.load_workbook(template).worksheets[0]["B"]]
    assert added["code"] in codes


def test_an_added_department_is_reminded(office):
    settings, root = office
    department = {"code": "civil_affairs", "name": "市民政局", "full_name": "青源市民政局",
                  "aliases": ["民政局"], "contact": "赵敏",
                  "email": "minzheng@qingyuan.example.gov.cn"}
    indicator = {"code": "civil.youth_relief.families", "name": "困境青少年救助家庭数",
                 "unit": "户", "department": "civil_affairs", "kind": "count",
                 "additive": False, "section": 5,
                 "definition": "年末在册的困境青少年救助家庭户数。",
                 "checks": {"minimum": 0, "integer": True}}
    _edit(root, "departments.yaml", lambda data: data["departments"].insert(-1, department))
    _edit(root, "indicators.yaml", lambda data: data["indicators"].append(indicator))
    said = _huizong(root, "run")
    assert "新增责任单位「市民政局」" in said
    ledger = {r["department"]: r for r in _csv(settings, "ledger.csv")}
    assert ledger["市民政局"]["status_zh"] == "未报"
    reminder, = settings.outbox_dir.glob("*_reminder_civil_affairs.eml")
    mail = email.message_from_bytes(reminder.read_bytes(), policy=policy.default)
    assert "minzheng@qingyuan.example.gov.cn" in mail["To"]
    body = mail.get_body(("plain",)).get_content()
    assert body.startswith("赵敏同志：您好！") and "困境青少年救助家庭数" in body
    said = _huizong(root, "templates")
    assert "市民政局：1 项指标" in said


def _issues_all(settings) -> list[Issue]:
    with Session(create_engine(settings.warehouse_url)) as session:
        return list(session.scalars(select(Issue)))


def _name(root: Path, code: str) -> str:
    data = yaml.safe_load((root / FOLDER / "departments.yaml").read_text(encoding="utf-8"))
    return next(d["name"] for d in data["departments"] if d["code"] == code)
