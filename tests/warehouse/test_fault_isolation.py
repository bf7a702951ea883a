"""A fault in one file costs that file, never the run; a wrong number is never accepted."""

import os

import openpyxl
import pytest
from sqlalchemy import select

import pipeline.ingest
from samples.corpus import write_hostile
from tests.warehouse.helpers import accepted, drop, issues, run
from transforms.inbox import InboxFile, scan_inbox
from warehouse.models import FileProblem, Submission


def _problems(warehouse):
    with warehouse.begin() as session:
        return list(session.scalars(select(FileProblem).order_by(FileProblem.id)))


def _departments_loaded(warehouse):
    with warehouse.begin() as session:
        return sorted(session.scalars(select(Submission.department_code)))


def test_a_file_that_breaks_loading_is_recorded_and_retried_next_run(
        warehouse, settings, corpus, monkeypatch):
    drop(settings, corpus.filled_template("edu", "教育局.xlsx").path)
    drop(settings, corpus.filled_template("disabled", "残联.xlsx").path)
    drop(settings, corpus.filled_template("org", "组织部.xlsx").path)
    real_load = pipeline.ingest.load_submission

    def load_breaking_on_disabled(session, incoming, result, *args, **kwargs):
        if result.department == "disabled":
            session.flush()
            raise ZeroDivisionError("a defect of ours")
        return real_load(session, incoming, result, *args, **kwargs)

    monkeypatch.setattr(pipeline.ingest, "load_submission", load_breaking_on_disabled)
    report = run(warehouse, settings)
    assert _departments_loaded(warehouse) == ["edu", "org"]  # the others went on
    assert [(f.display_name, f.stage) for f in report.failures] == [("残联.xlsx", "load")]
    [problem] = _problems(warehouse)
    assert (problem.kind, problem.stage, problem.attempts) == ("internal_error", "load", 1)
    assert "不是报送单位的问题" in problem.message_zh and "ZeroDivisionError" in problem.detail
    assert issues(warehouse, department_code="disabled") == []  # not blamed

    monkeypatch.setattr(pipeline.ingest, "load_submission", real_load)
    report = run(warehouse, settings)  # nothing changed in the inbox: retried by itself
    assert _departments_loaded(warehouse) == ["disabled", "edu", "org"]
    assert report.failures == []
    [problem] = _problems(warehouse)
    assert problem.resolved_at is not None


def test_a_file_that_breaks_loading_costs_only_itself_within_its_department(
        warehouse, settings, corpus, monkeypatch):
    """A department's files of one run are committed together, each in its savepoint."""
    drop(settings, corpus.filled_template("edu", "教育局.xlsx").path)
    drop(settings, corpus.filled_template("edu", "教育局_又一份.xlsx").path)  # same figures
    real_load = pipeline.ingest.load_submission

    def load_breaking_on_the_second(session, incoming, result, *args, **kwargs):
        outcome = real_load(session, incoming, result, *args, **kwargs)
        if incoming.original_name == "教育局_又一份.xlsx":
            raise ZeroDivisionError("a defect of ours, after writing rows")
        return outcome

    monkeypatch.setattr(pipeline.ingest, "load_submission", load_breaking_on_the_second)
    report = run(warehouse, settings)
    assert [(f.display_name, f.stage) for f in report.failures] == [("教育局_又一份.xlsx", "load")]
    with warehouse.begin() as session:
        versions = session.execute(select(Submission.version, Submission.status)).all()
    assert versions == [(1, "accepted")]  # the first file's rows, none of the second's


def test_a_reader_defect_is_an_internal_error_not_the_departments_fault(
        warehouse, settings, corpus):
    path = drop(settings, corpus.filled_template("edu", "教育局.xlsx").path)
    arrivals, _ = pipeline.ingest.new_arrivals(warehouse, [
        InboxFile(path, None)], settings)
    arrivals[0].incoming.archived_path.unlink()  # the worker's read raises
    report = pipeline.ingest.ingest(warehouse, arrivals, None, settings)
    assert [f.stage for f in report.failures] == ["read"]
    [problem] = _problems(warehouse)
    assert "FileNotFoundError" in problem.detail
    assert _departments_loaded(warehouse) == []


def test_two_files_of_one_department_disagreeing_are_accepted_by_neither(
        warehouse, settings, corpus, figures):
    first = drop(settings, corpus.filled_template("disabled", "残联.xlsx").path)
    run(warehouse, settings)
    code = "disabled.child_rehabilitation.surgeries"
    before = accepted(warehouse, code, 2024).value
    for name, value in (("残联（修改）.xlsx", before + 5), ("残联（再修改）.xlsx", before + 7)):
        workbook = openpyxl.load_workbook(first)
        sheet = workbook["填报表"]
        row = next(r for r in range(5, 20) if sheet.cell(r, 2).value == code)
        sheet.cell(row, 8, value)
        workbook.save(settings.root / name)
        drop(settings, settings.root / name)
    run(warehouse, settings)
    conflicts = issues(warehouse, rule="conflicting_files")
    assert conflicts and all(i.severity == "error" for i in conflicts)
    assert "两个都暂不采用" in conflicts[0].message_zh
    value = accepted(warehouse, code, 2024)
    assert value.value == before and value.rejected_observation_id is not None  # pending


def test_each_refused_file_stays_open_until_it_is_replaced(warehouse, settings, corpus,
                                                          tmp_path):
    valid = corpus.filled_template("edu", "valid.xlsx").path
    hostile = write_hostile(tmp_path / "hostile", valid)
    for rule in ("file_corrupt", "file_encrypted", "file_empty"):
        drop(settings, hostile[rule], folder="教育局")
    run(warehouse, settings)
    refused = {i.rule for i in issues(warehouse, department_code="edu", state="open")}
    assert {"file_corrupt", "file_encrypted", "file_empty"} <= refused
    # A readable file under another name does not make the broken ones go away ...
    drop(settings, corpus.filled_template("edu", "另一个.xlsx", typed={
        ("edu.teachers.recruited", 2025): None}).path, folder="教育局")
    run(warehouse, settings)
    still = {i.rule for i in issues(warehouse, department_code="edu", state="open")}
    assert {"file_corrupt", "file_encrypted", "file_empty"} <= still
    # ... a readable copy under the broken file's own name does.
    drop(settings, valid, name=hostile["file_encrypted"].name, folder="教育局")
    run(warehouse, settings)
    after = {i.rule for i in issues(warehouse, department_code="edu", state="open")}
    assert "file_encrypted" not in after


def test_links_and_fifos_in_the_inbox_are_refused_and_never_read(warehouse, settings, corpus,
                                                                tmp_path):
    outside = corpus.filled_template("edu", "外面的.xlsx").path
    settings.inbox_dir.mkdir(parents=True, exist_ok=True)
    (settings.inbox_dir / "链接.xlsx").symlink_to(outside)
    (settings.inbox_dir / "教育局").symlink_to(outside.parent, target_is_directory=True)
    os.mkfifo(settings.inbox_dir / "管道.xlsx")
    drop(settings, corpus.filled_template("org", "组织部.xlsx").path)
    run(warehouse, settings)  # a FIFO read would block forever: it is never opened
    assert _departments_loaded(warehouse) == ["org"]
    problems = {p.file_name: p for p in _problems(warehouse)}
    assert set(problems) == {"链接.xlsx", "教育局", "管道.xlsx"}
    assert problems["链接.xlsx"].kind == "outside_inbox"
    assert "收件箱以外" in problems["链接.xlsx"].message_zh
    assert problems["管道.xlsx"].kind == "not_regular_file"
    assert not list(settings.archive_dir.rglob("*外面*"))
    (settings.inbox_dir / "链接.xlsx").unlink()
    run(warehouse, settings)
    problems = {p.file_name: p for p in _problems(warehouse)}
    assert problems["链接.xlsx"].resolved_at is not None
    assert problems["管道.xlsx"].resolved_at is None


@pytest.mark.parametrize("years", [None, (2024,)])
def test_an_unreachable_warehouse_stops_the_run_instead_of_blaming_files(
        warehouse, settings, corpus, monkeypatch, years):
    from sqlalchemy.exc import OperationalError

    drop(settings, corpus.filled_template("org", "组织部.xlsx").path)
    arrivals, _ = pipeline.ingest.new_arrivals(
        warehouse, scan_inbox(settings.inbox_dir), settings)

    def down(*_args, **_kwargs):
        raise OperationalError("select 1", {}, Exception("connection refused"))

    monkeypatch.setattr(pipeline.ingest, "load_submission", down)
    with pytest.raises(OperationalError):
        pipeline.ingest.ingest(warehouse, arrivals, None, settings, years=years)
