"""定稿: the round's signed products. Locking keeps the table and the report of that moment
in `outputs/定稿/<时间>/` and the table's values in the decision; while the round is
locked, runs keep collecting and validating but leave the products as signed, and
everyone is told what changed in the warehouse since."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from config import Settings
from config.clock import local_text
from pipeline.outputs import export_products
from products import PRODUCT_FILES
from report.build import build_report
from schemas.describe import format_number
from schemas.labels import CELL_STATUS_ZH
from warehouse import decisions
from warehouse.models import Decision, utcnow
from warehouse.store import Warehouse
from warehouse.table import TableRow, consolidated_table

SIGNED_DIR = "定稿"
REPORT_FILES = ("report.docx", "report.md")


@dataclass(frozen=True, slots=True)
class Signed:
    decision: Decision
    folder: str  # relative to the outputs folder
    changes: list[str]  # what differs in the warehouse now, one Chinese line each

    def headline_zh(self) -> str:
        head = (f"本轮已于 {local_text(self.decision.at)} 定稿（{self.decision.by_name}："
                f"{self.decision.reason}），定稿版本在 outputs/{self.folder}/；汇总表和报告保持"
                "定稿版本")
        return head + (f"，定稿后有 {len(self.changes)} 处变化。" if self.changes
                       else "，定稿后没有变化。")


def snapshot(table: list[TableRow]) -> dict[str, list[object]]:
    """The table's values and statuses, by `indicator|year` (kept with a lock, or with
    a closed round)."""
    return {f"{row.indicator_code}|{row.year}": [row.value, row.status] for row in table}


def lock(warehouse: Warehouse, settings: Settings, reason: str, by: str) -> Signed:
    """Rebuild the products from the warehouse as it is, keep a copy as signed, record it."""
    out = settings.outputs_dir
    with warehouse.exclusive(wait_seconds=settings.lock_wait_seconds,
                             stale_after=settings.lock_stale_seconds):
        with warehouse.begin() as session:
            decisions.ensure_open(session)  # before rebuilding: signed products stay
        products = export_products(warehouse, out)
        build_report(warehouse, out)
        folder = f"{SIGNED_DIR}/{local_text(utcnow(), '%Y-%m-%d_%H%M%S')}"
        _copy_products(out, out / folder)
        with warehouse.begin() as session:
            decision = decisions.lock(session, reason, by, {
                "folder": folder, "values": snapshot(products.table)})
    return Signed(decision, folder, [])


def _copy_products(out: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in (*PRODUCT_FILES, *REPORT_FILES):
        if (out / name).exists():
            shutil.copy2(out / name, target / name)
    if (out / "charts").is_dir():
        shutil.copytree(out / "charts", target / "charts", dirs_exist_ok=True)


def unlock(warehouse: Warehouse, settings: Settings, reason: str, by: str) -> Decision:
    """Reopen the round and rebuild the products at once."""
    with warehouse.exclusive(wait_seconds=settings.lock_wait_seconds,
                             stale_after=settings.lock_stale_seconds):
        with warehouse.begin() as session:
            decision = decisions.unlock(session, reason, by)
        export_products(warehouse, settings.outputs_dir)
        build_report(warehouse, settings.outputs_dir)
    return decision


def signed(warehouse: Warehouse) -> Signed | None:
    """The lock in force and what changed since, or None while the round is open."""
    with warehouse.begin() as session:
        decision = decisions.lock_state(session)
        if decision is None:
            return None
        table = consolidated_table(session, warehouse.catalogue, warehouse.registry,
                                   warehouse.years)
    kept = json.loads(decision.detail or "{}")
    then = kept.get("values", {})
    changes = []
    for row in table:
        value, status = then.get(f"{row.indicator_code}|{row.year}", [None, "missing"])
        if (value, status) == (row.value, row.status):
            continue
        changes.append(f"{row.department}「{row.indicator_name}」{row.year}年：定稿时"
                       f"{_shown(value, status)}，现为{_shown(row.value, row.status)}")
    return Signed(decision, kept.get("folder", SIGNED_DIR), changes)


def _shown(value: float | None, status: str) -> str:
    label = CELL_STATUS_ZH[status]
    return f" {format_number(value)}（{label}）" if value is not None else f"{label}"
