"""The office's decisions as the CLI and the console take them: what awaits one, taking
one under the run lock (so no run writes meanwhile), rebuilding the products and the
report at once (unless the round is signed) and telling the department."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.content import APPROVED_ZH, DecisionNotice
from alerts.delivery import deliver_queued
from alerts.stage import decision_alert
from config import Settings
from config.clock import local_text
from intake.fetch import release
from pipeline.departments import resolve_department
from pipeline.ingest import ingest, new_arrivals, reapply
from pipeline.outputs import export_products
from report.build import build_report
from schemas.catalogue import Catalogue, Indicator
from schemas.describe import format_number
from schemas.observation import ParseStatus
from transforms.inbox import scan_inbox
from transforms.values import parse_value
from warehouse import decisions
from warehouse.decisions import DecisionRefused
from warehouse.models import Decision, File, Issue, Submission
from warehouse.rounds import in_open_round
from warehouse.scope import Scope
from warehouse.store import Warehouse
from warehouse.views import held_mail, issues

log = logging.getLogger(__name__)


class UnknownIndicator(ValueError):
    """找不到这个指标：请使用指标目录中的指标名称或代码。"""


class BadValue(DecisionRefused):
    """The office typed a value that cannot be entered (not a number, out of range)."""


def resolve_indicator(text: str, catalogue: Catalogue, department: str) -> Indicator:
    """An indicator of the department, by its Chinese name or its code."""
    wanted = text.strip()
    for indicator in catalogue.owned_by(department):
        if wanted in (indicator.code, indicator.name, *indicator.aliases):
            return indicator
    raise UnknownIndicator(f"找不到这个单位的指标“{text}”：请使用指标目录中的指标名称或代码。")


@dataclass(frozen=True, slots=True)
class Awaiting:
    issue: Issue
    file_name: str


@dataclass(frozen=True, slots=True)
class HeldFile:
    department_code: str
    file_name: str
    received_zh: str
    why_zh: str  # why it waits for the office


def awaiting(warehouse: Warehouse, scope: Scope) -> list[Awaiting]:
    with warehouse.begin() as session:
        return needing_decision(issues(session, scope, states=("open",)))


def needing_decision(found: list[tuple[Issue, str]]) -> list[Awaiting]:
    """Of these issues, the values the office may decide on: open warnings on a figure (a
    jump, a value that disagrees with the office's entry) and conflicting files."""
    return [Awaiting(issue, name) for issue, name in found
            if issue.state == "open" and issue.indicator_code and issue.year
            and issue.rule != "missing_value"
            and (issue.severity == "warning" or issue.rule == "conflicting_files")]


def held_files(warehouse: Warehouse) -> list[HeldFile]:
    """Files kept but not taken, the office to choose or not: files of approved
    departments, attachments of mail whose sender failed or escaped verification."""
    with warehouse.begin() as session:
        rows = session.execute(
            select(Submission, File).join(File, File.id == Submission.file_id)
            .where(Submission.status == "held", in_open_round(Submission.round_id))
            .order_by(Submission.id)).all()
        mails = held_mail(session, Scope(None))
    found = [HeldFile(s.department_code or "", f.original_name, local_text(s.received_at),
                      f"第 {s.version} 版，该单位已审核通过后报送") for s, f in rows]
    found += [HeldFile(m.department_code or "", a.name, local_text(m.arrived_at),
                       f"邮件附件，发件人{'验证未通过' if m.outcome == 'forged' else '无法验证'}"
                       f"（{m.sender}）")
              for m, attachments in mails for a in attachments]
    return found


def _value_of(text: str, indicator: Indicator, catalogue: Catalogue) -> tuple[float, str]:
    """The office's typed value, in the base unit and as it is shown (reporting unit)."""
    parsed = parse_value(text.strip(), [indicator.unit])
    if parsed.status != ParseStatus.NUMBER or parsed.number is None or (
            parsed.unit not in (None, indicator.unit)):
        raise BadValue(f"“{text}”不是一个数值：请按指标单位（{indicator.unit}）填写数字，"
                              "如 1350 或 1.2万。")
    value = parsed.number * parsed.multiplier
    checks = indicator.checks
    low = checks.minimum if checks.minimum is not None else 0
    if value < low or (checks.minimum_exclusive and value == low):
        raise BadValue(f"{format_number(value)} 小于该指标允许的最小值 {format_number(low)}。")
    if checks.maximum is not None and value > checks.maximum:
        raise BadValue(f"{format_number(value)} 大于该指标允许的最大值 "
                              f"{format_number(checks.maximum)}。")
    if (checks.integer or indicator.kind == "count") and not value.is_integer():
        raise BadValue(f"该指标是计数，应为整数（填的是 {format_number(value)}）。")
    return value * catalogue.factor(indicator), format_number(value)


class Review:
    """Decisions for one warehouse, each under the run lock, each followed by the
    rebuilt products and the department's mail."""

    def __init__(self, warehouse: Warehouse, settings: Settings) -> None:
        self.warehouse, self.settings = warehouse, settings

    def _department(self, text: str) -> str:
        return resolve_department(text, self.warehouse.registry)

    def _cell(self, department_text: str, indicator_text: str) -> tuple[str, Indicator]:
        code = self._department(department_text)
        return code, resolve_indicator(indicator_text, self.warehouse.catalogue, code)

    def _take(self, take: Callable[[Session], Decision],
              after: Callable[[Decision], None] | None = None) -> Decision:
        settings = self.settings
        with self.warehouse.exclusive(wait_seconds=settings.lock_wait_seconds,
                                      stale_after=settings.lock_stale_seconds):
            self.warehouse.follow_round()
            with self.warehouse.begin() as session:
                decision = take(session)
            if after is not None:
                after(decision)
            if not self.warehouse.locked():
                export_products(self.warehouse, settings.outputs_dir)
                build_report(self.warehouse, settings.outputs_dir)
        self._tell(decision)
        return decision

    def _tell(self, decision: Decision) -> None:
        """A fault in the mail costs the mail, not the decision (it is on record)."""
        if decision.department_code is None:
            return
        indicator = (self.warehouse.catalogue.indicator(decision.indicator_code)
                     if decision.indicator_code else None)
        notice = DecisionNotice(
            decision.action, decision.reason, decision.by_name, local_text(decision.at),
            indicator.name if indicator else "", decision.year or None, decision.before,
            decision.after, indicator.unit if indicator else "", decision.raw_value
            if decision.action == "choose" else "", decisions.is_revision(decision))
        try:
            decision_alert(self.warehouse, self.settings, decision.department_code, notice)
            deliver_queued(self.warehouse, self.settings)
        except Exception:
            log.exception("决定已记录，但给单位的邮件未能生成或发送（决定 #%s）", decision.id)

    def accept(self, department: str, indicator: str, year: int, reason: str,
               by: str) -> Decision:
        code, found = self._cell(department, indicator)
        return self._take(lambda s: decisions.accept(s, code, found.code, year, reason, by))

    def reject(self, department: str, indicator: str, year: int, reason: str,
               by: str) -> Decision:
        code, found = self._cell(department, indicator)
        return self._take(lambda s: decisions.reject(s, code, found.code, year, reason, by))

    def enter(self, department: str, indicator: str, year: int, typed: str, reason: str,
              by: str) -> Decision:
        code, found = self._cell(department, indicator)
        if year not in self.warehouse.years:
            raise BadValue(f"{year} 年不在本轮年度（{self.warehouse.years[0]}—"
                                  f"{self.warehouse.years[-1]}）内。")
        value, shown = _value_of(typed, found, self.warehouse.catalogue)
        return self._take(lambda s: decisions.enter(s, code, found.code, year, value, shown,
                                                    reason, by))

    def choose(self, department: str, file_name: str, reason: str, by: str) -> Decision:
        code = self._department(department)
        with self.warehouse.begin() as session:
            version = session.execute(
                select(Submission, File).join(File, File.id == Submission.file_id)
                .where(Submission.department_code == code,
                       File.original_name == file_name.strip(),
                       in_open_round(Submission.round_id))
                .order_by(Submission.version.desc()).limit(1)).first()
        if version is None:
            return self._release(code, file_name.strip(), reason, by)
        submission, file = version

        def apply(_: Decision) -> None:
            report = reapply(self.warehouse, [(submission, file)], None, self.settings)
            if report.failures:
                raise DecisionRefused(f"《{file.original_name}》未能重新读取，选用未生效"
                                      "（文件问题已记录，见 huizong status）。")

        return self._take(lambda s: decisions.choose(s, code, file, reason, by), apply)

    def _release(self, code: str, name: str, reason: str, by: str) -> Decision:
        """Take a held message's attachments as the department's, and load them now."""
        with self.warehouse.begin() as session:
            mail = next((m for m, attachments in held_mail(session, Scope(None), code)
                         if name in {a.name for a in attachments}), None)
        if mail is None:
            raise DecisionRefused(f"该单位没有名为《{name}》的报送文件或待决定的邮件附件"
                                  "（请用 huizong review list 或审核台查看文件名）。")

        def load(decision: Decision) -> None:
            saved = set(release(self.warehouse, self.settings, mail.id, decision.reason))
            files = [f for f in scan_inbox(self.settings.inbox_dir) if f.path in saved]
            arrivals, _ = new_arrivals(self.warehouse, files, self.settings)
            ingest(self.warehouse, arrivals, None, self.settings)

        return self._take(lambda s: decisions.choose_mail(s, code, name, mail.id, reason, by),
                          load)

    def approve(self, department: str, reason: str, by: str) -> Decision:
        code = self._department(department)
        return self._take(lambda s: decisions.approve(s, code, reason or APPROVED_ZH, by))

    def return_(self, department: str, reason: str, by: str) -> Decision:
        code = self._department(department)
        return self._take(lambda s: decisions.return_(s, code, reason, by))
