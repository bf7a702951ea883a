"""Numbers as a Chinese official report writes them.

`余` and `以上` round down to a round figure and are written only when the figure was
actually rounded (1,234 → 1200余场次, but 1,200 → 1200场次); `左右` rounds to the nearest
round figure, likewise only when rounded. Whether the draft wrote X or XX says nothing
about the size of the number.
"""

from __future__ import annotations

import math

from report.template import Style

SCALES = {"": 1.0, "万": 1e4, "亿": 1e8}
_BEFORE_UNIT = {"余"}  # 1200余场次; 左右 and 以上 follow the unit: 50名左右, 95％以上


def _round_step(value: float) -> float:
    """Two significant figures for 100 and above, whole numbers below."""
    if value < 100:
        return 1.0
    return 10.0 ** (math.floor(math.log10(value)) - 1)


def _number(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def word(base_value: float, style: Style) -> str:
    value = base_value / SCALES[style.scale]
    approx = style.approx
    if approx:
        step = style.step or _round_step(abs(value))
        rounded = (round(value / step) if approx == "左右" else math.floor(value / step + 1e-9))
        rounded *= step
        if math.isclose(rounded, value, rel_tol=0, abs_tol=1e-9):
            approx = ""  # exact: 余/左右/以上 would be false
        value = rounded
        decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    else:
        decimals = style.decimals
    number = _number(value, decimals)
    if approx in _BEFORE_UNIT and style.approx_at == "number":
        return f"{number}{approx}{style.scale}{style.unit}"
    if approx in _BEFORE_UNIT:
        return f"{number}{style.scale}{approx}{style.unit}"
    return f"{number}{style.scale}{style.unit}{approx}"
