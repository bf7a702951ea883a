"""Normalise the names people type so that variants of one name compare equal.

Used for indicator names, department names and header labels alike: full-width to
half-width (NFKC), no spaces, no punctuation or brackets, no list prefix such as
`（一）`, `1.`, `一、` or `①`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_LIST_PREFIX = re.compile(
    r"^\s*(?:"
    r"[(（]\s*[0-9一二三四五六七八九十]+\s*[)）]"  # (1) （一）
    r"|[0-9]+\s*[.、．)）](?![0-9])"  # 1. 1、 1)
    r"|[一二三四五六七八九十]+\s*[、.．]"  # 一、
    r")\s*"
)
# Circled numbers must go before NFKC, which turns `①` into a bare `1`.
_CIRCLED_PREFIX = re.compile(r"^\s*[\u2460-\u2473\u2776-\u277f]\s*")
# Anything that is not a letter, digit or CJK ideograph is noise in a name.
_NOISE = re.compile(r"[^0-9a-z\u4e00-\u9fff%]+")


def nfkc(text: str) -> str:
    """Full-width digits, letters and `％` become their half-width forms."""
    return unicodedata.normalize("NFKC", text)


# A reader folds the same few hundred labels in every file of a template.
@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """NFKC after dropping a circled list number, which NFKC would turn into a digit."""
    return nfkc(_CIRCLED_PREFIX.sub("", str(text), count=1)).strip()


def strip_list_prefix(text: str) -> str:
    return _LIST_PREFIX.sub("", text, count=1)


@lru_cache(maxsize=65536)
def normalise_name(text: str) -> str:
    """The comparison key of a name: `（一）党史学习教育 参与人次` -> `党史学习教育参与人次`."""
    return _NOISE.sub("", strip_list_prefix(fold(text).lower()))


_UNIT_TAIL = re.compile(r"[(\[【]\s*(?:单位\s*[:：]?\s*)?([^()\[\]【】]{1,8}?)\s*[)\]】]\s*$")


def split_unit(text: str, units: Iterable[str]) -> tuple[str, str | None]:
    """Split a unit written into a label: `参与人次（万人次）` -> (`参与人次`, `万人次`).

    Only a bracketed tail that is a known unit counts, so `残疾儿童（7-14岁）` keeps
    its bracket.
    """
    folded = fold(text)
    match = _UNIT_TAIL.search(folded)
    if match and match.group(1) in set(units):
        return folded[: match.start()].strip(), match.group(1)
    return folded, None
