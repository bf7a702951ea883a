"""Five-year trend charts per report section, drawn with a CJK font shipped in a wheel
(mplfonts' Noto Sans CJK SC), so Chinese labels never turn into tofu boxes."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import mplfonts
from matplotlib import font_manager

from schemas.catalogue import Catalogue
from warehouse.table import TableRow

FONT_FILE = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
PER_CHART = 4


def _use_cjk_font() -> str:
    font_manager.fontManager.addfont(str(FONT_FILE))
    name = font_manager.FontProperties(fname=str(FONT_FILE)).get_name()
    plt.rcParams["font.family"] = name
    plt.rcParams["axes.unicode_minus"] = False
    return name


def section_charts(table: list[TableRow], catalogue: Catalogue, years: tuple[int, ...],
                   out_dir: Path) -> list[tuple[int, Path]]:
    """(section, png) for each report section: its first four yearly-summed indicators."""
    _use_cjk_font()
    out_dir.mkdir(parents=True, exist_ok=True)
    values = {(r.indicator_code, r.year): r.value for r in table}
    charts = []
    for section, title in catalogue.sections.items():
        chosen = [i for i in catalogue.indicators
                  if i.section == section and i.aggregation == "sum"][:PER_CHART]
        if not chosen:
            continue
        figure, axes = plt.subplots(1, len(chosen), figsize=(3.2 * len(chosen), 2.8),
                                    squeeze=False)
        for axis, indicator in zip(axes[0], chosen, strict=True):
            heights = [values.get((indicator.code, y)) or 0 for y in years]
            axis.bar([str(y) for y in years], heights, color="#c00000")
            axis.set_title(f"{indicator.name}\n（{indicator.unit}）", fontsize=8)
            axis.tick_params(labelsize=7)
        figure.suptitle(f"{title}：近五年主要指标", fontsize=10)
        figure.tight_layout()
        path = out_dir / f"section_{section}.png"
        figure.savefig(path, dpi=150)
        plt.close(figure)
        charts.append((section, path))
    return charts
