"""The scale-out path, for real: a Prefect server on a loopback port, a process work
pool with a worker, the deployments registered by `huizong deploy`, runs triggered
through the API, against the PostgreSQL warehouse. Slow, and CI runs it."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config import PROJECT_ROOT
from tests.warehouse.conftest import _drop_schema, _postgres_schema_url
from warehouse.engine import get_engine
from warehouse.models import Run, Submission
from warehouse.store import Warehouse

pytestmark = pytest.mark.slow  # whole-system, minutes: `make test-slow` (CI runs both)

POOL = "huizong-test-pool"
TRIGGER = """
import sys
from prefect.deployments import run_deployment
run = run_deployment(sys.argv[1], parameters=eval(sys.argv[2]), timeout=600)
print(run.state.type.value)
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def cluster(tmp_path):
    postgres_url, schema = _postgres_schema_url()
    project = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "inbox", project / "inbox")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "HUIZONG_"))}
    env.update({
        "PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "HUIZONG_ROOT": str(project), "HUIZONG_WAREHOUSE_URL": postgres_url,
    })
    bin_dir = Path(sys.executable).parent
    logs = (tmp_path / "server.log").open("w"), (tmp_path / "worker.log").open("w")
    server = subprocess.Popen([bin_dir / "prefect", "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, stdout=logs[0], stderr=logs[0])
    processes = [server]
    try:
        _wait_healthy(env["PREFECT_API_URL"], server)
        subprocess.run([bin_dir / "prefect", "work-pool", "create", POOL, "--type", "process"],
                       env=env, check=True, capture_output=True)
        processes.append(subprocess.Popen(
            [bin_dir / "prefect", "worker", "start", "--pool", POOL], env=env,
            stdout=logs[1], stderr=logs[1]))
        deployed = subprocess.run([bin_dir / "huizong", "deploy", "--pool", POOL], env=env,
                                  capture_output=True, text=True)
        assert deployed.returncode == 0, deployed.stderr[-3000:]
        assert "nightly、inbox、rerun" in deployed.stdout
        yield env, postgres_url
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        get_engine(postgres_url).dispose()
        _drop_schema(schema)


def _wait_healthy(api: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert server.poll() is None, "prefect server exited"
        try:
            urllib.request.urlopen(f"{api}/health", timeout=2).close()
            return
        except OSError:
            time.sleep(1)
    raise AssertionError("prefect server did not become healthy")


def _trigger(env, deployment: str, parameters: dict) -> str:
    done = subprocess.run([sys.executable, "-c", TRIGGER, deployment, repr(parameters)],
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.postgres
def test_work_pool_worker_runs_the_deployments_against_postgres(cluster):
    env, postgres_url = cluster
    assert _trigger(env, "nightly/nightly", {"trigger": "manual"}) == "COMPLETED"
    assert _trigger(env, "rerun/rerun", {"department": "残联"}) == "COMPLETED"
    warehouse = Warehouse(postgres_url)
    with warehouse.begin() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 9
        outcomes = [r.outcome for r in session.scalars(select(Run).order_by(Run.id))]
    assert outcomes == ["succeeded", "succeeded"]
    assert (Path(env["HUIZONG_ROOT"]) / "outputs" / "indicator_table.csv").exists()
