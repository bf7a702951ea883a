"""What a run did, in numbers and in Chinese: the console summary, the run record and the
Prefect UI artefacts are all written from this one object."""

from __future__ import annotations

from dataclasses import dataclass, field

from alerts.stage import AlertReport
from pipeline.ingest import IngestReport
from pipeline.outputs import Products
from pipeline.signoff import signed
from report.build import ReportResult
from schemas.departments import Registry
from schemas.labels import LEDGER_ZH, MAIL_ZH, SUBMISSION_STATUS_ZH, TRIGGER_ZH
from warehouse.alert_state import mail_counts
from warehouse.models import FileProblem, Issue
from warehouse.problems import describe_problem, open_problems
from warehouse.run_lock import CrashedRun
from warehouse.store import Warehouse
from warehouse.table import LedgerRow


@dataclass(slots=True)
class RunSummary:
    run_id: int
    trigger: str
    files_seen: int
    files_new: int
    loaded: list[tuple[str, str, int | None, str]] = field(default_factory=list)
    values_accepted: int = 0
    new_errors: int = 0
    new_warnings: int = 0
    resolved: int = 0
    ledger: list[LedgerRow] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    mails: dict[str, int] = field(default_factory=dict)  # kind -> composed this run
    mails_failed: int = 0
    report_gaps: list[str] = field(default_factory=list)
    report_written: bool = False
    # Open problems that are nobody's fault but ours or the inbox's: (file, what happened).
    problems: list[tuple[str, str]] = field(default_factory=list)
    files_failed: int = 0  # new files skipped this run because of an internal error
    crashed: list[str] = field(default_factory=list)  # earlier runs found dead, taken over
    intake: list[str] = field(default_factory=list)  # what the mailbox pass before it did
    signed_zh: str = ""  # the round is locked: where the signed products are, what changed
    # Why the products were rebuilt without a new submission: the catalogue or the
    # settings changed, or they were missing.
    rebuilt_zh: str = ""

    @property
    def nothing_processed(self) -> bool:
        """New files came and every one of them broke: the run did not do its job."""
        return self.files_new > 0 and self.files_failed == self.files_new

    @property
    def changed(self) -> bool:
        return bool(self.loaded)

    @property
    def late(self) -> list[str]:
        return [r.department for r in self.ledger if r.status not in ("submitted", "approved")]

    def lines_zh(self) -> list[str]:
        lines = [*self.intake, *(f"发现：{text}。" for text in self.crashed)]
        lines += [f"本次运行（{TRIGGER_ZH.get(self.trigger, self.trigger)}）：检查文件 "
                 f"{self.files_seen} 个，新文件 {self.files_new} 个，"
                 f"入库版本 {len(self.loaded)} 个，采用数值 {self.values_accepted} 个。"]
        lines.append(f"新发现错误 {self.new_errors} 项、提醒 {self.new_warnings} 项；"
                     f"已解决 {self.resolved} 项。")
        if self.signed_zh:
            lines.append(self.signed_zh)
        elif not self.changed and self.rebuilt_zh:
            lines.append(f"没有新的或更正的报送；{self.rebuilt_zh}，汇总表和报告已重新生成。")
        elif not self.changed:
            lines.append("没有新的或更正的报送，汇总表和报告保持不变。")
        if self.late:
            lines.append("尚未报齐或待修改的单位：" + "、".join(self.late) + "。")
        if self.outputs:
            lines.append("已更新：" + "、".join(self.outputs))
        if self.report_written:
            lines.append("报告初稿已更新：report.docx、report.md"
                         + (f"；待补数据 {len(self.report_gaps)} 项："
                            + "；".join(g.removeprefix("待补：") for g in self.report_gaps)
                            if self.report_gaps else "；所有数字均已填入。"))
        if self.mails:
            kinds = "、".join(f"{MAIL_ZH[k]} {n} 封" for k, n in self.mails.items())
            lines.append(f"已生成邮件（outbox/）：{kinds}。")
        if self.mails_failed:
            lines.append(f"有 {self.mails_failed} 封邮件多次重试仍未发出，已保存在发件箱"
                         "（huizong status 可查看原因）。")
        if self.problems:
            lines.append("以下文件未能处理（不是报送单位的问题，已记录，未通知单位）："
                         + "；".join(f"{name}：{what}" for name, what in self.problems))
        return lines

    def markdown_zh(self) -> str:
        rows = "\n".join(f"| {name} | {department} | {version or '—'} | {status} |"
                         for name, department, version, status in self.loaded)
        ledger = "\n".join(f"| {r.department} | {r.expected} | {r.accepted} | "
                           f"{r.open_errors} | {r.open_warnings} | {LEDGER_ZH[r.status]} |"
                           for r in self.ledger)
        return "\n".join([
            f"# 汇总运行 #{self.run_id}", "", *self.lines_zh(), "",
            "## 本次入库", "", "| 文件 | 单位 | 版本 | 结果 |", "|---|---|---|---|",
            rows or "| — | — | — | — |", "",
            "## 报送情况", "", "| 单位 | 应报 | 已采用 | 待改错误 | 待核提醒 | 状态 |",
            "|---|---|---|---|---|---|", ledger])


def summarise(run_id: int, trigger: str, files_seen: int, report: IngestReport,
              products: Products | None, ledger: list[LedgerRow],
              names: dict[str, str], alerts: AlertReport,
              draft: ReportResult | None, problems: list[FileProblem], *,
              crashed: list[str], mails_failed: int, signed_zh: str = "") -> RunSummary:
    changed = [(name, o) for name, o in report.outcomes if o.changed]
    severities = [s for _, o in changed for s in o.new_severities]
    return RunSummary(
        run_id=run_id, trigger=trigger, files_seen=files_seen, files_new=report.files_new,
        loaded=[(name, names.get(o.department or "", "未识别单位"), o.version,
                 SUBMISSION_STATUS_ZH[o.status]) for name, o in changed],
        values_accepted=sum(o.values_accepted for _, o in changed),
        new_errors=severities.count("error"),
        new_warnings=severities.count("warning"),
        resolved=sum(len(o.resolved_issues) for _, o in changed),
        ledger=ledger,
        outputs=[p.name for p in products.paths] if products else [],
        mails=alerts.composed, mails_failed=mails_failed, crashed=crashed,
        report_gaps=draft.gaps if draft else [], report_written=draft is not None,
        problems=[(p.file_name, describe_problem(p)) for p in problems],
        files_failed=len(report.failures), signed_zh=signed_zh,
        rebuilt_zh=products.why_zh if products else "",
    )


def close_run(warehouse: Warehouse, run_id: int, trigger: str, files_seen: int,
              report: IngestReport, products: Products | None, draft: ReportResult | None,
              alerts: AlertReport, crashed: list[CrashedRun]) -> RunSummary:
    """The run's summary, from the warehouse as the run leaves it, and its run record
    finished with the counts and the summary's lines."""
    names = {d.code: d.name for d in warehouse.registry.departments}
    with warehouse.begin() as session:
        problems = open_problems(session)
        mail = mail_counts(session)
    summary = summarise(run_id, trigger, files_seen, report, products,
                        warehouse.current_ledger(), names, alerts, draft, problems,
                        crashed=[run.describe_zh() for run in crashed],
                        mails_failed=mail.get("failed", 0),
                        signed_zh=locked.headline_zh() if (locked := signed(warehouse)) else "")
    warehouse.finish_run(
        run_id, "succeeded", files_seen=summary.files_seen, files_new=summary.files_new,
        submissions=len(summary.loaded), values_accepted=summary.values_accepted,
        errors_new=summary.new_errors, warnings_new=summary.new_warnings,
        resolved=summary.resolved, message="\n".join(summary.lines_zh()))
    return summary


def issue_tables(summary: RunSummary, issues: list[tuple[Issue, str]],
                 registry: Registry) -> dict[str, tuple[str, list[dict[str, object]]]]:
    """{artifact key: (description, rows)} of each department's open issues.

    Only after a run that changed something: the tables of an unchanged warehouse are
    the ones already published, and a quiet night should stay cheap.
    """
    if not summary.changed:
        return {}
    tables = {}
    for department in registry.submitting:
        rows = [{"单元格": f"{i.sheet}!{i.cell}" if i.cell else "", "文件": file,
                 "指标": i.indicator_code, "年度": i.year or "", "级别": i.severity,
                 "问题": i.message_zh, "状态": i.state}
                for i, file in issues if i.department_code == department.code]
        key = f"huizong-issues-{department.code.replace('_', '-')}"
        tables[key] = (f"{department.name} 待处理问题", rows or [{"问题": "没有待处理的问题"}])
    return tables
