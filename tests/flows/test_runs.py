"""The real flows under a Prefect test server."""

import datetime as dt
import os
import shutil
import threading
import time

import openpyxl
from prefect.client.orchestration import get_client
from sqlalchemy import func, select

from flows.runs import nightly, on_arrival, rerun
from pipeline.watch import InboxWatcher
from warehouse.models import Issue, Run, Submission
from warehouse.store import Warehouse


def _submissions(settings) -> int:
    with Warehouse(settings.warehouse_url).begin() as session:
        return session.scalar(select(func.count()).select_from(Submission))


def test_nightly_over_the_example_inbox(example_inbox):
    summary = nightly("schedule")
    assert len(summary.loaded) == 9 and summary.files_seen == 9
    assert summary.new_errors == 4  # the 团市委 unit slip is an error, not a warning
    assert set(summary.late) == {"市教育局", "团市委", "市科学技术局", "市残疾人联合会"}
    for name in ("indicator_table.csv", "issues.csv", "ledger.csv", "indicator_table.xlsx"):
        assert (example_inbox.outputs_dir / name).exists()
    with Warehouse(example_inbox.warehouse_url).begin() as session:
        run = session.scalars(select(Run)).one()
    assert (run.trigger, run.outcome, run.submissions) == ("schedule", "succeeded", 9)
    assert "入库版本 9 个" in run.message

    async def read_artifacts():
        async with get_client() as client:
            return await client.read_latest_artifacts()

    import asyncio

    keys = {a.key for a in asyncio.run(read_artifacts())}
    assert {"huizong-run-summary", "huizong-issues-edu", "huizong-issues-youth-league"} <= keys


def test_second_nightly_with_nothing_new_is_cheap(example_inbox):
    nightly("schedule")
    table = example_inbox.outputs_dir / "indicator_table.csv"
    written = table.stat().st_mtime_ns
    started = time.perf_counter()
    summary = nightly("schedule")
    took = time.perf_counter() - started
    assert summary.loaded == [] and summary.files_new == 0
    assert table.stat().st_mtime_ns == written  # outputs not rebuilt
    assert _submissions(example_inbox) == 9
    assert took < 10


def test_correction_then_rerun(example_inbox):
    nightly("schedule")
    source = example_inbox.inbox_dir / "残联填报表.xlsx"
    workbook = openpyxl.load_workbook(source)
    workbook["填报表"]["I8"] = 96.5
    workbook["填报表"]["F11"] = 88.5
    corrected = example_inbox.inbox_dir / "残联填报表_更正.xlsx"
    workbook.save(corrected)
    summary = rerun("残联")
    assert [(name, version) for name, _, version, _ in summary.loaded] == [
        ("残联填报表_更正.xlsx", 2)]
    assert summary.resolved == 2
    again = rerun("市残疾人联合会")
    assert again.loaded == []  # idempotent
    with Warehouse(example_inbox.warehouse_url).begin() as session:
        open_disabled = session.scalar(select(func.count()).select_from(Issue).where(
            Issue.department_code == "disabled", Issue.state == "open"))
    assert open_disabled == 0
    reprocessed = rerun("残联", reprocess=True)
    assert [version for _, _, version, _ in reprocessed.loaded] == [1, 2]
    assert _submissions(example_inbox) == 10


def test_rerun_only_touches_its_department(example_inbox):
    summary = rerun("教育局", years=[2024])
    assert [department for _, department, _, _ in summary.loaded] == ["市教育局"]
    assert _submissions(example_inbox) == 1


def test_watcher_waits_for_a_slow_copy_then_runs_for_that_file(example_inbox, corpus):
    shutil.rmtree(example_inbox.inbox_dir)
    example_inbox.inbox_dir.mkdir()
    watcher = InboxWatcher(example_inbox.inbox_dir, settle_seconds=0.3)
    data = corpus.filled_template("org", "org_slow.xlsx").path.read_bytes()
    target = example_inbox.inbox_dir / "组织部.xlsx"
    copied = threading.Event()

    def copy_slowly():
        with target.open("wb") as handle:
            for start in range(0, len(data), 1000):
                handle.write(data[start:start + 1000])
                handle.flush()
                os.utime(target)
                time.sleep(0.05)
        copied.set()

    thread = threading.Thread(target=copy_slowly)
    thread.start()
    handed_out = []
    while not copied.is_set():  # the copy writes every 0.05 s; the watcher looks often
        handed_out += watcher.poll()
        time.sleep(0.1)
    thread.join()
    assert handed_out == []  # never while the copy was growing
    assert watcher.poll() == []  # nor right after its last write
    assert 0 < watcher.seconds_to_next() <= 0.3
    time.sleep(watcher.seconds_to_next())
    ready = watcher.poll()  # quiet for settle_seconds
    assert [f.path.name for f in ready] == ["组织部.xlsx"]
    summary = on_arrival([f.path.name for f in ready])
    assert [department for _, department, _, _ in summary.loaded] == ["市委组织部"]
    assert watcher.poll() == []


def test_two_runs_started_together(example_inbox):
    summaries = []
    errors = []

    def run():
        try:
            summaries.append(nightly("manual"))
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(len(s.loaded) for s in summaries) == [0, 9]
    assert _submissions(example_inbox) == 9


def test_a_run_exits_1_only_when_every_new_file_broke(example_inbox, monkeypatch):
    from typer.testing import CliRunner

    import pipeline.ingest
    from flows.cli import app

    real_load = pipeline.ingest.load_submission

    def broken_for(departments):
        def load(session, incoming, result, *args, **kwargs):
            if result.department in departments:
                raise RuntimeError("a defect of ours")
            return real_load(session, incoming, result, *args, **kwargs)
        return load

    monkeypatch.setattr(pipeline.ingest, "load_submission", broken_for({"edu"}))
    partly = CliRunner().invoke(app, ["run"])
    assert partly.exit_code == 0, partly.output  # one broken file is not a failed run
    assert "处理时程序内部出错" in partly.output or "入库时程序内部出错" in partly.output
    monkeypatch.setattr(pipeline.ingest, "load_submission", broken_for({"edu"}))
    retried = CliRunner().invoke(app, ["run"])  # only the broken file is new again
    assert retried.exit_code == 1
    assert "全部因程序内部错误未能处理" in retried.output


def test_a_file_the_mail_pass_saves_is_never_handed_to_the_watcher(tmp_path):
    """Dated when its mail arrived, a saved attachment looks settled the moment it
    appears: the pass announces it before renaming it into place, so `serve`'s watcher
    never runs it a second time (the pass runs on it itself)."""
    from intake.fetch import _final_path, _write_pending, announce_saved, announcing_saved

    watcher = InboxWatcher(tmp_path, settle_seconds=1.0)
    assert watcher.poll() == []
    arrived = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    pending = _write_pending(tmp_path / "残联填报表.xlsx", b"PK\x03\x04 a workbook", arrived)
    assert watcher.poll() == []  # the pending name is not the inbox's
    with announcing_saved(watcher.taken):
        announce_saved([_final_path(pending)], [pending])
    pending.replace(_final_path(pending))
    assert watcher.poll() == []
    (tmp_path / "残联填报表.xlsx").write_bytes(b"PK\x03\x04 changed by someone")
    assert watcher.poll() == []  # changed just now: settling
    time.sleep(1.1)
    assert [f.path.name for f in watcher.poll()] == ["残联填报表.xlsx"]  # a change is new
