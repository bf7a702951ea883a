"""Versions, corrections, re-drops and reprocessing, on SQLite and PostgreSQL."""

import openpyxl
import pytest

from pipeline.ingest import new_arrivals
from tests.warehouse.helpers import accepted, counts, drop, issues, run
from transforms.inbox import scan_inbox
from warehouse.models import Submission


@pytest.fixture
def edu_with_three_errors(corpus, tmp_path):
    sample = corpus.filled_template("edu", "edu_v1.xlsx")
    workbook = openpyxl.load_workbook(sample.path)
    sheet = workbook["填报表"]
    sheet["E5"] = -1  # below minimum
    sheet["F6"] = "见附件"  # unparsed
    sheet["G10"] = 135  # rate above 100
    first = tmp_path / "教育局_第一版.xlsx"
    workbook.save(first)
    sheet["E5"] = 12
    sheet["F6"] = 3.5
    sheet["F5"] = "待核"  # the correction breaks a cell that was accepted
    sheet["G9"] = None  # and leaves one blank
    second = tmp_path / "教育局_更正版.xlsx"
    workbook.save(second)
    return first, second


def test_first_submission(warehouse, settings, edu_with_three_errors, figures):
    first, _ = edu_with_three_errors
    drop(settings, first)
    report = run(warehouse, settings)
    [(name, outcome)] = report.outcomes
    assert (name, outcome.department, outcome.version, outcome.status) == (
        "教育局_第一版.xlsx", "edu", 1, "partially_accepted")
    assert outcome.values_accepted == 57
    assert counts(warehouse) == {"files": 1, "submissions": 1, "observations": 60,
                                 "accepted_values": 60, "issues": 3}
    # The rate of G10 is refused (above 100 %): its mismatch with the counts is not said
    # again as a warning on the same cell.
    assert sorted(i.rule for i in issues(warehouse)) == [
        "above_maximum", "below_minimum", "unparsed"]
    value = accepted(warehouse, "edu.student_aid.beneficiaries", 2021)
    assert value.value == pytest.approx(figures[("edu.student_aid.beneficiaries", 2021)] * 1e4)
    rejected = accepted(warehouse, "edu.student_aid.policies", 2021)
    assert rejected.observation_id is None and rejected.rejected_observation_id is not None
    archived = list((settings.archive_dir).rglob("*.xlsx"))
    assert len(archived) == 1 and archived[0].read_bytes() == first.read_bytes()


def test_correction_fixes_two_of_three_errors(warehouse, settings, edu_with_three_errors):
    first, second = edu_with_three_errors
    drop(settings, first)
    run(warehouse, settings)
    kept = accepted(warehouse, "edu.student_aid.policies", 2022).value
    drop(settings, second)
    report = run(warehouse, settings)
    [(_, outcome)] = report.outcomes
    assert outcome.version == 2 and len(outcome.resolved_issues) == 2
    resolved = issues(warehouse, state="resolved")
    assert sorted(i.rule for i in resolved) == ["below_minimum", "unparsed"]
    assert all(i.resolved_by_submission_id == outcome.submission_id for i in resolved)
    [still] = [i for i in issues(warehouse) if i.rule == "above_maximum"]
    assert still.state == "open" and still.cell == "G10"
    assert accepted(warehouse, "edu.student_aid.policies", 2021).value == 12
    # The new error cell does not replace the accepted value: kept, marked pending.
    pending = accepted(warehouse, "edu.student_aid.policies", 2022)
    assert pending.value == kept and pending.rejected_observation_id is not None
    # A blank in the correction leaves the earlier value in place.
    assert accepted(warehouse, "edu.disabled_children.special_education", 2023).value \
        is not None
    with warehouse.begin() as session:
        statuses = [s.status for s in session.query(Submission).order_by(Submission.version)]
    # The first version still supplies a value the correction left blank: still in use.
    assert statuses == ["partially_accepted", "partially_accepted"]


def test_identical_redrop_is_no_new_version(warehouse, settings, edu_with_three_errors):
    first, _ = edu_with_three_errors
    drop(settings, first)
    run(warehouse, settings)
    before = counts(warehouse)
    assert run(warehouse, settings).outcomes == []  # unchanged inbox: a hash, nothing more
    drop(settings, first, name="又发了一次.xlsx")  # same bytes, new name, later time
    arrivals, _ = new_arrivals(warehouse, scan_inbox(settings.inbox_dir), settings)
    assert arrivals == []  # known by its hash: not even read
    assert run(warehouse, settings).outcomes == []  # and not on any later run either
    assert counts(warehouse) == before


def test_redropping_an_older_version_makes_it_newest_again(warehouse, settings,
                                                          edu_with_three_errors):
    first, second = edu_with_three_errors
    drop(settings, first)
    run(warehouse, settings)
    drop(settings, second)
    run(warehouse, settings)
    (settings.inbox_dir / first.name).unlink()
    drop(settings, first, name="教育局_第一版_重发.xlsx")
    report = run(warehouse, settings)
    [(_, outcome)] = report.outcomes
    assert outcome.version == 3
    with warehouse.begin() as session:
        versions = session.query(Submission).order_by(Submission.version).all()
    assert versions[0].file_id == versions[2].file_id != versions[1].file_id
    assert counts(warehouse)["files"] == 2
    # v1's error cell does not displace v2's accepted 12: it stays, pending.
    pending = accepted(warehouse, "edu.student_aid.policies", 2021)
    assert pending.value == 12 and pending.rejected_observation_id is not None


def test_reprocessing_an_archived_file_is_idempotent(warehouse, settings, edu_with_three_errors):
    first, _ = edu_with_three_errors
    drop(settings, first)
    run(warehouse, settings)
    before = counts(warehouse)
    with warehouse.begin() as session:
        snapshot = sorted((i.rule, i.state, i.message_zh) for i in issues(warehouse))
    for _ in range(2):
        report = run(warehouse, settings, reprocess="edu")
        assert [o.version for _, o in report.outcomes] == [1]
    assert counts(warehouse) == before
    assert sorted((i.rule, i.state, i.message_zh) for i in issues(warehouse)) == snapshot
    del session


def test_values_not_in_a_partial_correction_stay(warehouse, settings, corpus, tmp_path):
    full = corpus.filled_template("disabled", "残联.xlsx")
    drop(settings, full.path)
    run(warehouse, settings)
    partial = tmp_path / "残联补报.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["填报单位：市残联"])
    sheet.append(["指标名称", "2025年"])
    sheet.append(["残疾儿童手术救助人数", 99])
    workbook.save(partial)
    drop(settings, partial)
    run(warehouse, settings)
    assert accepted(warehouse, "disabled.child_rehabilitation.surgeries", 2025).value == 99
    untouched = next(e for e in full.expected
                     if (e.indicator_code, e.year) == ("disabled.youth_jobs.provided", 2022))
    assert accepted(warehouse, "disabled.youth_jobs.provided", 2022).value == untouched.value


def test_two_unrecognised_rows_are_two_issues(warehouse, settings, corpus, tmp_path):
    sample = corpus.filled_template("science", "科技局.xlsx")
    workbook = openpyxl.load_workbook(sample.path)
    sheet = workbook["填报表"]
    for row, name in ((20, "青年创新大赛获奖人数"), (21, "青年科技论坛场次")):
        sheet.cell(row, 3, name)
        sheet.cell(row, 5, 12)
    path = tmp_path / "科技局.xlsx"
    workbook.save(path)
    drop(settings, path)
    run(warehouse, settings)
    unknown = [i for i in issues(warehouse) if i.rule == "unknown_indicator"]
    assert sorted(i.cell for i in unknown) == ["C20", "C21"]
    run(warehouse, settings)  # the same file again: still the same two, not four
    assert len([i for i in issues(warehouse) if i.rule == "unknown_indicator"]) == 2
