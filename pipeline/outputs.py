"""Write the consolidated table, issues and ledger from the warehouse to the output folder."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from products import PRODUCT_FILES
from report.figures import figures_by_indicator
from schemas.office_files import SHIPPED, office_file
from schemas.round import get_round
from warehouse.store import Warehouse
from warehouse.table import LedgerRow, TableRow, consolidated_table, ledger, open_issues

# What the products in a folder were built from (the office's catalogue files and the
# round): a run rebuilds them when it differs, with or without a new submission.
BUILT_FROM = ".built_from"


@dataclass(slots=True)
class Products:
    paths: list[Path]
    table: list[TableRow]
    ledger: list[LedgerRow]
    why_zh: str = ""  # why they were rebuilt though nothing new was loaded


def built_from(warehouse: Warehouse) -> str:
    digest = hashlib.sha256(repr(warehouse.round).encode())
    for name in SHIPPED:
        digest.update(office_file(name).read_bytes())
    return digest.hexdigest()


def export_products(warehouse: Warehouse, out_dir: Path) -> Products:
    names = {d.code: d.name for d in warehouse.registry.departments}
    with warehouse.begin() as session:
        table = consolidated_table(session, warehouse.catalogue, warehouse.registry,
                                   warehouse.years)
        rows = ledger(session, table, warehouse.registry)
        issues = open_issues(session)
    # The table's 五年报告取值 is the report's own figure, never a second aggregation.
    usage = {code: (figure.value, figure.aggregation_zh) for code, figure in
             figures_by_indicator(table, warehouse.catalogue, warehouse.registry,
                                  get_round()).items()}
    from products.tables import write_exports  # openpyxl, only when the products change

    paths = write_exports(out_dir, table, rows, issues, warehouse.catalogue, warehouse.years,
                          names, usage)
    (out_dir / BUILT_FROM).write_text(built_from(warehouse), encoding="utf-8")
    return Products(paths, table, rows)


def stale_products(warehouse: Warehouse, out_dir: Path) -> str:
    """Why the products in `out_dir` must be rebuilt though nothing new was loaded, or
    "" when they are current."""
    if not all((out_dir / name).exists() for name in PRODUCT_FILES):
        return "产出文件不全"
    stamp = out_dir / BUILT_FROM
    if not stamp.is_file() or stamp.read_text(encoding="utf-8") != built_from(warehouse):
        return "指标目录、单位名录、报告模板或轮次设置有变化"
    return ""


def refresh_outputs(warehouse: Warehouse, out_dir: Path, changed: bool) -> Products | None:
    """Rebuild the products when the warehouse changed, or when they are not there; never
    while the round is signed (定稿)."""
    if warehouse.locked():
        return None
    why = "" if changed else stale_products(warehouse, out_dir)
    if not changed and not why:
        return None
    products = export_products(warehouse, out_dir)
    products.why_zh = why
    return products
