"""Write the consolidated table, issues and ledger from the warehouse to the output folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schemas.round import get_round
from warehouse.exports import write_exports
from warehouse.store import Warehouse
from warehouse.table import LedgerRow, TableRow, consolidated_table, ledger, open_issues


@dataclass(slots=True)
class Products:
    paths: list[Path]
    table: list[TableRow]
    ledger: list[LedgerRow]


def export_products(warehouse: Warehouse, out_dir: Path) -> Products:
    years = get_round().round.years
    names = {d.code: d.name for d in warehouse.registry.departments}
    with warehouse.begin() as session:
        table = consolidated_table(session, warehouse.catalogue, warehouse.registry, years)
        rows = ledger(session, table, warehouse.registry)
        issues = open_issues(session)
    paths = write_exports(out_dir, table, rows, issues, warehouse.catalogue, years, names)
    return Products(paths, table, rows)
