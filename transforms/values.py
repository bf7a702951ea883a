"""Turn one typed cell into a number, or say why it is not one.

Handles numbers stored as text, thousands separators, full-width digits and `％`,
`万`/`亿` multipliers, a unit typed after the number (`1350人`), approximate figures
(`约300`, `300余`, `300多`) and not-applicable marks (`—`, `/`, `无`, `不适用`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from schemas.names import nfkc
from schemas.observation import ParseStatus

NOT_APPLICABLE = frozenset({
    "—", "——", "―", "-", "--", "─", "/", "\\", "无", "不适用", "不涉及", "n/a", "na", "×", "x",
})
_APPROXIMATE_PREFIX = re.compile(r"^(?:约|大约|近|将近|超过|逾)")
_APPROXIMATE_SUFFIX = re.compile(r"(?:余|多|左右|以上|上下)$")
_MULTIPLIERS = {"万": 10_000.0, "亿": 100_000_000.0}
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")


@dataclass(frozen=True, slots=True)
class ParsedValue:
    status: ParseStatus
    number: float | None = None
    unit: str | None = None  # a unit typed with the number, e.g. 人次 in `1350人次`
    multiplier: float = 1.0  # 万 / 亿 typed without a known unit
    raw: str = ""


def raw_text(value: object) -> str:
    """How a cell looked to the person who typed it, for messages and provenance: a date
    as Chinese Excel shows it (`2024/3/5`), never a serial number or ISO timestamp."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() != dt.time():
        return f"{value.year}/{value.month}/{value.day} {value:%H:%M}"
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year}/{value.month}/{value.day}"
    if isinstance(value, dt.time):
        return f"{value:%H:%M}"
    return str(value).strip()


def is_date(value: object) -> bool:
    """A cell Excel stores as a date or time: `3-5` typed into a number cell becomes one."""
    return isinstance(value, dt.date | dt.time | dt.timedelta)


def parse_value(value: object, units: Iterable[str]) -> ParsedValue:
    raw = raw_text(value)
    if value is None or raw == "":
        return ParsedValue(ParseStatus.BLANK, raw=raw)
    if isinstance(value, (bool, dt.date | dt.time | dt.timedelta)):
        return ParsedValue(ParseStatus.UNPARSED, raw=raw)
    if isinstance(value, int | float):
        return ParsedValue(ParseStatus.NUMBER, float(value), raw=raw)
    return _parse_text(raw, units)


def _parse_text(raw: str, units: Iterable[str]) -> ParsedValue:
    text = re.sub(r"\s+", "", nfkc(raw)).lower()
    if text in NOT_APPLICABLE:
        return ParsedValue(ParseStatus.NOT_APPLICABLE, raw=raw)
    approximate = False
    for pattern in (_APPROXIMATE_PREFIX, _APPROXIMATE_SUFFIX):
        stripped = pattern.sub("", text)
        approximate |= stripped != text
        text = stripped

    unit = next((u for u in sorted(units, key=len, reverse=True) if text.endswith(u)), None)
    if unit:
        text = text[: -len(unit)]
    # `300余人`: the approximate marker may sit between the number and the unit.
    stripped = _APPROXIMATE_SUFFIX.sub("", text)
    approximate |= stripped != text
    text = stripped
    multiplier = 1.0
    if text and text[-1] in _MULTIPLIERS:
        multiplier = _MULTIPLIERS[text[-1]]
        text = text[:-1]

    number = _to_float(text)
    if number is None:
        return ParsedValue(ParseStatus.UNPARSED, raw=raw)
    status = ParseStatus.APPROXIMATE if approximate else ParseStatus.NUMBER
    return ParsedValue(status, number, unit, multiplier, raw)


def _to_float(text: str) -> float | None:
    if _GROUPED.match(text):
        text = text.replace(",", "")
    if not _PLAIN.match(text):
        return None
    return float(text)
