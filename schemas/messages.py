"""One Chinese message template per rule: what is wrong, the value found, what is
expected and how to fix it. Every sentence a department reads is written here."""

from __future__ import annotations

import math

from schemas.catalogue import AtLeast, Catalogue, Indicator, PartsWithinTotal, RateMatches, Relation
from schemas.describe import format_number, format_quantity

TEMPLATES = {
    "unparsed": "{place}「{name}」{year}年填写的“{raw}”不是数字；请填写数字（单位：{unit}），"
                "不适用的填“—”，暂无数据请留空并在备注中说明。",
    "below_minimum": "{place}「{name}」{year}年填报{value}，不能小于{bound}；请核对后改正。",
    "negative": "{place}「{name}」{year}年填报{value}，不能是负数；请填写当年的实际数"
                "（没有发生的填0）。",
    "not_positive": "{place}「{name}」{year}年填报{value}，应大于{bound}；请核对后改正。",
    "above_maximum": "{place}「{name}」{year}年填报{value}，超过上限{bound}；"
                     "请核对是否把小数、百分数或单位填错。",
    "not_integer": "{place}「{name}」{year}年填报{value}，应为整数（单位：{unit}）；"
                   "请核对后改正。",
    "approximate": "{place}「{name}」{year}年填报“{raw}”为约数，暂按{value}计入；"
                   "请尽量填写准确数字，确无准确数请在备注中说明。",
    "missing_value": "{place}「{name}」{year}年未填报；请补填，确实不适用的请填“—”。",
    "yoy_jump": "{place}「{name}」{year}年填报{value}，是上年{previous}的{ratio}，变化异常"
                "（常见原因是“万人次”与“人次”等单位填错）；请核对，如数据属实请在备注中说明原因。",
    "yoy_to_zero": "{place}「{name}」{year}年填报0，上年为{previous}；如该项工作当年确实停止或"
                   "没有发生，请在备注中说明原因，否则请核对。",
    "unit_slip": "{place}「{name}」{year}年填报{value}，约为其他年份（{neighbours}）的{ratio}，"
                 "{guess}请核对后改正。",
    "parts_within_total": "{place}{parts}{year}年{verb}{parts_value}，超过同年「{total_name}」"
                          "{total_value}；请核对两项数据。",
    "at_least": "{place}「{larger_name}」{year}年填报{larger_value}，少于「{smaller_name}」"
                "{smaller_value}；一般前者不少于后者，请核对。",
    "rate_matches": "{place}「{rate_name}」{year}年填报{rate_value}，按{formula}计算约为"
                    "{computed}，相差超过{tolerance}个百分点；请核对比率或人数。",
}


def place_text(cells: list[str] | tuple[str, ...]) -> str:
    return f"{'、'.join(cells)} " if cells else ""


def without_place(message: str, cells: str) -> str:
    """A stored message without the cells `place_text` put before it (`cells` as stored,
    、-separated), for a table or comment that shows the place on its own."""
    return message.removeprefix(place_text(cells.split("、")) if cells else "")


def split_message(message: str) -> tuple[str, str]:
    """`…问题；请…` -> (problem, suggestion), for the two table columns."""
    head, _, tail = message.rpartition("；")
    return (head, tail) if head else (message, "")


def value_message(rule: str, indicator: Indicator, catalogue: Catalogue, *, place: str,
                  year: int, raw: str = "", value: float | None = None,
                  bound: float | None = None) -> str:
    factor = catalogue.factor(indicator)
    if rule == "below_minimum" and bound == 0 and value is not None and value < 0:
        rule = "negative"
    return TEMPLATES[rule].format(
        place=place, name=indicator.name, year=year, raw=raw, unit=indicator.unit,
        value=format_quantity(value, indicator, catalogue) if value is not None else raw,
        bound=format_quantity(bound * factor, indicator, catalogue) if bound is not None else "",
    )


def jump_message(indicator: Indicator, catalogue: Catalogue, *, place: str, year: int,
                 value: float, previous: float) -> str:
    if value == 0:
        return TEMPLATES["yoy_to_zero"].format(
            place=place, name=indicator.name, year=year,
            previous=format_quantity(previous, indicator, catalogue))
    return TEMPLATES["yoy_jump"].format(
        place=place, name=indicator.name, year=year,
        value=format_quantity(value, indicator, catalogue),
        previous=format_quantity(previous, indicator, catalogue),
        ratio=_ratio_text(value / previous))


def _ratio_text(ratio: float) -> str:
    """`12.5倍` or `12分之一`; never a division by zero or an infinite count."""
    if not math.isfinite(ratio) or ratio >= 1e6:
        return "100万倍以上"
    if ratio >= 1:
        return f"{format_number(round(ratio, 1))}倍"
    if ratio <= 1e-6:
        return "不到百万分之一"
    return f"{round(1 / ratio)}分之一"


def slip_message(indicator: Indicator, catalogue: Catalogue, *, place: str, year: int,
                 value: float, neighbours: float, factor: float) -> str:
    """A value 10,000× off its other years: say which unit it was likely typed in and
    what it would be in the right one (`疑似按“人”填报，应为 5.24 万人？`)."""
    corrected = format_quantity(value / factor, indicator, catalogue)
    base = catalogue.base_unit(indicator)
    if factor > 1 and catalogue.factor(indicator) == factor:
        guess = f"疑似按“{base}”填报，应为{corrected}？"
    elif factor < 1 and indicator.unit == base:
        guess = f"疑似按“万{base}”填报，应为{corrected}？"
    else:
        guess = f"疑似单位或位数填错，应为{corrected}？"
    return TEMPLATES["unit_slip"].format(
        place=place, name=indicator.name, year=year,
        value=format_quantity(value, indicator, catalogue),
        neighbours="约" + format_quantity(neighbours, indicator, catalogue),
        ratio=_ratio_text(value / neighbours), guess=guess)


def relation_message(relation: Relation, catalogue: Catalogue, *, place: str, year: int,
                     values: dict[str, float]) -> str:
    def name(code: str) -> str:
        return catalogue.indicator(code).name

    def quantity(code: str, value: float | None = None) -> str:
        indicator = catalogue.indicator(code)
        return format_quantity(values[code] if value is None else value, indicator, catalogue)

    match relation:
        case PartsWithinTotal(parts=parts, total=total):
            parts_sum = sum(values[p] for p in parts)
            parts_text = "「" + "」与「".join(map(name, parts)) + "」"
            return TEMPLATES["parts_within_total"].format(
                place=place, parts=parts_text, year=year, verb="合计" if len(parts) > 1 else "填报",
                parts_value=quantity(parts[0], parts_sum), total_name=name(total),
                total_value=quantity(total))
        case AtLeast(larger=larger, smaller=smaller):
            return TEMPLATES["at_least"].format(
                place=place, year=year, larger_name=name(larger), larger_value=quantity(larger),
                smaller_name=name(smaller), smaller_value=quantity(smaller))
        case RateMatches(rate=rate, numerator=numerator, denominator=denominator):
            counted = sum(values[n] for n in numerator)
            formula = f"（{'＋'.join(map(name, numerator))}）÷ {name(denominator)}"
            return TEMPLATES["rate_matches"].format(
                place=place, rate_name=name(rate), year=year, rate_value=quantity(rate),
                formula=formula,
                computed=quantity(rate, round(100 * counted / values[denominator], 1)),
                tolerance=format_number(catalogue.defaults.rate_tolerance_points))
    raise ValueError(f"no message for relation {relation.rule}")
