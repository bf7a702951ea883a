"""The isolated readers: a file that exhausts memory, hangs or breaks the reader costs that
file only, and the pool goes on with the next."""

import os
import time
import zipfile

import pytest

from config import Settings
from schemas.round import get_round
from transforms.sandbox import ReaderPool, ReadFailure, ReadJob


def _pool(catalogue, registry, tmp_path, **limits) -> ReaderPool:
    settings = Settings(root=tmp_path, **limits)
    return ReaderPool(catalogue, registry, settings, get_round().round.years)


def _job(path) -> ReadJob:
    return ReadJob(path, path.name, None, "0" * 64)


def _dense_sheet(path, rows: int, columns: int) -> None:
    """A sheet whose two real cells span rows × columns: calamine allocates it densely."""
    last = ""
    number = columns
    while number:
        number, remainder = divmod(number - 1, 26)
        last = chr(65 + remainder) + last
    sheet = (f'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             f'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
             f'填报单位：市残联</t></is></c></row><row r="{rows}"><c r="{last}{rows}"><v>1</v>'
             f'</c></row></sheetData></worksheet>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://'
                         'schemas.openxmlformats.org/package/2006/content-types"><Default '
                         'Extension="xml" ContentType="application/xml"/><Override PartName='
                         '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                         'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
                         'worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
                         'officedocument.spreadsheetml.worksheet+xml"/></Types>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://'
                         'schemas.openxmlformats.org/package/2006/relationships"><Relationship '
                         'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                         'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://'
                         'schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://'
                         'schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
                         '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships '
                         'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                         'officeDocument/2006/relationships/worksheet" '
                         'Target="worksheets/sheet1.xml"/></Relationships>')
        archive.writestr("xl/worksheets/sheet1.xml", sheet)


def test_a_runaway_allocation_costs_one_file(catalogue, registry, tmp_path, corpus):
    greedy = tmp_path / "greedy.xlsx"
    _dense_sheet(greedy, rows=9_000, columns=9_000)  # 81 million cells: several GiB
    good = corpus.filled_template("disabled", "good.xlsx").path
    # The extent guard is lifted so that the parser itself meets the memory limit.
    with _pool(catalogue, registry, tmp_path, reader_memory_mb=512, reader_workers=1,
               max_sheet_cells=10**9) as pool:
        outcomes = dict(pool.read([_job(greedy), _job(good)]))
    [issue] = outcomes[0].issues
    assert issue.rule == "file_unreadable" and "512 MB" in issue.message_zh
    assert len(outcomes[1].observations) == 45  # the next file, in a fresh worker


def test_a_hanging_read_is_abandoned_after_the_time_limit(catalogue, registry, tmp_path,
                                                          corpus):
    fifo = tmp_path / "hangs.xlsx"
    os.mkfifo(fifo)  # reading it blocks forever: nobody ever writes
    good = corpus.filled_template("org", "good.xlsx").path
    started = time.monotonic()
    with _pool(catalogue, registry, tmp_path, reader_timeout_seconds=2) as pool:
        outcomes = dict(pool.read([_job(fifo), _job(good)]))
    assert time.monotonic() - started < 15
    [issue] = outcomes[0].issues
    assert issue.rule == "file_unreadable" and "超过 2 秒" in issue.message_zh
    assert outcomes[1].department == "org"


def test_files_handed_to_a_worker_that_hangs_are_read_by_the_next(catalogue, registry,
                                                                 tmp_path, corpus):
    """A worker holds its next files before it begins them: when it is stopped, they are
    read by another, not refused with it."""
    fifo = tmp_path / "hangs.xlsx"
    os.mkfifo(fifo)
    good = [corpus.filled_template(d, f"{d}_next.xlsx").path for d in ("org", "edu", "disabled")]
    with _pool(catalogue, registry, tmp_path, reader_timeout_seconds=2,
               reader_workers=1) as pool:
        outcomes = dict(pool.read([_job(fifo), *map(_job, good)]))
    assert sorted(outcomes) == [0, 1, 2, 3]
    assert outcomes[0].issues[0].rule == "file_unreadable"
    assert [outcomes[n].department for n in (1, 2, 3)] == ["org", "edu", "disabled"]
    assert all(not outcomes[n].issues for n in (1, 2, 3))


def test_a_worker_killed_between_two_reads_is_replaced(catalogue, registry, tmp_path,
                                                       corpus):
    """A worker killed while it has no file in hand (by the out-of-memory killer, an
    operator) costs nothing: the next file goes to a new worker instead of the send to
    the dead one stopping the run. Two reads of one pool make that moment certain."""
    first = corpus.filled_template("org", "org_idle.xlsx").path
    second = corpus.filled_template("edu", "edu_idle.xlsx").path
    with _pool(catalogue, registry, tmp_path, reader_workers=1) as pool:
        [(_, read)] = list(pool.read([_job(first)]))
        [worker] = pool._workers
        worker.process.kill()
        worker.process.join()
        [(_, again)] = list(pool.read([_job(second)]))
    assert (read.department, again.department) == ("org", "edu")
    assert not again.issues


def test_an_exception_in_the_reader_is_a_failure_with_its_traceback(catalogue, registry,
                                                                    tmp_path):
    with _pool(catalogue, registry, tmp_path) as pool:
        [(_, outcome)] = list(pool.read([_job(tmp_path / "gone.xlsx")]))
    assert isinstance(outcome, ReadFailure)
    assert "FileNotFoundError" in outcome.detail


@pytest.mark.parametrize("workers", [1, 2])
def test_many_files_in_parallel_come_back_once_each(catalogue, registry, tmp_path, corpus,
                                                    workers):
    paths = [corpus.filled_template(d, f"{d}_{workers}.xlsx").path
             for d in ("edu", "disabled", "org", "science", "youth_league")]
    with _pool(catalogue, registry, tmp_path, reader_workers=workers) as pool:
        outcomes = list(pool.read([_job(p) for p in paths]))
    assert sorted(position for position, _ in outcomes) == list(range(len(paths)))
    assert {o.department for _, o in outcomes} == {"edu", "disabled", "org", "science",
                                                   "youth_league"}
