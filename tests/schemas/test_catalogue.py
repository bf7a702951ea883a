import pytest
import yaml
from pydantic import ValidationError

from schemas.catalogue import CATALOGUE_FILE, Catalogue, get_catalogue
from schemas.departments import get_registry
from schemas.names import normalise_name

# The minimum the foundation issue asks for, copied from the report text:
# canonical name, reporting unit, department, whether its years add up.
REQUIRED = """
党史学习教育参与团员青年人次 万人次 团市委 true
主题团课队课覆盖率 % 团市委 false
青年讲师团党史宣讲场次 场次 团市委 true
红领巾巡讲团红色故事宣讲场次 场 团市委 true
落实学生资助政策项数 项 市教育局 false
学生资助受益学生人次 万人次 市教育局 true
义务教育阶段残疾儿童人数 人 市教育局 false
普通学校随班就读残疾儿童人数 人 市教育局 false
接受特殊教育残疾儿童人数 人 市教育局 false
残疾儿童入学率 % 市教育局 false
补充青年教育人才人数 人 市教育局 true
教师奖励性补贴人均金额 元 市教育局 false
比较性绩效工资人均金额 元 市教育局 false
村小任教基层津贴 元 市教育局 false
教学点任教基层津贴 元 市教育局 false
到农村学校支教骨干教师和干部人数 人 市教育局 true
公共文化场馆开展青少年线上线下活动场次 场次 市文化广电旅游体育局 true
免费体育技能指导青少年人次 万人次 市文化广电旅游体育局 true
青少年体育赛事获得奖牌数 枚 市文化广电旅游体育局 true
入选省跳水学校后备人才集训队人数 人 市文化广电旅游体育局 false
入围全国单板滑雪集训名单人数 人 市文化广电旅游体育局 false
入选省单板滑雪名单人数 人 市文化广电旅游体育局 false
心理辅导机构和社会组织数 家 市卫生健康委员会 false
注册心理咨询志愿者人数 人 市卫生健康委员会 false
12355青少年服务台线上咨询服务人次 人次 团市委 true
吸纳创业团队数 个 市人力资源和社会保障局 true
创业团队经营收入 亿元 市人力资源和社会保障局 true
为企业招引大学生人数 人 市人力资源和社会保障局 true
举办招聘会次数 次 市人力资源和社会保障局 true
引进急需紧缺技能人才人数 人 市人力资源和社会保障局 true
青年就业创业培训班期数 期 市人力资源和社会保障局 true
青年就业创业培训人次 万人次 市人力资源和社会保障局 true
参与返家乡社会实践大学生人数 人 团市委 true
规范注册青年志愿者人数 万人 团市委 false
志愿服务队伍数 支 团市委 false
志愿服务时长 万小时 团市委 true
表彰青年典型人数 人 团市委 true
募集关爱资金 万元 团市委 true
资助因疫致困青少年人数 人 团市委 true
青年科技特派员下乡服务人数 人 市科学技术局 false
绿色通道回乡就业青年人数 人 市委组织部 true
批准逮捕侵害未成年人犯罪案件数 件 市人民检察院 true
批准逮捕侵害未成年人犯罪人数 人 市人民检察院 true
提起公诉侵害未成年人犯罪案件数 件 市人民检察院 true
提起公诉侵害未成年人犯罪人数 人 市人民检察院 true
未成年人涉嫌犯罪批捕人数 人 市人民检察院 true
未成年人涉嫌犯罪不批捕人数 人 市人民检察院 true
未成年人涉嫌犯罪不起诉人数 人 市人民检察院 true
未成年人涉嫌犯罪起诉人数 人 市人民检察院 true
未成年被害人社会救助人次 人次 市人民检察院 true
未成年人法治课次数 次 市人民检察院 true
在校未成年人参与法治学习人次 万人次 市人民检察院 true
残疾青年康复救助人次 人次 市残疾人联合会 true
残疾青年技能培训人次 人次 市残疾人联合会 true
为残疾青年提供就业岗位数 个 市残疾人联合会 true
残疾青年家庭医生签约率 % 市残疾人联合会 false
残疾儿童康复救助训练人数 人 市残疾人联合会 false
残疾儿童手术救助人数 人 市残疾人联合会 true
康复救助经费 万元 市残疾人联合会 true
康复救助家庭生活补助资金 万元 市残疾人联合会 true
康复救助家庭生活补助受惠家庭数 户 市残疾人联合会 false
"""
REQUIRED_ROWS = [line.split() for line in REQUIRED.strip().splitlines()]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return get_catalogue()


@pytest.mark.parametrize(("name", "unit", "department", "additive"), REQUIRED_ROWS)
def test_required_indicator_present(catalogue, name, unit, department, additive):
    by_name = {i.name: i for i in catalogue.indicators}
    indicator = by_name[name]
    assert indicator.unit == unit
    assert get_registry().get(indicator.department).name == department
    assert indicator.additive == (additive == "true")


def test_codes_unique_and_ascii(catalogue):
    codes = [i.code for i in catalogue.indicators]
    assert len(codes) == len(set(codes)) == len(REQUIRED_ROWS)
    assert all(code.isascii() for code in codes)


def test_names_and_aliases_do_not_collide_across_indicators(catalogue):
    owner: dict[str, str] = {}
    for indicator in catalogue.indicators:
        for name in indicator.names:
            assert owner.setdefault(normalise_name(name), indicator.code) == indicator.code


def test_every_catalogue_department_is_registered(catalogue):
    registered = {d.code for d in get_registry().submitting}
    assert {i.department for i in catalogue.indicators} == registered


def test_base_units_and_factors(catalogue):
    participants = catalogue.indicator("league.party_history.participants")
    assert (catalogue.base_unit(participants), catalogue.factor(participants)) == ("人次", 10_000)
    revenue = catalogue.indicator("hrss.startup_teams.revenue")
    assert (catalogue.base_unit(revenue), catalogue.factor(revenue)) == ("元", 100_000_000)
    rate = catalogue.indicator("edu.disabled_children.enrolment_rate")
    assert (catalogue.base_unit(rate), rate.checks.maximum) == ("%", 100)


def test_checks_follow_the_table(catalogue):
    assert catalogue.indicator("league.lecturers.sessions").checks.integer
    allowance = catalogue.indicator("edu.teachers.incentive_allowance").checks
    assert allowance.minimum == 0 and allowance.minimum_exclusive
    for indicator in catalogue.indicators:
        assert indicator.checks.minimum == 0
        if indicator.kind == "percent":
            assert indicator.checks.maximum == 100
    assert catalogue.jump_ratio(catalogue.indicator("org.green_channel.returnees")) == 10


def test_relations_declared(catalogue):
    rules = {(r.rule, r.codes) for r in catalogue.relations}
    assert ("parts_within_total", ("edu.disabled_children.regular_school",
                                   "edu.disabled_children.total")) in rules
    at_least = [r for r in catalogue.relations if r.rule == "at_least"]
    assert {r.larger for r in at_least} == {
        "procuratorate.crimes_against_minors.arrest_persons",
        "procuratorate.crimes_against_minors.prosecution_persons",
    }
    assert any(r.rule == "rate_matches" for r in catalogue.relations)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("（一）党史学习教育参与人次（万人次）", "league.party_history.participants"),
        ("３. 残疾儿童入学率（％）", "edu.disabled_children.enrolment_rate"),
        ("1.随班就读 残疾儿童人数", "edu.disabled_children.regular_school"),
        ("义务教育阶段残疾儿童（7－14岁）人数", "edu.disabled_children.total"),
        ("hrss.training.classes", "hrss.training.classes"),
        ("①12355青少年服务台线上咨询服务人次（人次）", "league.hotline_12355.consultations"),
    ],
)
def test_match_typed_variants(catalogue, typed, code):
    assert catalogue.match(typed).code == code


def test_unknown_name_does_not_match(catalogue):
    assert catalogue.match("全市GDP") is None


def _raw() -> dict:
    return yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))


def test_catalogue_rejects_colliding_alias():
    raw = _raw()
    raw["indicators"][1]["aliases"].append(raw["indicators"][0]["name"])
    with pytest.raises(ValidationError, match="collides"):
        Catalogue.model_validate(raw)


def test_catalogue_rejects_unknown_unit_and_bad_code():
    raw = _raw()
    raw["indicators"][0]["unit"] = "万斤"
    with pytest.raises(ValidationError, match="unit"):
        Catalogue.model_validate(raw)
    raw = _raw()
    raw["indicators"][0]["code"] = "党史"
    with pytest.raises(ValidationError):
        Catalogue.model_validate(raw)


def test_catalogue_rejects_relation_to_unknown_indicator():
    raw = _raw()
    raw["relations"][0]["total"] = "edu.no_such.indicator"
    with pytest.raises(ValidationError, match="unknown indicators"):
        Catalogue.model_validate(raw)
