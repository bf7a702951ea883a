"""Five-year trend charts per report section, drawn with a CJK font shipped in a wheel
(mplfonts' Noto Sans CJK SC), so Chinese labels never turn into tofu boxes.

A chart is drawn again only when what it shows changed: drawing all of them costs about
2 s (and matplotlib's import half a second), longer than the rest of a run for one
corrected file. Each PNG has a `.key` file beside it holding the digest of its inputs,
written after the PNG, so a chart cut off half-way is drawn again.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from schemas.catalogue import Catalogue
from warehouse.table import TableRow

PER_CHART = 4
LOOK = 3  # part of every chart's key: raise it when the drawing changes
# Drawn at the size it is printed (16 cm wide in the report), so 9 pt stays 9 pt; two
# panels a row, every panel the same size in every chart.
FIGURE_WIDTH_INCHES, ROW_HEIGHT_INCHES = 6.3, 2.3
# (name, unit, a height per year or None, whether the figure comes in whole numbers)
Series = list[tuple[str, str, list[float | None], bool]]


def chart_caption(number: int, title: str) -> str:
    return f"图{number}　{title}：近五年主要指标"


def section_charts(table: list[TableRow], catalogue: Catalogue, years: tuple[int, ...],
                   out_dir: Path) -> list[tuple[str, Path]]:
    """(section title, png) for each report section: its first four yearly-summed
    indicators."""
    out_dir.mkdir(parents=True, exist_ok=True)
    values = {(r.indicator_code, r.year): r.value for r in table}
    charts = []
    for section, title in catalogue.sections.items():
        chosen = [i for i in catalogue.indicators
                  if i.section == section and i.additive][:PER_CHART]
        if not chosen:
            continue
        series = [(i.name, i.unit, [values.get((i.code, y)) for y in years],
                   bool(i.checks.integer)) for i in chosen]
        path = out_dir / f"section_{section}.png"
        stamp = path.with_suffix(".key")
        key = hashlib.sha256(json.dumps([LOOK, title, years, series], ensure_ascii=False)
                             .encode()).hexdigest()
        if not (path.exists() and stamp.exists() and stamp.read_text() == key):
            _draw(path, title, years, series)
            stamp.write_text(key)
        charts.append((title, path))
    return charts


@lru_cache(maxsize=1)
def _pyplot():  # noqa: ANN202 - matplotlib.pyplot, imported only when a chart is drawn
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mplfonts
    from matplotlib import font_manager

    font = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    font_manager.fontManager.addfont(str(font))
    plt.rcParams["font.family"] = font_manager.FontProperties(fname=str(font)).get_name()
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def _draw(path: Path, title: str, years: tuple[int, ...], series: Series) -> None:
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator
    rows = (len(series) + 1) // 2
    figure, axes = plt.subplots(rows, 2, figsize=(FIGURE_WIDTH_INCHES, ROW_HEIGHT_INCHES * rows),
                                squeeze=False)
    for axis, item in zip(axes.flat, [*series, *([None] * (2 * rows - len(series)))],
                          strict=True):
        if item is None:
            axis.set_visible(False)
            continue
        name, unit, heights, whole = item
        labels = [str(y) for y in years]
        axis.bar(labels, [h or 0 for h in heights], color="#c00000")
        for label, height in zip(labels, heights, strict=True):
            if height is None:  # a missing year is said, not silently absent
                axis.annotate("未报", (label, 0), ha="center", va="bottom", fontsize=8,
                              color="#7f7f7f")
        axis.set_title(f"{name}（{unit}）", fontsize=9)
        axis.tick_params(labelsize=8)
        if whole:  # people and sessions come whole: no 1.5人 on the axis
            axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout()
    figure.savefig(path, dpi=200)
    plt.close(figure)
