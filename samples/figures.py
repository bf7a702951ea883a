"""Plausible, deterministic yearly figures for every catalogue indicator.

Values are in the indicator's reporting unit and respect the catalogue's relations
(parts within total, rate matching its counts, persons at least cases), so a clean
sample submission raises no validation issue.
"""

from __future__ import annotations

import hashlib

from schemas.catalogue import AtLeast, Catalogue, Indicator, PartsWithinTotal, RateMatches

# (low, high, decimals) by reporting unit.
_RANGES: dict[str, tuple[float, float, int]] = {
    "万人次": (0.8, 12.0, 2), "万人": (0.5, 6.0, 2), "万小时": (5.0, 60.0, 1),
    "万元": (20.0, 400.0, 2), "亿元": (0.5, 4.0, 2), "元": (800.0, 6000.0, 0),
    "%": (90.0, 99.5, 1), "人次": (300.0, 6000.0, 0), "人": (8.0, 900.0, 0),
    "项": (8.0, 18.0, 0),
}
_DEFAULT_RANGE = (5.0, 400.0, 0)


def _unit_interval(*parts: object) -> float:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def base_figure(indicator: Indicator, year: int) -> float:
    """A level per indicator, varied by up to ±20% a year (never a 10× jump)."""
    low, high, decimals = _RANGES.get(indicator.unit, _DEFAULT_RANGE)
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
                    needed = sum(figures[(p, year)] for p in parts)
                    figures[(total, year)] = max(figures[(total, year)], needed + 3)
                case AtLeast(larger=larger, smaller=smaller):
                    figures[(larger, year)] = max(figures[(larger, year)],
                                                  figures[(smaller, year)] + 2)
        for relation in catalogue.relations:
            if isinstance(relation, RateMatches):
                counted = sum(figures[(n, year)] for n in relation.numerator)
                figures[(relation.rate, year)] = round(
                    100 * counted / figures[(relation.denominator, year)], 1)
    return figures
