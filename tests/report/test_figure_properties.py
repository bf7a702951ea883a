"""Property-based: over tables with missing, not-applicable, pending and warned years,
every report figure is what the table says for the years its sentence means, and its
printed words read back to it within the rounding the wording did."""

import re
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from report.figures import SENTENCE_ENDS, Resolver, resolve_blocks
from report.inline import pieces
from report.template import Binding, load_template
from report.wording import SCALES
from schemas.catalogue import get_catalogue
from schemas.departments import get_registry
from schemas.round import get_round
from warehouse.table import TableRow

CATALOGUE, REGISTRY, PARAMETERS = get_catalogue(), get_registry(), get_round()
YEARS = PARAMETERS.round.years
BLOCKS = load_template()
BINDINGS = {p.key: p for b in BLOCKS for p in b.parts
            if isinstance(p, Binding) and p.kind == "figure"}
CODES = sorted(BINDINGS)
NUMBER = re.compile(r"(\d+(?:\.\d+)?)余?(万|亿)?")  # 1200余万元 too
STATUSES = ["ok", "ok", "ok", "warning", "pending", "rejected", "missing", "not_applicable"]


def _cell(draw, code: str, year: int) -> TableRow:
    indicator = CATALOGUE.indicator(code)
    status = draw(st.sampled_from(STATUSES))
    upper = 100.0 if indicator.kind == "percent" else 10**6
    value = None
    if status in ("ok", "warning", "pending"):
        value = float(draw(st.integers(0, int(upper)))) if indicator.checks.integer else \
            round(draw(st.floats(0, upper, allow_nan=False)), 2)
    return TableRow(code, indicator.name, indicator.unit, "", indicator.department, year,
                    value, status, "f.xlsx" if value is not None else "",
                    "S!A1" if value is not None else "", "")


@st.composite
def tables(draw) -> list[TableRow]:
    return [_cell(draw, code, year) for code in CODES for year in YEARS]


def _expected(figure, rows) -> float | None:
    kind = figure.aggregation_zh
    needed = YEARS if kind == "五年合计" else YEARS[-1:] if kind == "取最近一年" else \
        (int(kind.removesuffix("年")),)
    cells = [rows[(figure.indicator.code, y)] for y in needed]
    if any(c.status not in ("ok", "warning", "pending", "not_applicable") for c in cells):
        return None
    return sum(c.value for c in cells if c.status != "not_applicable")


@settings(max_examples=40, deadline=None)
@given(tables())
def test_every_figure_is_the_tables_and_reads_back(table):
    rows = {(r.indicator_code, r.year): r for r in table}
    resolver = Resolver(table, CATALOGUE, REGISTRY, PARAMETERS)
    blocks = resolve_blocks(BLOCKS, resolver)
    for figure in resolver.figures:
        expected = _expected(figure, rows)
        binding = BINDINGS[figure.indicator.code]
        if expected is None:
            assert figure.value is None
            assert figure.gap or binding.as_drafted  # said: 【待补】, never a number
            continue
        assert abs(figure.value - expected) <= 1e-6 * max(1.0, abs(expected))
        if binding.as_drafted:
            continue
        flagged = any(s.status == "pending" for s in figure.sources)
        assert bool(figure.check) == flagged  # no warnings given: only pending marks
        number, scale = NUMBER.search(figure.text).groups()
        printed = Decimal(number) * SCALES[scale or ""]
        exact = Decimal(repr(figure.value)) * Decimal(repr(CATALOGUE.factor(figure.indicator)))
        last_digit = Decimal(1).scaleb(-len(number.partition(".")[2])) * SCALES[scale or ""]
        tolerance = exact / 10 + 1 if binding.style.approx else last_digit / 2
        assert abs(printed - exact) <= tolerance, (figure.text, figure.value)
    for block in blocks:
        text = "".join(p.text for p in pieces(block.parts)).replace("\u2060", "")
        assert not re.search(r"\[\d+\]\d", text)  # no mark reads as part of a number
        for sentence in re.split(f"[{SENTENCE_ENDS}]", text):
            assert "XX" not in sentence
