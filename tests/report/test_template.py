"""Every placeholder of the seed draft is bound, and the wording keeps the draft's."""

import re

import pytest

from config import PROJECT_ROOT
from report.template import BadBinding, Binding, Style, load_template, parse_binding
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
    if binding.as_drafted:  # the draft's own figure, printed as it stands
        return f"{binding.as_drafted}{style.scale}{style.unit}"
    before = "余" if style.approx == "余" else ""
    after = style.approx if style.approx in ("左右", "以上") else ""
    if before and style.approx_at == "number":
        return f"§{before}{style.scale}{style.unit}"
    return f"§{style.scale}{before}{style.unit}{after}"


def test_every_placeholder_of_the_seed_is_bound_and_the_wording_kept():
    seed = [PLACEHOLDER.sub("§", line) for line in _seed_lines()]
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


# Read sentence by sentence against the draft: what each figure means.
LATEST = {  # stocks, rosters, rates, standards: 现有…、名单、…率、人均…
    "league.theme_class.coverage", "edu.student_aid.policies", "edu.disabled_children.total",
    "edu.disabled_children.regular_school", "edu.disabled_children.special_education",
    "edu.disabled_children.enrolment_rate", "edu.teachers.incentive_allowance",
    "edu.teachers.comparative_performance_pay", "edu.rural_allowance.village_school",
    "edu.rural_allowance.teaching_point", "health.counselling.organisations",
    "health.counselling.volunteers", "sports.diving_reserve.selected",
    "sports.snowboard_national.shortlisted", "sports.snowboard_provincial.selected",
    "league.volunteers.registered", "league.volunteer_teams.count",
    "science.tech_envoys.dispatched", "disabled.family_doctor.signing_rate",
    # the same children and households are counted again each year: never summed
    "disabled.child_rehabilitation.trained", "disabled.living_allowance.families",
}
NAMED_YEAR = {  # 参加2023年…等体育赛事，荣获奖牌X枚
    "sports.competitions.medals": "param:gymnastics_event_year",
}


def test_every_bound_sentence_states_what_its_figure_means():
    bindings = [p for block in load_template() for p in block.parts
                if isinstance(p, Binding) and p.kind == "figure"]
    assert bindings
    for binding in bindings:
        expected = NAMED_YEAR.get(binding.key,
                                  "latest" if binding.key in LATEST else "sum")
        assert binding.aggregation == expected, binding.key
    drafted = {b.key: b.as_drafted for b in bindings if b.as_drafted}
    assert drafted == {"league.theme_class.coverage": "100",
                       "health.counselling.organisations": "5"}


def test_a_binding_without_its_meaning_is_refused():
    with pytest.raises(BadBinding, match="agg="):
        parse_binding("league.lecturers.sessions unit=场次")


def test_the_drafts_scope_words_stay(parameters):
    """An `XX市` event stays a city's (青源市…), an `XX省` one a province's: the value
    bound there names a place of that level."""
    values = {"city": parameters.city, "province": parameters.province,
              **{k: str(v) for k, v in parameters.report.items()}}
    for line, block in zip(_seed_lines(), load_template(), strict=True):
        bindings = [p for p in block.parts if isinstance(p, Binding) and not p.as_drafted]
        tokens = PLACEHOLDER.findall(line)
        assert len(tokens) == len(bindings), line
        for token, binding in zip(tokens, bindings, strict=True):
            if token in ("XX市", "XX省"):
                assert binding.kind == "param", (token, binding)
                assert values[binding.key].endswith(token[-1]), (token, binding.key)


def test_every_bound_indicator_is_summed_only_if_its_years_add_up(catalogue):
    """What each binding means agrees with the catalogue: a sum only of a flow."""
    bindings = [p for block in load_template() for p in block.parts
                if isinstance(p, Binding) and p.kind == "figure"]
    for binding in bindings:
        if binding.aggregation == "sum":
            assert catalogue.indicator(binding.key).additive, binding.key


def test_a_sum_of_a_non_additive_indicator_is_refused_naming_its_sentence(tmp_path, catalogue):
    from report.figures import NonAdditiveSum, check_sums

    template = tmp_path / "template.md"
    template.write_text("并为残疾儿童发放补助，受惠家庭{{ disabled.living_allowance.families "
                        "agg=sum unit=户 }}。帮扶困难家庭青少年。", encoding="utf-8")
    with pytest.raises(NonAdditiveSum, match="“并为残疾儿童发放补助，受惠家庭XX。”：「"
                                             "康复救助家庭生活补助受惠家庭数」各年不能相加"):
        check_sums(load_template(template), catalogue)
