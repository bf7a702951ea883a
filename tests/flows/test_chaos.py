"""kill -9 at random points of a run over a few hundred files; the next run, started at
once, takes the dead run's lock over within a minute and ends where an uninterrupted
run ends: nothing duplicated, nothing accepted lost, the same outputs. On SQLite and on
PostgreSQL."""

import csv
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from sqlalchemy import func, select

from benchmarks.nightly import write_inbox
from tests.flows.conftest import HUIZONG, huizong
from tests.warehouse.conftest import warehouse_url  # noqa: F401
from warehouse.models import AcceptedValue, File, Observation, Run, Submission
from warehouse.store import Warehouse

pytestmark = pytest.mark.slow  # whole-system, minutes: `make test-slow` (CI runs both)

FILES = 180
KILLS = 3
STALE_SECONDS = "5"
PRODUCTS = ("indicator_table.csv", "ledger.csv", "issues.csv")


@pytest.fixture(scope="module")
def generated_inbox(tmp_path_factory) -> Path:
    inbox = tmp_path_factory.mktemp("generated") / "inbox"
    inbox.mkdir()
    write_inbox(inbox, FILES)
    return inbox


def _project(root: Path, inbox: Path, url: str) -> dict[str, str]:
    shutil.copytree(inbox, root / "inbox", copy_function=shutil.copy2)
    return {"HUIZONG_ROOT": str(root), "HUIZONG_WAREHOUSE_URL": url,
            "HUIZONG_LOCK_STALE_SECONDS": STALE_SECONDS, "HUIZONG_LOCK_WAIT_SECONDS": "120"}


def _products(root: Path) -> dict[str, list[list[str]]]:
    """The products without the columns that say when a run saw something."""
    tables = {}
    for name in PRODUCTS:
        with (root / "outputs" / name).open(encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
        keep = [i for i, column in enumerate(rows[0]) if column not in ("first_seen",
                                                                       "last_seen")]
        tables[name] = [[row[i] for i in keep] for row in rows]
    return tables


def _state(url: str) -> dict[str, object]:
    with Warehouse(url).begin() as session:
        counts = {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                  for model in (File, Submission, Observation)}
        counts["accepted"] = sorted(session.execute(
            select(AcceptedValue.indicator_code, AcceptedValue.year, AcceptedValue.value)).all())
        counts["versions"] = session.scalar(select(func.count(func.distinct(
            Submission.file_id))))
        counts["running"] = session.scalar(select(func.count()).select_from(Run).where(
            Run.outcome == "running"))
    return counts


@pytest.fixture(scope="module")
def uninterrupted(generated_inbox, tmp_path_factory, prefect_server) -> tuple[dict, dict, float]:
    root = tmp_path_factory.mktemp("reference")
    url = f"sqlite:///{root / 'var' / 'huizong.db'}"
    started = time.monotonic()
    done = huizong("run", **_project(root, generated_inbox, url))
    took = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return _products(root), _state(url), took


def test_kill_minus_nine_anywhere_then_the_next_run_finishes_the_job(
        generated_inbox, uninterrupted, warehouse_url, tmp_path):  # noqa: F811
    reference_products, reference_state, reference_seconds = uninterrupted
    env = {**os.environ, **_project(tmp_path, generated_inbox, warehouse_url)}
    from prefect.settings import PREFECT_API_URL

    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    seed = int(os.environ.get("HUIZONG_CHAOS_SEED") or random.randrange(1_000_000))
    chance = random.Random(seed)
    kills = []
    for _ in range(KILLS):
        run = subprocess.Popen([HUIZONG, "run"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
        delay = chance.uniform(1.0, reference_seconds + 2)
        try:
            run.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)  # the run and its reader workers
            run.wait()
            kills.append(round(delay, 2))
    killed_at = time.monotonic()
    finished = subprocess.run([HUIZONG, "run"], env=env, capture_output=True, text=True,
                              timeout=300)
    recovered_in = time.monotonic() - killed_at
    print(f"seed {seed}: killed after {kills} s; next run done {recovered_in:.1f} s "
          f"after the last kill (uninterrupted run {reference_seconds:.1f} s)")
    assert finished.returncode == 0, finished.stdout + finished.stderr[-3000:]
    assert recovered_in < 120
    outcomes = _outcomes(warehouse_url)
    # Every killed run that had started is marked crashed by the run that took over.
    assert set(outcomes[:-1]) <= {"crashed", "succeeded"} and outcomes[-1] == "succeeded"
    if outcomes[-2:-1] == ["crashed"]:  # found dead by the last run, which says so
        assert "异常中断" in finished.stdout, finished.stdout
    # Prefect is told too: the killed runs' flow runs do not stay Running.
    with get_client(sync_client=True) as client:
        for flow_run_id in _crashed_flow_runs(warehouse_url):
            assert client.read_flow_run(flow_run_id).state.type == StateType.CRASHED
    state = _state(warehouse_url)
    assert state["running"] == 0
    assert state["files"] == reference_state["files"] == FILES
    assert state["submissions"] == reference_state["submissions"]  # nothing twice
    assert state["observations"] == reference_state["observations"]
    assert state["accepted"] == reference_state["accepted"]  # nothing lost
    products = _products(tmp_path)
    for name, rows in reference_products.items():
        missing = [row for row in rows if row not in products[name]]
        extra = [row for row in products[name] if row not in rows]
        assert (missing, extra) == ([], []), f"{name} differs (seed {seed})"
        assert products[name] == rows, f"{name} in another order (seed {seed})"


def _crashed_flow_runs(url: str) -> list[str]:
    with Warehouse(url).begin() as session:
        return list(session.scalars(select(Run.flow_run_id).where(
            Run.outcome == "crashed", Run.flow_run_id.is_not(None))))


def _outcomes(url: str) -> list[str]:
    with Warehouse(url).begin() as session:
        return list(session.scalars(select(Run.outcome).order_by(Run.id)))
