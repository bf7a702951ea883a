"""pandera schemas built from the catalogue, once per run. Each check's name is the rule
that appears in issue records; `RULE_SEVERITY` and the relations say how serious it is.

Three frames are checked (see `schemas.validate` for how they are built):
- cells:  one row per observation, flags of how the cell was typed;
- values: one row per (submission, year), one column per indicator, in base units,
          with the value checks per column;
- relations: the same rows, the submitted values laid over the accepted ones, checked
          by the cross-indicator rules (a partial correction is checked against what
          was accepted before);
- jumps:  the same shape, each value divided by the previous year's.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
import pandera.pandas as pa

from schemas.catalogue import (
    AtLeast,
    Catalogue,
    Indicator,
    PartsWithinTotal,
    RateMatches,
    Relation,
    get_catalogue,
)

RULE_SEVERITY = {
    "unparsed": "error",
    "below_minimum": "error",
    "not_positive": "error",
    "above_maximum": "error",
    "not_integer": "error",
    "approximate": "warning",
    "missing_value": "warning",
    "yoy_jump": "warning",
    "unit_slip": "error",
}
# A value about 10,000 times (or 1/10,000 of) its neighbouring years: typed in 人 into a
# 万人 column, or the reverse. Half a decade either side of 10^4.
UNIT_SLIP_FACTOR = 10_000.0
_SLIP_LOW, _SLIP_HIGH = 10 ** 3.5, 10 ** 4.5
CELL_FLAGS = ("unparsed", "approximate", "missing_value")


@dataclass(frozen=True, slots=True)
class Schemas:
    cells: pa.DataFrameSchema
    values: pa.DataFrameSchema
    relations: pa.DataFrameSchema
    jumps: pa.DataFrameSchema
    slips: pa.DataFrameSchema


def _not_flagged(name: str) -> pa.Check:
    return pa.Check(lambda flags: ~flags, name=name)


def _value_checks(indicator: Indicator, catalogue: Catalogue) -> list[pa.Check]:
    checks = indicator.checks
    factor = catalogue.factor(indicator)
    found: list[pa.Check] = []
    if checks.minimum is not None:
        low = checks.minimum * factor
        if checks.minimum_exclusive:
            found.append(pa.Check(lambda s, low=low: s > low, name="not_positive"))
        else:
            found.append(pa.Check(lambda s, low=low: s >= low, name="below_minimum"))
    if checks.maximum is not None:
        high = checks.maximum * factor
        found.append(pa.Check(lambda s, high=high: s <= high, name="above_maximum"))
    if checks.integer:
        # Integer in the reporting unit: 1,234 人 yes, 3.5 场次 no.
        found.append(pa.Check(lambda s, f=factor: ((s / f) % 1).abs() < 1e-9,
                              name="not_integer"))
    return found


def _jump_check(ratio: float) -> pa.Check:
    """A year-over-year factor of `ratio` or more, up or down, is flagged."""
    return pa.Check(lambda s: (s < ratio) & (s > 1 / ratio), name="yoy_jump")


def _slip_check() -> pa.Check:
    """Each value divided by the median of its other years: about 10^4 or 10^-4 fails."""
    def holds(s: pd.Series) -> pd.Series:
        up = (s >= _SLIP_LOW) & (s <= _SLIP_HIGH)
        down = (s <= 1 / _SLIP_LOW) & (s >= 1 / _SLIP_HIGH)
        return ~(up | down)

    return pa.Check(holds, name="unit_slip")


def _relation_check(relation: Relation, tolerance: float) -> pa.Check:
    def holds(frame: pd.DataFrame) -> pd.Series:
        match relation:
            case PartsWithinTotal(parts=parts, total=total):
                parts_sum = frame[list(parts)].sum(axis=1, min_count=len(parts))
                ok = parts_sum <= frame[total] + 1e-9
                known = parts_sum.notna() & frame[total].notna()
            case AtLeast(larger=larger, smaller=smaller):
                ok = frame[larger] >= frame[smaller]
                known = frame[larger].notna() & frame[smaller].notna()
            case RateMatches(rate=rate, numerator=numerator, denominator=denominator):
                counted = frame[list(numerator)].sum(axis=1, min_count=len(numerator))
                computed = 100 * counted / frame[denominator].where(frame[denominator] > 0)
                ok = (frame[rate] - computed).abs() <= tolerance + 1e-9
                known = computed.notna() & frame[rate].notna()
        return ok | ~known

    return pa.Check(holds, name=relation.id)


def build_schemas(catalogue: Catalogue) -> Schemas:
    cells = pa.DataFrameSchema(
        {flag: pa.Column(bool, _not_flagged(flag)) for flag in CELL_FLAGS},
        name="cells",
    )
    values = pa.DataFrameSchema(
        {i.code: pa.Column(float, _value_checks(i, catalogue), nullable=True, required=True)
         for i in catalogue.indicators},
        name="values",
    )
    relations = pa.DataFrameSchema(
        checks=[_relation_check(r, catalogue.defaults.rate_tolerance_points)
                for r in catalogue.relations],
        name="relations",
    )
    jumps = pa.DataFrameSchema(
        {i.code: pa.Column(float, _jump_check(catalogue.jump_ratio(i)), nullable=True,
                           required=True)
         for i in catalogue.indicators},
        name="jumps",
    )
    slips = pa.DataFrameSchema(
        {i.code: pa.Column(float, _slip_check(), nullable=True, required=True)
         for i in catalogue.indicators if i.unit != "%"},
        name="slips",
    )
    return Schemas(cells, values, relations, jumps, slips)


@lru_cache(maxsize=1)
def get_schemas() -> Schemas:
    return build_schemas(get_catalogue())
