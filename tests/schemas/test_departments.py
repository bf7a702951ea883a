import pytest
import yaml
from pydantic import ValidationError

from schemas.catalogue import get_catalogue
from schemas.departments import DEPARTMENTS_FILE, Registry, get_registry


@pytest.fixture(scope="module")
def registry() -> Registry:
    return get_registry()


def test_the_departments_and_the_office(registry):
    assert len(registry.submitting) == len(registry.departments) - 1
    assert registry.office.name == "市青年工作联席会议办公室"
    assert all(d.email and d.contact for d in registry.departments)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("教育局", "edu"), ("市教育局", "edu"), ("青源市教育局", "edu"), ("市教委", "edu"),
        ("市残联", "disabled"), ("残联", "disabled"), ("青源市残疾人联合会", "disabled"),
        ("文广旅体局", "culture_sports"), ("市文旅体育局", "culture_sports"),
        ("人社局", "hrss"), ("检察院", "procuratorate"), ("青源市人民检察院", "procuratorate"),
        ("团市委", "youth_league"), ("共青团青源市委员会", "youth_league"),
        ("卫健委", "health"), ("科技局", "science"), ("市委组织部", "org"),
        ("联席办", "office"), (" 青源 市 残 联 ", "disabled"),
    ],
)
def test_match_typed_names(registry, typed, code):
    assert registry.match(typed).code == code


def test_unknown_department(registry):
    assert registry.match("市财政局") is None


def test_find_in_file_names(registry):
    assert [d.code for d in registry.find_in("2025年青源市教育局数据（盖章版）.xlsx")] == ["edu"]
    assert [d.code for d in registry.find_in("市委组织部-报表")] == ["org"]
    assert [d.code for d in registry.find_in("教育局与残联合报")] == ["edu", "disabled"]
    assert registry.find_in("新建 Microsoft Excel 工作表.xlsx") == []


def test_owned_indicators_are_derived_from_the_catalogue(registry):
    assert len(registry.indicators_of("edu")) == 12
    assert sum(len(registry.indicators_of(d.code)) for d in registry.submitting) == len(
        get_catalogue().indicators)


def test_registry_rejects_alias_shared_by_two_departments():
    raw = yaml.safe_load(DEPARTMENTS_FILE.read_text(encoding="utf-8"))
    raw["departments"][1]["aliases"].append("残联")
    with pytest.raises(ValidationError, match="collides"):
        Registry.model_validate(raw)
