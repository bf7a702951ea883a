"""The sample figures a newcomer sees first are ones a city of a million could report."""

import logging

from samples.figures import base_figure, plausible_ranges, sample_figures
from schemas.catalogue import AtLeast, Indicator, PartsWithinTotal, RateMatches
from schemas.validate import validate
from transforms import read_file


def test_every_indicator_has_a_plausible_range(catalogue):
    ranges = plausible_ranges()
    assert set(ranges) == {i.code for i in catalogue.indicators}
    assert all(0 <= low < high for low, high in ranges.values())


def test_the_figures_stay_near_their_range(catalogue, parameters):
    years = parameters.round.years
    figures = sample_figures(catalogue, years)
    raised = set()
    for relation in catalogue.relations:
        match relation:
            case PartsWithinTotal(total=code) | AtLeast(larger=code) | RateMatches(rate=code):
                raised.add(code)
    for (code, _year), value in figures.items():
        low, high = plausible_ranges()[code]
        if code in raised:  # raised to cover its parts, or computed from its counts
            continue
        assert 0.8 * low - 0.01 <= value <= 1.2 * high + 0.01, (code, value)
    # The two figures the review found absurd for a city this size.
    assert all(figures[("sports.diving_reserve.selected", y)] <= 15 for y in years)
    assert all(figures[("health.counselling.organisations", y)] <= 10 for y in years)


def test_a_clean_sample_still_passes_validation(corpus, registry):
    batch = [read_file(corpus.filled_template(d.code, f"plausible_{d.code}.xlsx").path)
             for d in registry.submitting]
    assert [i for i in validate(batch).issues if i.severity != "info"] == []


def test_a_new_indicator_without_a_range_gets_a_default_and_the_log_says_so(caplog):
    added = Indicator(code="edu.new_programme.participants", name="新增项目参与人数", unit="人",
                      department="edu", kind="count", additive=True, section=2,
                      definition="测试用的新增指标")
    with caplog.at_level(logging.WARNING, logger="samples.figures"):
        values = [base_figure(added, year) for year in (2021, 2022)]
    assert all(8 <= value <= 240 and value == int(value) for value in values)
    assert "samples/plausible.yaml 中没有指标 edu.new_programme.participants 的取值范围" in \
        caplog.text
