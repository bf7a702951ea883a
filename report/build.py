"""Render the report from the warehouse: report.md, report.docx and the trend charts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from report.charts import section_charts
from report.figures import Figure, Resolver, open_warnings, resolve_blocks
from report.markdown import write_markdown
from report.template import load_template
from schemas.round import get_round
from warehouse.store import Warehouse
from warehouse.table import consolidated_table, open_issues


@dataclass(slots=True)
class ReportResult:
    paths: list[Path]
    figures: list[Figure]
    unbound: list[str] = field(default_factory=list)  # bindings to retired indicators

    @property
    def gaps(self) -> list[str]:
        return [*(f.marker.strip("【】") for f in self.figures if f.gap), *self.unbound]

    @property
    def to_verify(self) -> int:
        return sum(1 for f in self.figures if f.to_verify)


def build_report(warehouse: Warehouse, out_dir: Path) -> ReportResult:
    parameters = get_round()
    with warehouse.begin() as session:
        table = consolidated_table(session, warehouse.catalogue, warehouse.registry,
                                   warehouse.years)
        warnings = open_warnings(open_issues(session))
    resolver = Resolver(table, warehouse.catalogue, warehouse.registry, parameters, warnings)
    blocks = resolve_blocks(load_template(), resolver)
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = section_charts(table, warehouse.catalogue, warehouse.years, out_dir / "charts")
    from_settings = resolver.from_settings_zh()
    # python-docx, lxml and openpyxl: only for a run that writes the report.
    from report.docx_writer import write_docx

    paths = [
        write_markdown(out_dir / "report.md", blocks, resolver.figures, table, warehouse.years,
                       charts, from_settings),
        write_docx(out_dir / "report.docx", blocks, resolver.figures, table, warehouse.years,
                   charts, from_settings),
        write_docx(out_dir / "report_clean.docx", blocks, resolver.figures, table,
                   warehouse.years, charts, from_settings, clean=True),
        *(png for _, png in charts),
    ]
    return ReportResult(paths, resolver.figures, resolver.unbound)


def refresh_report(warehouse: Warehouse, out_dir: Path, changed: bool) -> ReportResult | None:
    """Re-render when the products were rebuilt, or when the draft is not there; never
    while the round is signed (定稿)."""
    if warehouse.locked():
        return None
    if not changed and (out_dir / "report.docx").exists():
        return None
    return build_report(warehouse, out_dir)
