"""Five-year trend charts per report section, drawn with a CJK font shipped in a wheel
(mplfonts' Noto Sans CJK SC), so Chinese labels never turn into tofu boxes.

A chart is drawn again only when what it shows changed: drawing all of them costs about
2 s (and matplotlib's import half a second), longer than the rest of a run for one
corrected file; those that must be drawn are shared with a second process (drawing).
Each PNG has a `.key` file beside it holding the digest of its inputs, written after the
PNG, so a chart cut off half-way is drawn again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from report.drawing import Chart, draw_all
from schemas.catalogue import Catalogue
from warehouse.table import TableRow

PER_CHART = 4
LOOK = 3  # part of every chart's key: raise it when the drawing changes


def chart_caption(number: int, title: str) -> str:
    return f"图{number}　{title}：近五年主要指标"


def section_charts(table: list[TableRow], catalogue: Catalogue, years: tuple[int, ...],
                   out_dir: Path) -> list[tuple[str, Path]]:
    """(section title, png) for each report section: its first four yearly-summed
    indicators."""
    out_dir.mkdir(parents=True, exist_ok=True)
    values = {(r.indicator_code, r.year): r.value for r in table}
    charts, stale = [], []
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
            stale.append((Chart(str(path), list(years), series), stamp, key))
        charts.append((title, path))
    draw_all([chart for chart, _, _ in stale])
    for _, stamp, key in stale:  # after its PNG: a chart cut off half-way is drawn again
        stamp.write_text(key)
    return charts


