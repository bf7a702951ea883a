"""Plausible, deterministic yearly figures for every catalogue indicator.

Each indicator's yearly range for a city of about a million people is data, in
`plausible.yaml` next to this file. Values are in the indicator's reporting unit and
respect the catalogue's relations
(parts within total, rate matching its counts, persons at least cases), so a clean
sample submission raises no validation issue.
"""

from __future__ import annotations

import hashlib
import logging
from functools import cache, lru_cache
from pathlib import Path

from schemas.catalogue import AtLeast, Catalogue, Indicator, PartsWithinTotal, RateMatches
from schemas.yaml_file import load_yaml

PLAUSIBLE_FILE = Path(__file__).resolve().parent / "plausible.yaml"
log = logging.getLogger(__name__)
# Decimals a department would type, by reporting unit; whole numbers otherwise.
_DECIMALS = {"万人次": 2, "万人": 2, "万小时": 1, "万元": 2, "亿元": 2, "%": 1}


@lru_cache(maxsize=1)
def plausible_ranges() -> dict[str, tuple[float, float]]:
    return {code: (float(low), float(high)) for code, (low, high)
            in load_yaml(PLAUSIBLE_FILE).items()}


def _unit_interval(*parts: object) -> float:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def plausible_range(indicator: Indicator) -> tuple[float, float]:
    """The indicator's range from plausible.yaml; a new indicator without a line there
    gets a default from its kind and unit (within its checks), and the log says so."""
    known = plausible_ranges().get(indicator.code)
    if known is not None:
        return known
    return _default_range(indicator.code, indicator.kind, indicator.unit,
                          indicator.checks.minimum, indicator.checks.maximum)


@cache
def _default_range(code: str, kind: str, unit: str, minimum: float | None,
                   maximum: float | None) -> tuple[float, float]:
    if kind == "percent":
        low, high = 85.0, 99.0
    elif unit[:1] in ("万", "亿"):
        low, high = 0.5, 5.0
    else:
        low, high = 10.0, 200.0
    if maximum is not None:
        low, high = min(low, maximum * 0.5), min(high, maximum)
    if minimum is not None:
        low, high = max(low, minimum), max(high, minimum + 1)
    log.warning("samples/plausible.yaml 中没有指标 %s 的取值范围，样例数据暂按 [%s, %s]（%s）生成；"
                "请在该文件中为它加一行。", code, low, high, unit)
    return low, high


def base_figure(indicator: Indicator, year: int) -> float:
    """A level per indicator, varied by up to ±20% a year (never a 10× jump)."""
    low, high = plausible_range(indicator)
    decimals = _DECIMALS.get(indicator.unit, 0)
    level = low + (high - low) * _unit_interval(indicator.code)
    swing = 0.8 + 0.4 * _unit_interval(indicator.code, year)
    value = min(level * swing, 100.0) if indicator.kind == "percent" else level * swing
    return round(value, decimals) if decimals else float(round(value))


def sample_figures(catalogue: Catalogue, years: tuple[int, ...]) -> dict[tuple[str, int], float]:
    """{(indicator code, year): value in the reporting unit} for the whole catalogue."""
    figures = {(i.code, y): base_figure(i, y) for i in catalogue.indicators for y in years}
    for year in years:
        for relation in catalogue.relations:
            match relation:
                case PartsWithinTotal(parts=parts, total=total):
                    # A little above its parts, as a real total is (an enrolment rate
                    # of 97 %, not the 60 % two independent draws would give).
                    needed = sum(figures[(p, year)] for p in parts)
                    figures[(total, year)] = max(needed + 3, float(round(needed * 1.03)))
                case AtLeast(larger=larger, smaller=smaller):
                    figures[(larger, year)] = max(figures[(larger, year)],
                                                  figures[(smaller, year)] + 2)
        for relation in catalogue.relations:
            if isinstance(relation, RateMatches):
                counted = sum(figures[(n, year)] for n in relation.numerator)
                figures[(relation.rate, year)] = round(
                    100 * counted / figures[(relation.denominator, year)], 1)
    return figures
