"""Write the consolidated table, issues and ledger from the warehouse to the output folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from products.tables import PRODUCT_FILES, write_exports
from report.figures import figures_by_indicator
from schemas.round import get_round
from warehouse.store import Warehouse
from warehouse.table import LedgerRow, TableRow, consolidated_table, ledger, open_issues


@dataclass(slots=True)
class Products:
    paths: list[Path]
    table: list[TableRow]
    ledger: list[LedgerRow]


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
    paths = write_exports(out_dir, table, rows, issues, warehouse.catalogue, warehouse.years,
                          names, usage)
    return Products(paths, table, rows)


def refresh_outputs(warehouse: Warehouse, out_dir: Path, changed: bool) -> Products | None:
    """Rebuild the products when the warehouse changed, or when they are not there; never
    while the round is signed (定稿)."""
    if warehouse.locked():
        return None
    if not changed and all((out_dir / name).exists() for name in PRODUCT_FILES):
        return None
    return export_products(warehouse, out_dir)
