"""One figure, one aggregation: the report's text in report.md and report.docx, and the
table's 五年报告取值, all say the same thing, recomputed here from the table."""

import re
from decimal import Decimal

import openpyxl
import pytest
from docx import Document

from pipeline.outputs import export_products
from report.build import build_report
from report.template import Binding, load_template
from report.wording import SCALES
from tests.warehouse.helpers import example_warehouse
from warehouse.table import consolidated_table

NUMBER = re.compile(r"(\d+(?:\.\d+)?)余?(万|亿)?")  # 1200余万元 too


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    with example_warehouse(tmp_path_factory.mktemp("agree")) as (warehouse, settings):
        export_products(warehouse, settings.outputs_dir)
        result = build_report(warehouse, settings.outputs_dir)
        with warehouse.begin() as session:
            table = consolidated_table(session, warehouse.catalogue, warehouse.registry,
                                       warehouse.years)
        yield settings, result, table, warehouse


def _recomputed(figure, table, years):
    """The figure from the table alone: the years its sentence means, added up."""
    rows = {(r.indicator_code, r.year): r for r in table}
    kind = figure.aggregation_zh
    needed = years if kind == "五年合计" else years[-1:] if kind == "取最近一年" else \
        (int(kind.removesuffix("年")),)
    values = [rows[(figure.indicator.code, y)] for y in needed]
    if any(r.status not in ("ok", "warning", "pending", "not_applicable") or
           (r.status != "not_applicable" and r.value is None) for r in values):
        return None
    return sum(r.value for r in values if r.status != "not_applicable")


def test_every_figure_is_the_tables_and_prints_the_same_everywhere(products):
    settings, result, table, warehouse = products
    bindings = {p.key: p for b in load_template() for p in b.parts
                if isinstance(p, Binding) and p.kind == "figure"}
    workbook = openpyxl.load_workbook(settings.outputs_dir / "indicator_table.xlsx")
    summary = {row[0].value: row for row in workbook["汇总"].iter_rows(min_row=2)}
    markdown = (settings.outputs_dir / "report.md").read_text(encoding="utf-8")
    docx_text = "\n".join(p.text for p in Document(settings.outputs_dir / "report.docx").paragraphs)
    assert len(result.figures) == len(bindings)
    for figure in result.figures:
        expected = _recomputed(figure, table, warehouse.years)
        row = summary[figure.indicator.code]
        assert row[-1].value == figure.aggregation_zh, figure.indicator.code
        if expected is None:
            assert figure.value is None and row[-2].value is None, figure.indicator.code
        else:
            assert figure.value == pytest.approx(expected) == row[-2].value
        assert figure.text in markdown and figure.text in docx_text, figure.text
        if figure.value is None or figure.gap or bindings[figure.indicator.code].as_drafted:
            continue
        style = bindings[figure.indicator.code].style
        number, scale = NUMBER.search(figure.text).groups()
        printed = Decimal(number) * SCALES[scale or ""]  # in the base unit
        exact = Decimal(repr(figure.value)) * Decimal(repr(
            warehouse.catalogue.factor(figure.indicator)))
        # Within the rounding the wording did: half its last digit, or 余's two digits.
        last_digit = Decimal(1).scaleb(-len(number.partition(".")[2])) * SCALES[scale or ""]
        tolerance = exact / 10 if style.approx else last_digit / 2
        assert abs(printed - exact) <= tolerance, (figure.text, figure.value)
    unbound = {code for code in summary if code not in bindings}
    assert all(summary[code][-1].value == "报告未引用" for code in unbound)
