"""The example inbox that ships in inbox/ reads and validates as documented."""

from collections import Counter

import pytest

from config import get_settings
from samples.example_inbox import write_example_inbox
from schemas.validate import validate
from transforms import read_file
from transforms.inbox import scan_inbox


@pytest.fixture(scope="module")
def shipped():
    files = list(scan_inbox(get_settings().inbox_dir))
    return [read_file(f.path, folder=f.folder) for f in files]


def test_every_department_submitted_once(shipped, registry):
    assert sorted(r.department for r in shipped) == sorted(d.code for d in registry.submitting)
    assert all(r.readable for r in shipped)


def test_the_documented_mistakes_are_caught(shipped):
    result = validate(shipped)
    problems = Counter((i.department, i.rule) for i in result.issues if i.severity != "info")
    assert problems == Counter({
        ("edu", "regular_school_within_total"): 1,
        ("edu", "enrolment_rate_matches_counts"): 1,
        ("youth_league", "approximate"): 1,
        ("youth_league", "unit_slip"): 1,
        ("culture_sports", "yoy_jump"): 1,  # a zero after a non-zero year
        ("science", "missing_value"): 1,
        ("procuratorate", "arrest_persons_not_below_cases"): 1,
        ("disabled", "above_maximum"): 1,
        ("disabled", "unparsed"): 1,
    })


def test_the_hidden_stale_sheet_is_skipped_and_said_so(shipped):
    [org] = [r for r in shipped if r.department == "org"]
    assert {o.sheet for o in org.observations} == {"填报表"}
    [note] = [i for i in org.issues if i.rule == "hidden_sheet_skipped"]
    assert note.severity == "info" and "旧版（勿用）" in note.message_zh


def test_shipped_inbox_matches_the_generator(shipped, tmp_path):
    """The committed files and the generator stay in step (values, cells, departments)."""
    fresh_files = list(scan_inbox(tmp_path / "inbox")) if write_example_inbox(
        tmp_path / "inbox") else []
    fresh = [read_file(f.path, folder=f.folder) for f in fresh_files]

    def observations(results):
        return sorted((o.department, o.indicator_code, o.year, o.value, o.raw_value, o.sheet,
                       o.cell) for r in results for o in r.observations)

    assert observations(fresh) == observations(shipped)
