"""Workbooks re-saved by LibreOffice read exactly like the originals they came from."""

from pathlib import Path

import pytest

from config import PROJECT_ROOT
from transforms import read_file

FIXTURES = Path(__file__).parent / "fixtures"
ORIGINALS = {
    "libreoffice_团市委.xls": "团市委2026年青年发展数据填报表.xlsx",
    "libreoffice_团市委.ods": "团市委2026年青年发展数据填报表.xlsx",
    "libreoffice_教育局.xlsx": "青源市教育局-近五年青年发展数据（盖章版）.xlsx",
}


def _observations(result):
    return sorted((o.indicator_code, o.year, o.value, o.parse_status, o.sheet, o.cell)
                  for o in result.observations)


@pytest.mark.parametrize(("saved", "original"), sorted(ORIGINALS.items()))
def test_same_observations_as_the_original(saved, original):
    ours = read_file(PROJECT_ROOT / "inbox" / original)
    theirs = read_file(FIXTURES / saved)
    assert theirs.department == ours.department
    assert theirs.file_format == Path(saved).suffix.lstrip(".")
    assert _observations(theirs) == _observations(ours)
    assert [(i.rule, i.cell) for i in theirs.issues] == [(i.rule, i.cell) for i in ours.issues]
