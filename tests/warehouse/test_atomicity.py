"""A load killed at any point leaves the warehouse as it was; two runs never both write."""

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import delete

from tests.warehouse.helpers import counts, drop, run
from warehouse import run_lock
from warehouse.models import Lock, Run, utcnow
from warehouse.store import WarehouseBusy

BIG_LOAD = textwrap.dedent("""
    import datetime as dt, sys
    from pathlib import Path
    from schemas.validate import Assessment
    from schemas.observation import Observation, ParseStatus, ReadResult
    from warehouse.load import IncomingFile, load_submission
    from warehouse.store import Warehouse

    url, rows = sys.argv[1], int(sys.argv[2])
    sha = "f" * 64
    code = "edu.teachers.recruited"
    observations = [Observation("edu", code, 1000 + n, float(n), str(n), ParseStatus.NUMBER,
                                "", sha, "填报表", f"E{n + 5}") for n in range(rows)]
    result = ReadResult("big.xlsx", sha, "xlsx", "edu", observations, [])
    assessments = [Assessment(o, True, False) for o in observations]
    incoming = IncomingFile(sha, "big.xlsx", None, 1, dt.datetime.now(dt.UTC), Path("x"))
    warehouse = Warehouse(url)
    with warehouse.begin() as session:
        print("LOADING", flush=True)
        load_submission(session, incoming, result, assessments, [], None)
    print("DONE", flush=True)
""")


def _start_big_load(url: str, rows: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", BIG_LOAD, url, str(rows)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_killed_load_leaves_the_warehouse_unchanged(warehouse, settings, corpus):
    drop(settings, corpus.filled_template("edu", "edu_before_kill.xlsx").path)
    run(warehouse, settings)
    before = counts(warehouse)

    process = _start_big_load(warehouse.url, 150_000)
    assert process.stdout.readline().strip() == "LOADING"
    time.sleep(1.0)  # well inside the load, which takes several seconds
    assert process.poll() is None, "the load finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert counts(warehouse) == before

    # The next run completes the load.
    finished = _start_big_load(warehouse.url, 150_000)
    output, errors = finished.communicate(timeout=300)
    assert "DONE" in output, errors[-2000:]
    after = counts(warehouse)
    assert after["submissions"] == before["submissions"] + 1
    assert after["observations"] == before["observations"] + 150_000


CONCURRENT_RUN = textwrap.dedent("""
    import sys
    from pathlib import Path
    from config import Settings
    from pipeline.ingest import ingest, new_arrivals
    from transforms.inbox import scan_inbox
    from warehouse.store import Warehouse

    settings = Settings(root=Path(sys.argv[1]), warehouse_url=sys.argv[2])
    warehouse = Warehouse(settings.warehouse_url)
    with warehouse.exclusive(wait_seconds=120):
        arrivals, _ = new_arrivals(warehouse, scan_inbox(settings.inbox_dir), settings)
        report = ingest(warehouse, arrivals, None, settings)
    print(sum(1 for _, outcome in report.outcomes if outcome.changed))
""")


def test_two_runs_started_together_load_each_file_once(warehouse, settings, corpus, registry):
    for department in registry.submitting:
        drop(settings, corpus.filled_template(department.code,
                                              f"together_{department.code}.xlsx").path)
    processes = [subprocess.Popen([sys.executable, "-c", CONCURRENT_RUN, str(settings.root),
                                   warehouse.url], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in processes]
    assert all(p.returncode == 0 for p in processes), [e[-2000:] for _, e in outputs]
    assert sorted(int(out) for out, _ in outputs) == [0, 9]
    assert counts(warehouse)["submissions"] == 9
    assert warehouse.lock_holder() is None


def test_a_second_run_that_will_not_wait_is_told_why(warehouse):
    with (warehouse.exclusive(),
          pytest.raises(WarehouseBusy, match="另一个汇总任务正在运行（一个汇总任务，"),
          warehouse.exclusive(wait_seconds=0)):
        pass


def test_a_lock_silent_for_a_minute_is_taken_over_and_its_run_marked_crashed(warehouse):
    dead = warehouse.start_run("schedule", flow_run_id="0f0f0f0f-0000-4000-8000-000000000000")
    with warehouse.begin() as session:
        silent = utcnow() - dt.timedelta(seconds=61)
        session.add(Lock(name="pipeline", holder="dead:1:x", run_id=dead, acquired_at=silent,
                         heartbeat_at=silent))
    with warehouse.exclusive(wait_seconds=0, stale_after=60) as lock:
        assert warehouse.lock_holder().holder == lock.holder
        [crashed] = lock.crashed
    assert crashed.id == dead and crashed.flow_run_id.startswith("0f0f")
    assert "异常中断" in crashed.describe_zh() and "夜间定时" in crashed.describe_zh()
    with warehouse.begin() as session:
        run = session.get(Run, dead)
        assert run.outcome == "crashed" and run.finished_at is not None


def test_a_live_run_keeps_its_lock_by_heart_beating(warehouse):
    """With a 4 s stale time, a run holding the lock for 9 s is never taken over; the
    waiting run hears whom it waits for, and gives up saying so."""
    heard = []
    with warehouse.exclusive(stale_after=4) as lock:
        run_id = warehouse.start_run("manual")
        lock.attach(run_id)
        started = time.monotonic()
        with (pytest.raises(WarehouseBusy, match=f"运行 #{run_id}（手动）") as refused,
              warehouse.exclusive(wait_seconds=9, stale_after=4, on_wait=heard.append)):
            pass
        assert time.monotonic() - started >= 9
        assert not lock.lost.is_set()
    assert "最近心跳" in str(refused.value) and "已运行" in str(refused.value)
    [holder] = heard
    assert holder.run_id == run_id and holder.trigger == "manual"
    assert warehouse.lock_holder() is None


def test_a_lock_whose_holder_died_on_this_machine_is_taken_over_at_once(warehouse):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    gone = int(finished.stdout)
    with warehouse.begin() as session:
        session.add(Lock(name="pipeline", holder=f"{run_lock._HERE}:{gone}:x",
                         heartbeat_at=utcnow()))
    with warehouse.exclusive(wait_seconds=0, stale_after=60) as lock:
        assert lock.holder.startswith(run_lock._HERE)
    # A holder that is alive here, or that lives on another machine, is waited for.
    for holder in (f"{run_lock._HERE}:{os.getpid()}:x", f"other-host/1:{gone}:x"):
        with warehouse.begin() as session:
            session.add(Lock(name="pipeline", holder=holder, heartbeat_at=utcnow()))
        with pytest.raises(WarehouseBusy), warehouse.exclusive(wait_seconds=0):
            pass
        with warehouse.begin() as session:
            session.execute(delete(Lock))


def test_a_killed_holder_not_yet_reaped_by_its_parent_counts_as_dead():
    killed = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        holder = f"{run_lock._HERE}:{killed.pid}:x"
        assert not run_lock._died_on_this_machine(holder)
        killed.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not run_lock._died_on_this_machine(holder):  # a zombie until we wait()
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        killed.kill()
        killed.wait()
