"""The consolidated indicator table, the submission ledger and the open issues."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from schemas.catalogue import Catalogue
from schemas.departments import Registry
from warehouse.decisions import CARRIED_ACTIONS, review_states
from warehouse.mail_log import mail_source, sender_zh
from warehouse.models import (
    AcceptedValue,
    Decision,
    File,
    Issue,
    Observation,
    Submission,
    as_utc,
)
from warehouse.rounds import in_open_round

STATUSES = ("ok", "warning", "pending", "rejected", "missing", "not_applicable", "entered",
            "refused")


@dataclass(frozen=True, slots=True)
class TableRow:
    indicator_code: str
    indicator_name: str
    unit: str
    department: str  # the department's name
    department_code: str
    year: int
    value: float | None  # in the reporting unit
    status: str
    source_file: str  # or, for a value the office entered, its citation
    source_cell: str  # sheet!cell
    explanation: str
    # What the newest submission typed where it failed validation (rejected, pending).
    submitted: str = ""
    carried: bool = False  # accepted in an earlier round, not sent again in this one


@dataclass(frozen=True, slots=True)
class LedgerRow:
    department: str
    department_code: str
    expected: int
    received: int
    accepted: int
    open_errors: int
    open_warnings: int
    last_submission: dt.datetime | None
    status: str  # submitted / not_submitted / needs_fix / approved
    # The message the latest version came in, if it came by mail: sender and Date.
    mail_sender: str = ""
    mail_sent_at: dt.datetime | None = None



def consolidated_table(session: Session, catalogue: Catalogue, registry: Registry,
                       years: tuple[int, ...]) -> list[TableRow]:
    """One row per catalogue indicator × round year, missing ones included."""
    accepted_obs, rejected_obs = aliased(Observation), aliased(Observation)
    rows = session.execute(
        select(AcceptedValue, accepted_obs.sheet, accepted_obs.cell, File.original_name,
               rejected_obs.raw_value, Decision.action)
        .outerjoin(accepted_obs, accepted_obs.id == AcceptedValue.observation_id)
        .outerjoin(Decision, Decision.id == AcceptedValue.decision_id)
        .outerjoin(rejected_obs, rejected_obs.id == AcceptedValue.rejected_observation_id)
        .outerjoin(Submission, Submission.id == accepted_obs.submission_id)
        .outerjoin(File, File.id == Submission.file_id))
    found = {(a.indicator_code, a.year): (a, sheet, cell, name, typed, action)
             for a, sheet, cell, name, typed, action in rows}
    table = []
    for indicator in catalogue.indicators:
        department = registry.get(indicator.department).name
        for year in years:
            accepted, sheet, cell, file_name, typed, action = found.get(
                (indicator.code, year), (None, None, None, None, "", None))
            status = _status(accepted)
            if status == "entered":
                file_name = accepted.explanation
            value = None
            if accepted is not None and accepted.value is not None:
                value = round(accepted.value / catalogue.factor(indicator), 6)
            table.append(TableRow(
                indicator.code, indicator.name, indicator.unit, department, indicator.department,
                year, value, status, file_name or "", f"{sheet}!{cell}" if cell else "",
                accepted.explanation if accepted is not None else "", typed or "",
                action in CARRIED_ACTIONS))
    return table


def _status(accepted: AcceptedValue | None) -> str:
    if accepted is None:
        return "missing"
    if accepted.observation_id is None:
        if accepted.decision_id is not None:  # the office's: entered, or refused
            return "entered" if accepted.value is not None else "refused"
        return "rejected" if accepted.rejected_observation_id else "missing"
    if accepted.rejected_observation_id is not None:
        return "pending"
    if accepted.not_applicable:
        return "not_applicable"
    return "warning" if accepted.flagged else "ok"


def ledger(session: Session, table: list[TableRow], registry: Registry) -> list[LedgerRow]:
    latest = session.execute(
        select(Submission.department_code, func.max(Submission.received_at),
               func.max(Submission.loaded_at))
        .where(in_open_round(Submission.round_id))
        .group_by(Submission.department_code)).all()
    last = {code: received for code, received, _ in latest}
    loaded = {code: loaded_at for code, _, loaded_at in latest}
    newest = session.execute(
        select(Submission.department_code, File.sha256).join(File, File.id == Submission.file_id)
        .where(Submission.id.in_(select(func.max(Submission.id))
                                 .where(in_open_round(Submission.round_id))
                                 .group_by(Submission.department_code)))).all()
    sources = mail_source(session, [sha for _, sha in newest])
    came_by_mail = {code: sources[sha] for code, sha in newest if sha in sources}
    counts = session.execute(
        select(Issue.department_code, Issue.severity, func.count())
        .where(Issue.state == "open").group_by(Issue.department_code, Issue.severity))
    open_issues = {(d, s): n for d, s, n in counts}
    reviewed = review_states(session)
    rows = []
    for department in registry.submitting:
        cells = [r for r in table if r.department_code == department.code]
        accepted = sum(1 for r in cells if r.status in ("ok", "warning", "pending",
                                                        "not_applicable", "entered"))
        # This round's: a value carried from the round before was not sent in this one.
        received = sum(1 for r in cells if r.status != "missing" and not r.carried)
        errors = open_issues.get((department.code, "error"), 0)
        review = reviewed.get(department.code)
        if department.code not in last:
            status = "not_submitted"
        elif review is not None and review.action == "approve":
            status = "approved"
        elif errors or accepted < len(cells) or (
                review is not None and as_utc(loaded[department.code]) <= as_utc(review.at)):
            status = "needs_fix"  # returned by the office, and nothing sent since
        else:
            status = "submitted"
        mail = came_by_mail.get(department.code)
        rows.append(LedgerRow(department.name, department.code, len(cells), received, accepted,
                              errors, open_issues.get((department.code, "warning"), 0),
                              last.get(department.code), status,
                              sender_zh(mail) if mail else "",
                              (mail.sent_at or mail.arrived_at) if mail else None))
    return rows


def open_issues(session: Session, department: str | None = None) -> list[tuple[Issue, str]]:
    """Open and explained issues, with the file name they were last seen in."""
    query = (select(Issue, File.original_name).outerjoin(File, File.id == Issue.file_id)
             .where(Issue.state.in_(("open", "explained")))
             .order_by(Issue.department_key, Issue.indicator_code, Issue.year, Issue.rule))
    if department is not None:
        query = query.where(Issue.department_code == department)
    return [(issue, name or "") for issue, name in session.execute(query)]
