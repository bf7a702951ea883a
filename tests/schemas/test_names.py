import pytest

from schemas.names import normalise_name, split_unit


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("（一）党史学习教育", "党史学习教育"),
        ("1.党史学习教育", "党史学习教育"),
        ("一、党史 学习 教育", "党史学习教育"),
        ("①党史学习教育", "党史学习教育"),
        ("１２３５５服务台", "12355服务台"),
        ("“返家乡”社会实践", "返家乡社会实践"),
        ("2021年", "2021年"),
    ],
)
def test_normalise_name(typed, key):
    assert normalise_name(typed) == key


def test_split_unit_only_takes_known_units():
    units = {"万人次", "人次", "%"}
    assert split_unit("参与人次（万人次）", units) == ("参与人次", "万人次")
    assert split_unit("覆盖率（％）", units) == ("覆盖率", "%")
    assert split_unit("参与人次(单位：万人次)", units) == ("参与人次", "万人次")
    assert split_unit("残疾儿童（7-14岁）", units) == ("残疾儿童(7-14岁)", None)
