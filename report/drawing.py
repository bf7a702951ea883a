"""Draw trend charts as PNG files, in this process and in one more.

Drawing a chart costs about a second of one core (text layout twice, for tight_layout
and for the PNG), and a run that draws them all has its second core idle: half of them
go to a child process (`python -m report.drawing`, the charts as JSON on its stdin)
that imports only matplotlib. If the child fails, this process draws its share too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)
# Drawn at the size it is printed (16 cm wide in the report), so 9 pt stays 9 pt; two
# panels a row, every panel the same size in every chart.
FIGURE_WIDTH_INCHES, ROW_HEIGHT_INCHES = 6.3, 2.3
CHILD_TIMEOUT_SECONDS = 300
# (name, unit, a height per year or None, whether the figure comes in whole numbers)
Series = list[tuple[str, str, list[float | None], bool]]


@dataclass(frozen=True, slots=True)
class Chart:
    path: str
    years: list[int]
    series: Series


def draw_all(charts: list[Chart]) -> None:
    """Every chart drawn to its path; from two charts on, half in a child process."""
    if len(charts) < 2:
        for chart in charts:
            draw(chart)
        return
    share, mine = charts[:len(charts) // 2], charts[len(charts) // 2:]
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen([sys.executable, "-m", "report.drawing"],
                                 stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                 stderr=errors)
        try:
            assert child.stdin is not None
            # A child that died at once is seen by its exit code below.
            with contextlib.suppress(BrokenPipeError), child.stdin:
                child.stdin.write(json.dumps([asdict(c) for c in share]).encode())
            for chart in mine:
                draw(chart)
            child.wait(timeout=CHILD_TIMEOUT_SECONDS)
        except BaseException:
            child.kill()
            child.wait()
            raise
        if child.returncode != 0:
            errors.seek(0)
            log.warning("画图子进程出错（退出码 %s），改在本进程中画：\n%s", child.returncode,
                        errors.read().decode(errors="replace")[-2000:])
            for chart in share:
                draw(chart)


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


def draw(chart: Chart) -> None:
    """The chart's PNG, written in place of any older one only once it is complete."""
    path, years, series = Path(chart.path), chart.years, chart.series
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
    drawing = path.with_name(f".{path.name}")
    figure.savefig(drawing, dpi=200, format="png")
    plt.close(figure)
    drawing.replace(path)


if __name__ == "__main__":
    for item in json.load(sys.stdin):
        draw(Chart(item["path"], item["years"],
                   [tuple(s) for s in item["series"]]))  # type: ignore[misc]
