"""A new round: the closing round's products kept under `outputs/<轮次名>/`, its values
for the years still in the window carried into the next, the next round's products and
pre-filled templates written at once."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from alerts.stage import round_alerts
from config import Settings
from config.clock import local_text
from forms.layout import NOT_APPLICABLE_MARK
from forms.workbook import write_template
from pipeline.outputs import export_products
from pipeline.signoff import snapshot
from report.build import build_report
from schemas.departments import Department
from schemas.round import Round, configured_round, get_round
from warehouse import decisions, rounds
from warehouse.models import Decision, ReportingRound, Submission
from warehouse.store import Warehouse
from warehouse.table import TableRow, consolidated_table

CARRIED_STATUSES = ("ok", "warning", "pending", "entered", "not_applicable")


class RoundRefused(ValueError):
    """A round that cannot be opened as asked (message in Chinese, for the operator)."""


@dataclass(frozen=True, slots=True)
class Opened:
    closed: ReportingRound
    opened: Round
    carried: int  # values carried into the new round
    templates: list[Path]
    mails: int  # notices kept for delivery, one per department


def default_name(report_year: int) -> str:
    return f"{report_year}年度青年发展数据报送"


def next_round(first_year: int, last_year: int, deadline: dt.date,
               report_year: int | None = None, name: str | None = None) -> Round:
    report_year = report_year or last_year + 1
    try:
        return Round.model_validate({
            **configured_round().round.model_dump(), "name": name or default_name(report_year),
            "first_year": first_year, "last_year": last_year, "report_year": report_year,
            "deadline": deadline})
    except ValueError:
        raise RoundRefused(f"年度不成立：需要 起始年 ≤ 截止年 < 报告年度（{first_year}—"
                           f"{last_year}，报告年度 {report_year}）。") from None


def open_next(warehouse: Warehouse, settings: Settings, new: Round, by: str) -> Opened:
    """Close the open round and open `new`, under the run lock."""
    current = warehouse.round
    if new.last_year <= current.last_year:
        raise RoundRefused(f"新一轮的截止年（{new.last_year}）须晚于本轮（{current.name}，"
                           f"{current.first_year}—{current.last_year}年）。")
    out = settings.outputs_dir
    with warehouse.exclusive(wait_seconds=settings.lock_wait_seconds,
                             stale_after=settings.lock_stale_seconds):
        # outputs/ already shows the closing round (every run and decision rebuilds it, a
        # signed round keeps its signed products): kept as they are, never rebuilt.
        with warehouse.begin() as session:
            if any(r.name == new.name for r in rounds.every_round(session)):
                raise RoundRefused(f"已经有名为“{new.name}”的轮次，请用 --name 另取一个名称。")
            table = consolidated_table(session, warehouse.catalogue, warehouse.registry,
                                       warehouse.years)
            kept = _keep_products(session, out, current.name)
            closed, _ = rounds.open_next(
                session, new, by, products_folder=kept,
                closing_table=json.dumps(snapshot(table), ensure_ascii=False))
            carried = decisions.carry_over(session, new.years, f"{current.name}已采用", by)
        warehouse.use_round(new)
        export_products(warehouse, out)
        build_report(warehouse, out)
        written = write_templates(warehouse, out / "templates")
    mails = round_alerts(warehouse, settings, written)
    return Opened(closed, new, carried, [path for _, path, _ in written], mails)


def _keep_products(session: Session, out: Path, name: str) -> str:
    """Move what outputs/ holds (products, report, charts, templates, 定稿) into
    outputs/<name>/, leaving the folders of rounds closed before; the folder's name."""
    earlier = {r.products_folder for r in rounds.every_round(session) if r.products_folder}
    target = out / name
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(out.iterdir()):
        if entry == target or entry.name in earlier:
            continue
        shutil.move(str(entry), str(target / entry.name))
    return name


def carried_cells(table: list[TableRow], department: str, years: tuple[int, ...]
                  ) -> dict[tuple[str, int], float | str]:
    """The department's values already accepted for the round's past years, to fill its
    template with: every year but the newest."""
    return {(row.indicator_code, row.year): (NOT_APPLICABLE_MARK
                                             if row.status == "not_applicable" else row.value)
            for row in table
            if row.department_code == department and row.year < years[-1]
            and row.status in CARRIED_STATUSES
            and (row.value is not None or row.status == "not_applicable")}


def write_templates(warehouse: Warehouse, target: Path,
                    departments: Sequence[Department] | None = None
                    ) -> list[tuple[Department, Path, int]]:
    """Each department's template for the open round, filled with its accepted values:
    (department, file, values filled in)."""
    with warehouse.begin() as session:
        table = consolidated_table(session, warehouse.catalogue, warehouse.registry,
                                   warehouse.years)
    written = []
    for department in departments or warehouse.registry.submitting:
        cells = carried_cells(table, department.code, warehouse.years)
        written.append((department, write_template(department, warehouse.catalogue,
                                                   get_round(), target, cells), len(cells)))
    return written


def describe_round(warehouse: Warehouse, name: str | None) -> list[str] | None:
    """What `round show` says of a round (the open one by default), one line each."""
    with warehouse.begin() as session:
        found = rounds.every_round(session)
        record = next((r for r in found if r.name == name), None) if name else \
            rounds.open_round(session)
        if record is None:
            return None
        submissions = session.scalar(select(func.count()).select_from(Submission)
                                     .where(Submission.round_id == record.id)) or 0
        senders = session.scalar(select(func.count(distinct(Submission.department_code)))
                                 .where(Submission.round_id == record.id)) or 0
        taken = session.scalar(select(func.count()).select_from(Decision).where(
            Decision.round_id == record.id, Decision.action != "carry")) or 0
        if record.closed_at is None:
            table = consolidated_table(session, warehouse.catalogue, warehouse.registry,
                                       warehouse.years)
            statuses = [row.status for row in table]
        else:
            statuses = [status for _, status in json.loads(record.closing_table or "{}")
                        .values()]
    usable = sum(1 for s in statuses if s in CARRIED_STATUSES)
    lines = [f"轮次：{record.name}（{'进行中' if record.closed_at is None else '已结束'}）",
             f"年度：{record.first_year}—{record.last_year}年，报告年度 {record.report_year}，"
             f"报送截止 {record.deadline.year}年{record.deadline.month}月{record.deadline.day}日",
             f"开启：{local_text(record.opened_at)}（{record.opened_by}）"]
    if record.closed_at is not None:
        lines.append(f"结束：{local_text(record.closed_at)}（{record.closed_by}），产出保存在 "
                     f"outputs/{record.products_folder}/")
    lines += [f"报送：{senders} 个单位的 {submissions} 份文件",
              f"{'结束时' if record.closed_at else '目前'}汇总表：{len(statuses)} 个数值中 "
              f"{usable} 个已采用",
              f"联席办的决定：{taken} 个"]
    return lines
