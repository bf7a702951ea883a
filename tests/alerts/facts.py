"""What each mail of a run must state, collected from the warehouse on its own (not
through alerts/), and every .eml of the outbox parsed back: tests compare the two as
sets, sentence by sentence, instead of checking that a mail exists."""

from __future__ import annotations

import email
import re
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select

from schemas.labels import LEDGER_ZH, SEVERITY_ZH
from schemas.observation import UNREADABLE_RULES
from warehouse.models import AcceptedValue, File, Issue, Observation, Submission
from warehouse.store import Warehouse

HEADER = "级别 | 表/单元格 | 指标 | 年度 | 填报值 | 问题 | 修改建议"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of an issue mail's table, as the clerk reads it."""

    severity: str
    place: str
    indicator: str
    year: str
    raw: str


@dataclass(slots=True)
class Owed:
    """What a department's issue mail must say."""

    rows: Counter = field(default_factory=Counter)
    attachments: set[str] = field(default_factory=set)
    refused_files: set[str] = field(default_factory=set)
    errors: int = 0  # errors about figures (refused values)
    missing: int = 0
    warnings: int = 0  # warnings about figures, whose values were taken
    file_warnings: int = 0  # warnings about a whole file or a row it could not place


@dataclass(slots=True)
class ParsedMail:
    kind: str  # issues / confirmation / reminder / summary / mail_reply
    department: str
    subject: str
    text: str
    attachments: list[str]
    rows: Counter = field(default_factory=Counter)


def owed(warehouse: Warehouse) -> dict[str, Owed]:
    """department code -> what its issue mail must state, from open issues and files."""
    names = {i.code: i.name for i in warehouse.catalogue.indicators}
    facts: dict[str, Owed] = {}
    with warehouse.begin() as session:
        found = session.execute(
            select(Issue, File).outerjoin(File, File.id == Issue.file_id)
            .where(Issue.state == "open", Issue.severity.in_(("error", "warning")),
                   Issue.department_code.is_not(None))).all()
    refused_file_ids = {i.file_id for i, _ in found if i.rule in UNREADABLE_RULES}
    for issue, file in found:
        fact = facts.setdefault(issue.department_code, Owed())
        cells = issue.cells.split("、") if issue.cells else (
            [f"{issue.sheet}!{issue.cell}"] if issue.cell else [])
        about_file = not (issue.indicator_code and issue.year)
        if cells:
            place = "、".join(cells)
        elif about_file:
            place = f"《{file.original_name}》整个文件"
        else:
            place = "表中没有这一项"
        fact.rows[Row(SEVERITY_ZH[issue.severity], place, names.get(issue.indicator_code, ""),
                      str(issue.year or ""), issue.raw_value)] += 1
        if issue.severity == "error" and about_file:
            fact.refused_files.add(file.original_name)
        elif issue.severity == "error":
            fact.errors += 1
        elif issue.rule == "missing_value":
            fact.missing += 1
        elif about_file:
            fact.file_warnings += 1
        else:
            fact.warnings += 1
        if cells and issue.file_id not in refused_file_ids:
            fact.attachments.add(f"{Path(file.original_name).stem}（问题已标注）.xlsx")
    return facts


def adopted_by_department(warehouse: Warehouse) -> dict[str, int]:
    with warehouse.begin() as session:
        rows = session.execute(select(AcceptedValue.department_code).where(
            AcceptedValue.observation_id.is_not(None))).scalars().all()
    return dict(Counter(rows))


def files_in_use(warehouse: Warehouse) -> dict[str, str]:
    """file name -> the state the office is told: a file still supplying values is never
    called replaced."""
    with warehouse.begin() as session:
        backing = set(session.scalars(select(Observation.submission_id).join(
            AcceptedValue, AcceptedValue.observation_id == Observation.id)))
        versions = session.execute(select(Submission, File).join(
            File, File.id == Submission.file_id)).all()
    return {file.original_name: ("in_use" if s.id in backing else s.status)
            for s, file in versions}


def parse_outbox(outbox: Path) -> list[ParsedMail]:
    mails = []
    for path in sorted(outbox.glob("*.eml")):
        message: EmailMessage = email.message_from_bytes(path.read_bytes(),
                                                         policy=policy.default)
        _, kind, department = path.stem.split("_", 2)
        text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        mails.append(ParsedMail(kind, department, str(message["Subject"]), text,
                                [a.get_filename() for a in message.iter_attachments()],
                                _table_rows(text)))
    return mails


def _table_rows(text: str) -> Counter:
    rows: Counter = Counter()
    if HEADER not in text:
        return rows
    for line in text.split(HEADER, 1)[1].splitlines()[1:]:
        if not line.strip():
            break
        severity, place, indicator, year, raw, *_ = [c.strip() for c in line.split(" | ")]
        rows[Row(severity, place, indicator, year, raw)] += 1
    return rows


def summary_counts(text: str) -> dict[str, int]:
    """`已报 3 个单位，待修改 4 个，未报 2 个（…），已报的单位中已审核通过 1 个` parsed back;
    已报 counts the approved ones too."""
    found = re.search(r"已报 (\d+) 个单位，待修改 (\d+) 个，未报 (\d+) 个", text)
    assert found, text
    approved = re.search(r"已报的单位中已审核通过 (\d+) 个", text)
    counts = dict(zip(("submitted", "needs_fix", "not_submitted"), map(int, found.groups()),
                      strict=True))
    counts["approved"] = int(approved.group(1)) if approved else 0
    counts["submitted"] -= counts["approved"]
    return counts


def summary_ledger(text: str) -> dict[str, tuple[str, ...]]:
    """The office summary's ledger table: department -> (应报, 已采用, 待改错误, 待核提醒, 状态)."""
    rows = {}
    header = "单位 | 应报 | 已采用 | 待改错误 | 待核提醒 | 状态"
    for line in text.split(header, 1)[1].splitlines()[1:]:
        if not line.strip():
            break
        name, *cells = [c.strip() for c in line.split(" | ")]
        rows[name] = tuple(cells)
    return rows


def assert_issue_mails_tell_the_facts(warehouse: Warehouse, outbox: Path) -> None:
    """Every department with open problems got one issue mail stating exactly them, with
    exactly the annotated copies of its readable files that hold a marked problem."""
    facts = owed(warehouse)
    mails = [m for m in parse_outbox(outbox) if m.kind == "issues"]
    assert {m.department for m in mails} == set(facts), (sorted(m.department for m in mails),
                                                        sorted(facts))
    for mail in mails:
        fact = facts[mail.department]
        assert mail.rows == fact.rows, (mail.department, mail.rows - fact.rows,
                                        fact.rows - mail.rows)
        assert set(mail.attachments) == fact.attachments, mail.department
        for name in fact.refused_files:
            assert f"《{name}》整个文件" in mail.text and f"《{name}》" in mail.subject + mail.text
        intro = mail.text.split("\n", 1)[0]
        assert (f"有 {fact.errors} 项错误，这些数值暂未采用" in intro) == bool(fact.errors)
        assert (f"有 {fact.missing} 项数据未填写" in intro) == bool(fact.missing)
        assert (f"有 {fact.warnings} 项提醒，这些数值已采用" in intro) == bool(fact.warnings)
        assert ("这些数值已采用" in intro) == bool(fact.warnings)
        assert (f"有 {fact.file_warnings} 项提醒涉及整个文件" in intro) == bool(fact.file_warnings)
        after_table = mail.text.split(HEADER, 1)[1].split("\n\n", 1)[1]
        # The prose names which file could not be used and why (in the table), never a
        # blanket "your file could not be opened".
        assert "无法打开" not in intro + after_table
        if fact.attachments:
            assert "问题单元格已标红" in mail.text
        else:
            assert "问题单元格已标红" not in mail.text


def assert_settled_refusals_are_named(warehouse: Warehouse, outbox: Path) -> None:
    """On a first run, a refused file settled because its department's data came complete
    from other files is still named, with its reason, in that department's mail."""
    with warehouse.begin() as session:
        settled = session.execute(
            select(Issue.department_code, File.original_name).join(
                File, File.id == Issue.file_id)
            .where(Issue.state == "resolved", Issue.rule.in_(UNREADABLE_RULES))).all()
    mails = {}
    for mail in parse_outbox(outbox):
        if mail.kind in ("issues", "confirmation"):
            mails.setdefault(mail.department, "")
            mails[mail.department] += mail.text
    for department, name in settled:
        told = mails.get(department, "")
        assert "这些文件无需再处理" in told and f"  {name} | " in told, (department, name)


def assert_summary_tells_the_ledger(outbox: Path, ledger_csv: Path) -> None:
    [summary] = [m for m in parse_outbox(outbox) if m.kind == "summary"]
    lines = ledger_csv.read_text(encoding="utf-8-sig").splitlines()
    header, rows = lines[0].split(","), [dict(zip(lines[0].split(","), line.split(","),
                                                  strict=False)) for line in lines[1:]]
    assert "status" in header
    counts = summary_counts(summary.text)
    assert counts == {code: sum(1 for r in rows if r["status"] == code) for code in LEDGER_ZH}
    table = summary_ledger(summary.text)
    assert set(table) == {r["department"] for r in rows}
    for row in rows:
        assert table[row["department"]] == (row["expected"], row["accepted"], row["open_errors"],
                                             row["open_warnings"], LEDGER_ZH[row["status"]])


def assert_summary_lists_the_reports_doubts(outbox: Path, report_md: Path) -> None:
    """The office reads in its daily mail every 【待补】 and 【待核】 of the report."""
    [summary] = [m for m in parse_outbox(outbox) if m.kind == "summary"]
    markdown = report_md.read_text(encoding="utf-8")
    gaps = set(re.findall(r"【(待补：[^】…]+)】", markdown.split("## 附件一")[0]))
    checked = len(re.findall(r"【待核：", markdown.split("## 附件一")[0]))
    listed = set(re.findall(r"^  (待补：[^ |]+) \| ", summary.text, re.M))
    assert listed == gaps
    if gaps or checked:
        assert f"（共 {len(gaps) + checked} 处，" in summary.text
    else:
        assert "报告初稿中待补" not in summary.text


def assert_reminders_tell_the_ledger(outbox: Path, ledger_csv: Path) -> None:
    """A reminder says 尚未报送 only to a department that sent nothing at all; one that
    sent files (even refused ones) is told which indicators it still owes."""
    lines = ledger_csv.read_text(encoding="utf-8-sig").splitlines()
    rows = [dict(zip(lines[0].split(","), line.split(","), strict=False)) for line in lines[1:]]
    status = {r["department"]: r["status"] for r in rows}
    for mail in parse_outbox(outbox):
        if mail.kind != "reminder":
            continue
        name = mail.subject.split("】", 1)[1].split(" ", 1)[0]
        says_nothing_sent = "尚未报送青年发展数据" in mail.text
        assert says_nothing_sent == (status[name] == "not_submitted"), (name, status[name])
