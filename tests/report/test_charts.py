"""Charts are drawn again only when what they show changed."""

import dataclasses

from report.charts import section_charts
from tests.warehouse.helpers import example_warehouse
from warehouse.table import consolidated_table


def test_an_unchanged_chart_is_kept_and_a_changed_one_redrawn(tmp_path, catalogue):
    with example_warehouse(tmp_path) as (warehouse, _settings), warehouse.begin() as session:
        table = consolidated_table(session, catalogue, warehouse.registry, warehouse.years)
    out = tmp_path / "charts"
    first = dict(section_charts(table, catalogue, warehouse.years, out))
    assert first and all(path.stat().st_size > 0 for path in first.values())
    drawn = {section: path.stat().st_mtime_ns for section, path in first.items()}

    # The first yearly-summed indicator of a section is always in its chart.
    section = min(first)
    number = next(n for n, title in catalogue.sections.items() if title == section)
    charted = next(i.code for i in catalogue.indicators
                   if i.section == number and i.additive)
    row = next(r for r in table if r.indicator_code == charted and r.value)
    changed = [dataclasses.replace(r, value=r.value * 2) if r is row else r for r in table]
    section_charts(table, catalogue, warehouse.years, out)
    assert {s: p.stat().st_mtime_ns for s, p in first.items()} == drawn  # nothing redrawn
    second = dict(section_charts(changed, catalogue, warehouse.years, out))
    assert {s for s, p in second.items() if p.stat().st_mtime_ns != drawn[s]} == {section}
    other = max(first)
    assert other != section
    first[other].with_suffix(".key").unlink()  # cut off before its key was written
    third = dict(section_charts(changed, catalogue, warehouse.years, out))
    assert third[other].stat().st_mtime_ns != drawn[other]


def test_charts_the_second_process_could_not_draw_are_drawn_here(tmp_path, catalogue,
                                                                 monkeypatch, caplog):
    import report.drawing

    with example_warehouse(tmp_path) as (warehouse, _settings), warehouse.begin() as session:
        table = consolidated_table(session, catalogue, warehouse.registry, warehouse.years)
    monkeypatch.setattr(report.drawing.sys, "executable", "/bin/false")
    charts = dict(section_charts(table, catalogue, warehouse.years, tmp_path / "charts"))
    assert len(charts) >= 2 and all(path.stat().st_size > 0 for path in charts.values())
    assert "画图子进程出错" in caplog.text
    assert not list((tmp_path / "charts").glob(".*.png"))  # no half-written picture left
