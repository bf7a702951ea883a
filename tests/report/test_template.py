"""Every placeholder of the seed draft is bound, and the wording keeps the draft's."""

import re

import pytest

from config import PROJECT_ROOT
from report.template import Binding, Style, load_template
from report.wording import word

# The office's draft, every figure still XX, kept verbatim beside the template.
SEED = PROJECT_ROOT / "report" / "seed_draft.txt"
PLACEHOLDER = re.compile(r"202X|XX[市省]|XX|X")


def _seed_lines() -> list[str]:
    lines = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines()]
    return [line.replace("##paidbegin##", "").replace("##paidend##", "")
            for line in lines if line.strip("#").strip() and line not in ("##paidend##",)]


def _as_seed(binding: Binding) -> str:
    """What the draft wrote where this binding now stands."""
    if binding.kind != "figure":
        return "§"
    style = binding.style
    before = "余" if style.approx == "余" else ""
    after = style.approx if style.approx in ("左右", "以上") else ""
    if before and style.approx_at == "number":
        return f"§{before}{style.scale}{style.unit}"
    return f"§{style.scale}{before}{style.unit}{after}"


def test_every_placeholder_of_the_seed_is_bound_and_the_wording_kept():
    seed = [PLACEHOLDER.sub("§", line) for line in _seed_lines()]
    # The two figures the draft states are bound too.
    seed = [line.replace("覆盖率达100％", "覆盖率达§％").replace("组织5家", "组织§家")
            for line in seed]
    template = ["".join(p if isinstance(p, str) else _as_seed(p) for p in block.parts)
                for block in load_template()]
    assert template == seed
    assert not any("XX" in "".join(p for p in b.parts if isinstance(p, str))
                   for b in load_template())


@pytest.mark.parametrize(("value", "style", "expected"), [
    (1234, Style(unit="场次", approx="余"), "1200余场次"),
    (1200, Style(unit="场次", approx="余"), "1200场次"),  # exact: 余 would be false
    (32456, Style(unit="人次", scale="万", approx="余", step=1), "3万余人次"),
    (30000, Style(unit="人次", scale="万", approx="余", step=1), "3万人次"),
    (32456, Style(unit="人次", scale="万", decimals=1), "3.2万人次"),
    (135_000_000, Style(unit="元", scale="亿", decimals=2), "1.35亿元"),
    (98.6, Style(unit="％", decimals=1), "98.6％"),
    (95.3, Style(unit="％", approx="以上", step=1), "95％以上"),
    (95, Style(unit="％", approx="以上", step=1), "95％"),
    (487, Style(unit="名", approx="左右"), "490名左右"),
    (490, Style(unit="名", approx="左右"), "490名"),
    (12_345_678, Style(unit="元", scale="万", approx="余", approx_at="number"), "1200余万元"),
    (7, Style(unit="人"), "7人"),  # the draft's X or XX says nothing about size
    (12345, Style(unit="人"), "12345人"),
    # Half up, in decimal: binary floats would give 24.4万 and 480名左右.
    (244_500, Style(unit="人次", scale="万", decimals=1), "24.5万人次"),
    (24.45, Style(unit="％", decimals=1), "24.5％"),
    (485, Style(unit="名", approx="左右"), "490名左右"),
    (1.005, Style(unit="亿元", decimals=2), "1.01亿元"),
    # A round figure keeps two significant digits, in 万 from ten thousand up.
    (45_400, Style(unit="人", scale="万", approx="余"), "4.5万余人"),
    (11_945, Style(unit="人次", approx="余"), "1.1万余人次"),
    (11_945, Style(unit="人次"), "11945人次"),  # an exact figure stays as it is
    (9_945, Style(unit="人次", approx="余"), "9900余人次"),
    (123_456_789, Style(unit="元", approx="余"), "1.2亿余元"),
    (96.5, Style(unit="％", approx="以上"), "96％以上"),
    (45, Style(unit="人", approx="余"), "45人"),
])
def test_number_wording(value, style, expected):
    assert word(value, style) == expected
