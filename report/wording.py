"""Numbers as a Chinese official report writes them.

`余` and `以上` round down to a round figure and are written only when the figure was
actually rounded (1,234 → 1200余场次, but 1,200 → 1200场次); `左右` rounds half up to
the nearest round figure, likewise only when rounded. A round figure keeps two
significant digits (4.54万 → 4.5万余人), and a round figure of ten thousand or more is
written in 万 (11,945 → 1.1万余人次) as a clerk would. Every rounding is half up, in
decimal: 24.45万 → 24.5万, never the 24.4万 of binary floating point. Whether the draft
wrote X or XX says nothing about the size of the number.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from report.template import Style

SCALES = {"": Decimal(1), "万": Decimal(10_000), "亿": Decimal(100_000_000)}
_BEFORE_UNIT = {"余"}  # 1200余场次; 左右 and 以上 follow the unit: 50名左右, 95％以上
_NOT_SCALED = {"％", "‰"}


def _scale(value: Decimal, style: Style) -> str:
    """The draft's scale, or for a round figure of 10,000 or more the one a clerk picks."""
    if style.scale or not style.approx or style.unit in _NOT_SCALED:
        return style.scale
    if abs(value) >= SCALES["亿"]:
        return "亿"
    return "万" if abs(value) >= SCALES["万"] else ""


def _round_step(value: Decimal, scaled: bool) -> Decimal:
    """Two significant digits; whole numbers below 100 when not in 万 or 亿."""
    if value == 0 or (not scaled and value < 100):
        return Decimal(1)
    return Decimal(1).scaleb(value.adjusted() - 1)


def _number(value: Decimal, decimals: int) -> str:
    text = f"{value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def word(base_value: float, style: Style) -> str:
    exact = Decimal(repr(float(base_value)))
    scale = _scale(exact, style)
    value = exact / SCALES[scale]
    approx = style.approx
    if approx:
        step = Decimal(repr(style.step)) if style.step else _round_step(abs(value), bool(scale))
        mode = ROUND_HALF_UP if approx == "左右" else ROUND_FLOOR
        rounded = (value / step).to_integral_value(rounding=mode) * step
        if rounded == value:
            approx = ""  # exact: 余/左右/以上 would be false
        value = rounded
        decimals = max(0, -step.normalize().as_tuple().exponent)
    else:
        decimals = style.decimals
    return _compose(_number(value, decimals), approx, scale, style)


def around(number: str, style: Style) -> str:
    """The words the draft put around its figure, with `number` (a gap marker, or the
    draft's own figure) in its place: 【待补：…】名, 【待补：…】％以上."""
    return _compose(number, style.approx, style.scale, style)


def _compose(number: str, approx: str, scale: str, style: Style) -> str:
    if approx in _BEFORE_UNIT and style.approx_at == "number":
        return f"{number}{approx}{scale}{style.unit}"
    if approx in _BEFORE_UNIT:
        return f"{number}{scale}{approx}{style.unit}"
    return f"{number}{scale}{style.unit}{approx}"
