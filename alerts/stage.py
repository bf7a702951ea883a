"""The alert stage of a run: decide who hears what (without spamming), compose, and keep
every message in the outbox and in the warehouse as `queued` (or `written` when no mail
server is configured). Delivery is a separate step (alerts.delivery): a data run never
waits for a mail server.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from alerts.content import (
    ChangeLine,
    Context,
    DecisionNotice,
    IssueLine,
    Mail,
    confirmation_mail,
    decision_mail,
    elsewhere_mail,
    held_mail,
    issues_mail,
    reminder_mail,
    round_mail,
    summary_mail,
)
from alerts.mail import Thread, build_message, new_message_id, write_eml
from config import Settings
from config.clock import local_now, local_text, to_local
from report.figures import Figure, figures_by_indicator, open_warnings
from schemas.completeness import missing_indicators
from schemas.departments import Department, Registry
from schemas.issue import REVISION_RULE
from schemas.labels import LEDGER_ZH, SUBMISSION_STATUS_ZH
from schemas.messages import split_message, without_place
from schemas.observation import UNREADABLE_RULES
from schemas.round import Round, get_round
from warehouse.alert_state import (
    activity_since,
    changes_between,
    crashed_runs,
    failed_mail,
    files_by_id,
    last_alert,
    latest_version,
    record_alert,
    resolved_since,
    untold_refusals,
)
from warehouse.mail_log import (
    UNVERIFIED_ZH,
    Answerable,
    latest_message,
    mail_source,
    unanswered,
    unused_since,
)
from warehouse.models import File, Issue, MailMessage, as_utc
from warehouse.problems import describe_problem, open_problems
from warehouse.run_lock import crash_text
from warehouse.store import Warehouse
from warehouse.table import LedgerRow, consolidated_table, ledger, open_issues

if TYPE_CHECKING:  # openpyxl, which the annotation needs, only when a mail marks cells
    from alerts.annotate import CellProblem

log = logging.getLogger(__name__)


@dataclass(slots=True)
class AlertReport:
    composed: dict[str, int] = field(default_factory=dict)  # kind -> count
    outbox: list[Path] = field(default_factory=list)


@dataclass(slots=True)
class _Draft:
    kind: str
    department: Department | None
    mail: Mail
    digest: str = ""
    attachments: list[tuple[str, bytes]] = field(default_factory=list)
    # The department's messages this mail answers; it goes to the newest one's sender,
    # in that message's thread.
    answers: list[MailMessage] = field(default_factory=list)


def _local_date(moment: dt.datetime) -> dt.date:
    return to_local(moment).date()


def _digest(issues: list[Issue]) -> str:
    lines = sorted(f"{i.indicator_code}|{i.year}|{i.rule}|{i.scope}|{i.severity}|{i.message_zh}"
                   for i in issues)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def run_alerts(warehouse: Warehouse, settings: Settings,
               today: dt.date | None = None) -> AlertReport:
    parameters = get_round()
    registry, catalogue = warehouse.registry, warehouse.catalogue
    office = registry.office
    today = today or local_now().date()
    ctx = mail_context(registry, today)
    drafts: list[_Draft] = []
    names = {i.code: i.name for i in catalogue.indicators}
    with warehouse.begin() as session:
        table = consolidated_table(session, catalogue, registry, warehouse.years)
        rows = ledger(session, table, registry)
        # A rejected cell was submitted: its error mail asks for the fix, not a reminder.
        submitted = {(r.department_code, r.indicator_code, r.year) for r in table
                     if r.status != "missing"}
        missing = missing_indicators(submitted, [d.code for d in registry.submitting],
                                     catalogue, warehouse.years)
        all_issues = open_issues(session)
        for department, row in zip(registry.submitting, rows, strict=True):
            held = [(i, name) for i, name in all_issues if i.department_code == department.code
                    and i.state == "open" and i.severity in ("error", "warning")]
            issues = [i for i, _ in held]
            # A department that wrote to the mailbox gets its answer whatever the no-spam
            # rules say: it is waiting for it. A workbook whose 填报单位 is another
            # department's was processed as theirs: the sender hears where it went.
            waiting = [m for m in unanswered(session, department.code) if m.processed]
            own = [m.mail for m in waiting if not m.owners or department.code in m.owners]
            draft = _issue_or_confirmation(session, ctx, department, held, names,
                                           parameters.round.resend_after_days, bool(own))
            if draft:
                draft.answers = own
                drafts.append(draft)
            drafts += [_elsewhere(ctx, registry, department, m) for m in waiting
                       if m.owners and department.code not in m.owners]
            # What the department owes and no issue mail already asks for.
            reported = {(i.indicator_code, i.year) for i in issues}
            owed = {y: [names[c] for c in codes if (c, y) not in reported]
                    for y, codes in missing[department.code].items()}
            late = row.status == "not_submitted" or any(owed.values())
            if late and _reminder_due(session, department.code, today, parameters.round):
                drafts.append(_Draft("reminder", department, reminder_mail(
                    ctx, department.name, department.contact, row.status != "not_submitted",
                    owed), digest=today.isoformat()))
        figures = list(figures_by_indicator(table, catalogue, registry, parameters,
                                            open_warnings(all_issues)).values())
        summary = _daily_summary(session, ctx, registry, rows, figures)
        if summary:
            drafts.append(summary)
    return _keep(warehouse, settings, drafts, office)


def round_alerts(warehouse: Warehouse, settings: Settings,
                 templates: Sequence[tuple[Department, Path, int]]) -> int:
    """Each department's notice of the new round with its pre-filled template; a fault
    in one mail costs that mail. The number kept for delivery."""
    registry, parameters = warehouse.registry, get_round()
    ctx = mail_context(registry, local_now().date())
    kept = 0
    for department, path, carried in templates:
        try:
            mail = round_mail(ctx, department.name, department.contact, parameters.round.name,
                              warehouse.years, carried, path.name)
            with warehouse.begin() as session:
                keep_mail(session, settings, registry.office, department, "round", mail,
                          attachments=[(path.name, path.read_bytes())])
            kept += 1
        except Exception:
            log.exception("新一轮通知未能生成（%s）", department.name)
    return kept


def mail_context(registry: Registry, today: dt.date) -> Context:
    """The words every mail of the office shares: city, office, deadline, whom to call."""
    parameters, office = get_round(), registry.office
    return Context(parameters.city, office.full_name, parameters.round.deadline, today,
                   contact_zh=f"如有疑问，请联系{office.name} {office.reach_zh}。")


def decision_alert(warehouse: Warehouse, settings: Settings, department_code: str,
                   notice: DecisionNotice) -> Path:
    """The department's mail about a decision, kept for delivery at once; in the thread of
    the department's newest message to the mailbox, if it wrote one."""
    registry = warehouse.registry
    department = registry.get(department_code)
    mail = decision_mail(mail_context(registry, local_now().date()), department.name,
                         department.contact, notice)
    with warehouse.begin() as session:
        return keep_mail(session, settings, registry.office, department, "decision", mail,
                         thread=latest_message(session, department_code))


def _issue_or_confirmation(session: Session, ctx: Context, department: Department,
                           held: list[tuple[Issue, str]], names: dict[str, str],
                           resend_after_days: int, asked: bool = False) -> _Draft | None:
    """`held`: the department's open problems, each with the name of the file holding it.
    The department's submission is the set of its files: each problem is marked in the
    file that holds it, and every file with a marked problem is attached."""
    issues = [issue for issue, _ in held]
    last = last_alert(session, department.code, ("issues", "confirmation", "held"))
    latest = latest_version(session, department.code)
    new_version = latest is not None and (
        last is None or as_utc(latest.submission.loaded_at) > as_utc(last.created_at))
    if new_version and latest.submission.status == "held":
        # Approved: the file changed nothing, and saying 通过校验 would be untrue.
        return _Draft("held", department, held_mail(ctx, department.name, department.contact,
                                                    latest.file.original_name))
    changes, resolved = [], []
    # Only what the department was told before can be "changed" or "resolved" for it.
    if latest is not None and new_version and last is not None:
        # What was wrong, without the request to fix it: it is fixed.
        resolved = [split_message(i.message_zh)[0]
                    for i in resolved_since(session, department.code, last.created_at)]
        if latest.previous is not None:
            changes = [ChangeLine(c.place, names[c.indicator_code], c.year, c.old, c.new)
                       for c in changes_between(session, latest.previous.id,
                                                latest.submission.id)]
    # Files that could not be used although nothing is owed: it is told them once.
    unused = [(name, split_message(issue.message_zh)[0]) for issue, name in untold_refusals(
        session, department.code, last.created_at if last is not None else None)]
    if not issues:
        if asked or unused or (last is not None and last.kind == "issues"):
            return _Draft("confirmation", department, confirmation_mail(
                ctx, department.name, department.contact, resolved, unused))
        return None
    digest = _digest(issues)
    stale = last is not None and (ctx.today - _local_date(last.created_at)).days >= \
        resend_after_days
    if (last is not None and last.kind == "issues" and last.digest == digest and not stale
            and not asked):
        return None  # nothing new to say: no spam
    lines, problems = issue_lines(held, names)
    refused = {i.file_id for i in issues if i.rule in UNREADABLE_RULES}
    files = files_by_id(session, [*problems, *refused])
    attachments = [copy for file_id in sorted(problems) if file_id not in refused
                   and (copy := annotated_copy(files[file_id], problems[file_id]))]
    not_marked = sorted({files[f].original_name for f in refused if f in files})
    mail = issues_mail(ctx, department.name, department.contact, lines, changes, resolved,
                       attached=[name for name, _ in attachments], not_marked=not_marked,
                       unused=unused)
    return _Draft("issues", department, mail, digest, attachments)


def issue_lines(held: Sequence[tuple[Issue, str]], names: dict[str, str]
                ) -> tuple[list[IssueLine], dict[int, list[CellProblem]]]:
    """Each problem as a mail's row, and the cells to mark in each file (by file id).

    Every cell the problem involves is listed: an error in a relation drops its partner
    cells' values too, and the department must see that they were not taken either."""
    from alerts.annotate import CellProblem  # openpyxl: only for a mail that lists cells

    lines, problems = [], {}
    for issue, file_name in held:
        problem, suggestion = split_message(without_place(issue.message_zh, issue.cells))
        places = issue.cells.split("、") if issue.cells else (
            [f"{issue.sheet}!{issue.cell}"] if issue.cell else [])
        lines.append(IssueLine(issue.severity, "、".join(places),
                               names.get(issue.indicator_code, ""), issue.year or None,
                               issue.raw_value, problem, suggestion, issue.rule,
                               file_name=file_name))
        if issue.file_id is not None and places:
            for sheet, cell in (place.rpartition("!")[::2] for place in places):
                problems.setdefault(issue.file_id, []).append(CellProblem(
                    issue.severity, sheet, cell, names.get(issue.indicator_code, ""),
                    issue.year or None, issue.raw_value, issue.message_zh))
    return lines, problems


def _elsewhere(ctx: Context, registry: Registry, department: Department,
               waiting: Answerable) -> _Draft:
    files = [a.name for a in waiting.attachments if a.saved_path]
    owners = [registry.get(code).name for code in sorted(waiting.owners)]
    return _Draft("mail_reply", department, elsewhere_mail(
        ctx, department.name, department.contact, files, owners), answers=[waiting.mail])


def annotated_copy(file: File, problems: list[CellProblem]) -> tuple[str, bytes] | None:
    """The department's own workbook with its problems marked; when marking it fails,
    the mail goes without it (and says so)."""
    from alerts.annotate import annotated_workbook

    try:
        data = annotated_workbook(Path(file.archived_path), problems)
    except Exception:
        log.exception("无法为 %s 生成标注后的表格，邮件不带这个附件", file.original_name)
        return None
    return f"{Path(file.original_name).stem}（问题已标注）.xlsx", data


def _reminder_due(session: Session, department: str, today: dt.date, round_: Round) -> bool:
    """The first time, then on the reminder days before the deadline, then every few days
    after it — never twice a day."""
    last = last_alert(session, department, ("reminder", "round"))
    if last is None:
        return True
    last_day = _local_date(last.created_at)
    if last_day == today:
        return False
    days_left = (round_.deadline - today).days
    if days_left >= 0:
        return days_left in round_.remind_days_before
    return (today - last_day).days >= round_.overdue_every_days


def _daily_summary(session: Session, ctx: Context, registry: Registry,
                   rows: list[LedgerRow], figures: list[Figure]) -> _Draft | None:
    last = last_alert(session, registry.office.code, ("summary",))
    if last is not None and _local_date(last.created_at) == ctx.today:
        return None
    since = as_utc(last.created_at) if last else None
    loaded, opened, resolved = activity_since(session, since)
    names = {d.code: d.name for d in registry.departments}
    ledger_rows = [[r.department, str(r.expected), str(r.accepted), str(r.open_errors),
                    str(r.open_warnings), LEDGER_ZH[r.status]] for r in rows]
    by_mail = mail_source(session, [f.sha256 for _, f in loaded])
    loaded_rows = [[names.get(s.department_code or "", "未识别单位"), f.original_name,
                    str(s.version), SUBMISSION_STATUS_ZH[s.status] + (
                        f"（{UNVERIFIED_ZH}）" if f.sha256 in by_mail
                        and by_mail[f.sha256].sender_check == "gray" else "")]
                   for s, f in loaded]
    problems = [[p.file_name, describe_problem(p)] for p in open_problems(session)]
    mailbox = [[local_text(m.arrived_at), f"{m.sender_name} <{m.sender}>".strip(),
                m.subject or "（无主题）", m.note_zh] for m in unused_since(session, since)]
    report = ([[f.marker.strip("【】"), "数据暂缺（未报送或未通过校验）"] for f in figures if f.gap]
              + [[f"{f.indicator.name}（{f.text}）", "；".join(f.to_verify)]
                 for f in figures if f.check])
    revisions = [[names.get(i.department_code or "", ""), split_message(i.message_zh)[0],
                  f"{name}，{i.sheet}!{i.cell}"] for i, name in open_issues(session)
                 if i.rule == REVISION_RULE and i.state == "open"]
    mail = summary_mail(ctx, ledger_rows, loaded_rows, len(opened), len(resolved), problems,
                        _operations(session, since), mailbox, report, revisions)
    return _Draft("summary", registry.office, mail, digest=ctx.today.isoformat())


def _operations(session: Session, since: dt.datetime | None) -> list[list[str]]:
    """What went wrong with the pipeline itself since the last summary."""
    rows = [[local_text(run.finished_at), crash_text(run.id, run.trigger, run.started_at)]
            for run in crashed_runs(session, since)]
    rows += [[local_text(alert.created_at), f"发给 {alert.recipient} 的邮件《{alert.subject}》"
              f"{alert.attempts} 次发送均失败：{alert.last_error}；邮件保存在发件箱，"
              "可手工转发，或修复后运行 huizong send-mail --retry-failed"]
             for alert in failed_mail(session, since)]
    return rows


def _keep(warehouse: Warehouse, settings: Settings, drafts: list[_Draft],
          office: Department) -> AlertReport:
    report = AlertReport()
    with warehouse.begin() as session:
        for draft in drafts:
            path = keep_mail(session, settings, office, draft.department or office, draft.kind,
                             draft.mail, digest=draft.digest, attachments=draft.attachments,
                             answers=draft.answers)
            report.composed[draft.kind] = report.composed.get(draft.kind, 0) + 1
            report.outbox.append(path)
    return report


def keep_mail(session: Session, settings: Settings, office: Department, recipient: Department,
              kind: str, mail: Mail, *, digest: str = "",
              attachments: Sequence[tuple[str, bytes]] = (),
              answers: list[MailMessage] | None = None,
              thread: MailMessage | None = None) -> Path:
    """Write the message to the outbox and record it for delivery. An answer to the
    department's own messages goes to whoever sent the newest one, in its thread; a mail
    that only belongs in a thread (`thread`) goes to the department's own address."""
    sender = (office.full_name, settings.mail_from or str(office.email))
    newest = answers[-1] if answers else None
    # Only ever an address of the department's own (the registry's), whatever a message
    # names as its sender.
    address = newest.sender if newest is not None and newest.sender in \
        recipient.mail_addresses else str(recipient.email)
    message_id = new_message_id(sender[1])
    in_thread = newest or thread
    message = build_message(
        mail, sender=sender, to=(recipient.name, address), message_id=message_id,
        attachments=attachments,
        answers=Thread(in_thread.message_id, tuple(in_thread.references.split()))
        if in_thread else None)
    path = write_eml(settings.outbox_dir, message, f"{kind}_{recipient.code}")
    alert = record_alert(session, department=recipient.code, recipient=address, kind=kind,
                         subject=str(message["Subject"]), digest=digest,
                         message_path=str(path), queued=bool(settings.smtp_host),
                         message_id=message_id)
    for answered in answers or ():
        session.get(MailMessage, answered.id).answered_by_alert_id = alert.id
    return path
