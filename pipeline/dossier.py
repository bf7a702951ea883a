"""What the console shows: the office's overview, one department's dossier (versions,
values, problems, mails) and the verdict on an upload. Every query goes through the
user's scope (warehouse.scope)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from alerts.annotate import CellProblem
from alerts.content import IssueLine, Tally
from alerts.stage import annotated_copy, issue_lines
from config import Settings
from config.clock import local_now
from pipeline.operations import operations_zh
from pipeline.review import Awaiting, HeldFile, held_files, needing_decision
from pipeline.signoff import Signed, signed
from report.figures import figures_by_indicator, open_warnings
from schemas.departments import Department
from schemas.messages import split_message, without_place
from schemas.observation import UNREADABLE_RULES
from schemas.round import get_round
from warehouse import views
from warehouse.decisions import REVIEW_ACTIONS, history
from warehouse.models import (
    Alert,
    Decision,
    File,
    Issue,
    MailAttachment,
    MailMessage,
    Submission,
    Upload,
)
from warehouse.scope import Scope
from warehouse.store import Warehouse
from warehouse.table import LedgerRow, TableRow, consolidated_table, ledger

OFFICE_PRODUCTS = {"report.docx": "报告初稿（含待补、待核标记）",
                   "report_clean.docx": "报告清样（无标记）",
                   "indicator_table.xlsx": "汇总表"}


@dataclass(slots=True)
class Overview:
    ledger: list[LedgerRow]
    deadline: dt.date
    days_left: int
    gaps: list[str]
    to_verify: list[str]
    products: list[tuple[str, str, bool]]  # file, label, exists
    operations: list[str]  # the run lock, the last run, the mail, as `status` says them
    awaiting: list[Awaiting] = field(default_factory=list)  # what the office may decide
    held: list[HeldFile] = field(default_factory=list)
    signed: Signed | None = None  # the round is locked
    round_name: str = ""
    years: tuple[int, ...] = ()


def overview(warehouse: Warehouse, settings: Settings, scope: Scope) -> Overview:
    """The office's page: every department's ledger row, the report's doubts."""
    parameters = get_round()
    with warehouse.begin() as session:
        table = consolidated_table(session, warehouse.catalogue, warehouse.registry,
                                   warehouse.years)
        rows = ledger(session, table, warehouse.registry)
        found = views.issues(session, scope)
    warnings = open_warnings(found)
    figures = figures_by_indicator(table, warehouse.catalogue, warehouse.registry, parameters,
                                   warnings).values()
    deadline = parameters.round.deadline
    products = [(name, label, (settings.outputs_dir / name).exists())
                for name, label in OFFICE_PRODUCTS.items()]
    return Overview(rows, deadline, (deadline - local_now().date()).days,
                    [f.marker.strip("【】") for f in figures if f.gap],
                    [f"{f.indicator.name}（{f.text}）：{'；'.join(f.to_verify)}"
                     for f in figures if f.check],
                    products, operations_zh(warehouse, settings), needing_decision(found),
                    held_files(warehouse), signed(warehouse), parameters.round.name,
                    warehouse.years)


@dataclass(slots=True)
class Dossier:
    department: Department
    row: LedgerRow
    versions: list[views.Version]
    years: tuple[int, ...]
    values: list[tuple[str, str, list[tuple[TableRow, int | None]]]]  # name, unit, cells
    lines: list[IssueLine]
    explained: list[tuple[Issue, str]]
    tally: Tally
    annotated: set[int]  # submissions whose file has problems to mark
    mails: list[Alert] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)  # the office's, newest first
    # Mail in its name the office has to decide on (sender not verified).
    held_mail: list[tuple[MailMessage, list[MailAttachment]]] = field(default_factory=list)

    @property
    def conflicted(self) -> bool:
        """Two of its files contradict each other: the office may choose one."""
        return any(line.rule == "conflicting_files" for line in self.lines)

    @property
    def review(self) -> Decision | None:
        """The newest 审核通过 or 退回修改 of the department."""
        return next((d for d in self.decisions if d.action in REVIEW_ACTIONS), None)


def dossier(warehouse: Warehouse, scope: Scope, department: Department) -> Dossier:
    names = {i.code: i.name for i in warehouse.catalogue.indicators}
    with warehouse.begin() as session:
        table = consolidated_table(session, warehouse.catalogue, warehouse.registry,
                                   warehouse.years)
        row = next(r for r in ledger(session, table, warehouse.registry)
                   if r.department_code == department.code)
        found = views.versions(session, scope, department.code)
        used = views.value_versions(session, scope, department.code)
        held = views.issues(session, scope, department.code, states=("open",))
        explained = views.issues(session, scope, department.code, states=("explained",))
        mails = views.mails(session, scope, department.code)
        decided = history(session, scope, department.code)
        waiting = views.held_mail(session, scope, department.code)
    own = [r for r in table if r.department_code == department.code]
    values = []
    for indicator in warehouse.catalogue.owned_by(department.code):
        cells = [(r, used.get((r.indicator_code, r.year))) for r in own
                 if r.indicator_code == indicator.code]
        values.append((indicator.name, indicator.unit, cells))
    mailed = [(i, n) for i, n in held if i.severity in ("error", "warning")]
    lines, problems = issue_lines(mailed, names)
    marked = {file_id for file_id, cells in problems.items() if cells}
    annotated = {v.submission.id for v in found if v.file.id in marked}
    return Dossier(department, row, found, warehouse.years, values, lines, explained,
                   Tally.of(lines), annotated, mails, decided, waiting)


def annotated_file(warehouse: Warehouse, scope: Scope, department: str,
                   submission_id: int) -> tuple[str, bytes] | None:
    """The version's workbook with its open problems marked, as the mail attaches it."""
    names = {i.code: i.name for i in warehouse.catalogue.indicators}
    with warehouse.begin() as session:
        file = views.version_file(session, scope, department, submission_id)
        if file is None:
            return None
        held = [(i, n) for i, n in views.issues(session, scope, department, states=("open",))
                if i.file_id == file.id and i.severity in ("error", "warning")]
    problems: list[CellProblem] = issue_lines(held, names)[1].get(file.id, [])
    return annotated_copy(file, problems) if problems else None


def version_file(warehouse: Warehouse, scope: Scope, department: str,
                 submission_id: int) -> File | None:
    with warehouse.begin() as session:
        return views.version_file(session, scope, department, submission_id)


def mail_file(warehouse: Warehouse, scope: Scope, department: str,
              alert_id: int) -> Path | None:
    with warehouse.begin() as session:
        alert = views.mail(session, scope, department, alert_id)
    if alert is None or not alert.message_path or not Path(alert.message_path).is_file():
        return None
    return Path(alert.message_path)


@dataclass(slots=True)
class UploadVerdict:
    upload: Upload
    department: Department
    submission: Submission | None  # None while it waits, or when refused at the door
    same_as_current: bool  # the bytes were already the department's current version
    lines: list[IssueLine]  # this file's open problems
    tally: Tally  # the department's, as its mail says
    annotated: bool
    mail: Alert | None  # written by the upload's run
    refused_zh: list[str] = field(default_factory=list)  # why the file could not be used


def upload_verdict(warehouse: Warehouse, scope: Scope, upload_id: int) -> UploadVerdict | None:
    names = {i.code: i.name for i in warehouse.catalogue.indicators}
    with warehouse.begin() as session:
        upload = views.upload(session, scope, upload_id)
        if upload is None:
            return None
        department = warehouse.registry.get(upload.department_code)
        submission = views.upload_submission(session, scope, upload) \
            if upload.state == "done" else None
        every = views.issues(session, scope, department.code,
                             states=("open", "explained", "resolved"))
        mail = views.run_mail(session, scope, department.code, upload.run_id) \
            if upload.run_id else None
    file_id = submission.file_id if submission is not None else None
    held = [(i, n) for i, n in every if i.state == "open" and i.severity in ("error", "warning")]
    # Settled at once when the department owes nothing else, but still this file's.
    refused = [split_message(without_place(i.message_zh, i.cells))[0] for i, _ in every
               if file_id is not None and i.file_id == file_id and i.rule in UNREADABLE_RULES]
    all_lines, problems = issue_lines(held, names)
    own = [line for line, (issue, _) in zip(all_lines, held, strict=True)
           if file_id is not None and issue.file_id == file_id]
    same = submission is not None and submission.run_id != upload.run_id
    return UploadVerdict(upload, department, submission, same, own, Tally.of(all_lines),
                         bool(file_id is not None and problems.get(file_id)), mail, refused)
