"""Chinese wording of what the catalogue declares, for templates and documentation."""

from __future__ import annotations

import math

from schemas.catalogue import AtLeast, Catalogue, Indicator, PartsWithinTotal, RateMatches

AGGREGATION_ZH = {"sum": "五年合计", "latest": "取最近一年"}
ADDITIVE_ZH = {True: "可相加（每年新发生的数）", False: "不相加（每年的现有数、名单或比率）"}


def format_number(value: float) -> str:
    """`1320` -> `1,320`; `3.50` -> `3.5`; an absurd magnitude in scientific notation."""
    if not math.isfinite(value):
        return "（无法表示的数值）"
    if value != 0 and not 1e-4 <= abs(value) < 1e15:
        return f"{value:.4g}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def describe_checks(indicator: Indicator, catalogue: Catalogue) -> str:
    checks = indicator.checks
    parts: list[str] = []
    if checks.integer:
        parts.append("应为整数")
    if checks.minimum is not None and checks.maximum is not None:
        parts.append(f"取值 {format_number(checks.minimum)}～{format_number(checks.maximum)}")
    elif checks.minimum is not None:
        relation = "大于" if checks.minimum_exclusive else "不小于"
        parts.append(f"{relation} {format_number(checks.minimum)}")
    elif checks.maximum is not None:
        parts.append(f"不大于 {format_number(checks.maximum)}")
    parts.extend(describe_relation(r, catalogue) for r in catalogue.relations_of([indicator.code]))
    ratio = format_number(catalogue.jump_ratio(indicator))
    parts.append(f"与上年相差 {ratio} 倍及以上时提示核对")
    return "；".join(parts)


def describe_relation(
    relation: PartsWithinTotal | AtLeast | RateMatches, catalogue: Catalogue
) -> str:
    def name(code: str) -> str:
        return f"「{catalogue.indicator(code).name}」"

    match relation:
        case PartsWithinTotal(parts=parts, total=total):
            return f"{'＋'.join(map(name, parts))} 不得超过 {name(total)}"
        case AtLeast(larger=larger, smaller=smaller):
            return f"{name(larger)} 应不少于 {name(smaller)}"
        case RateMatches(rate=rate, numerator=numerator, denominator=denominator):
            tolerance = format_number(catalogue.defaults.rate_tolerance_points)
            return (
                f"{name(rate)} 应与（{'＋'.join(map(name, numerator))}）÷{name(denominator)}×100 "
                f"相符，相差不超过 {tolerance} 个百分点"
            )


def format_quantity(base_value: float, indicator: Indicator, catalogue: Catalogue) -> str:
    """A base-unit value as a clerk writes it in a sentence: `1,320人`, `3.5万人次`,
    `98.6％` (no space between a figure and its unit, or around it, in Chinese text)."""
    shown = format_number(round(base_value / catalogue.factor(indicator), 4))
    return f"{shown}％" if indicator.unit == "%" else f"{shown}{indicator.unit}"
