"""Commands share one background Prefect server instead of starting one each; it stops
when asked or when nobody has used it for a while."""

import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from config import PROJECT_ROOT
from flows.server_state import ServerState
from tests.flows.conftest import HUIZONG

pytestmark = pytest.mark.slow  # whole-system, minutes: `make test-slow` (CI runs both)


def _huizong(root, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "HUIZONG_ROOT": str(root),
                   "PREFECT_HOME": str(root / "prefect"), **env}
    environment.pop("PREFECT_API_URL", None)  # no server given: the command finds one
    return subprocess.run([HUIZONG, *args], capture_output=True, text=True,
                          env=environment, timeout=300)


def _state(root) -> ServerState | None:
    path = root / "prefect" / "huizong-server.json"
    return ServerState(**json.loads(path.read_text())) if path.exists() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rpartition(")")[2].split()[0] != "Z"


@pytest.fixture(autouse=True)
def _no_server_left_behind(tmp_path):
    yield
    state = _state(tmp_path)
    if state is not None and _alive(state.pid):
        os.kill(state.pid, signal.SIGTERM)


def test_the_second_command_uses_the_server_the_first_one_started(tmp_path):
    shutil.copytree(PROJECT_ROOT / "inbox", tmp_path / "inbox")
    first = _huizong(tmp_path, "run")
    assert first.returncode == 0, first.stdout + first.stderr
    started = _state(tmp_path)
    assert started is not None and started.owner == "keeper" and started.healthy()
    # A touched file is read again: a run of the flow, not one answered from the hashes.
    touched = next((tmp_path / "inbox").glob("*.xlsx"))
    os.utime(touched, (touched.stat().st_atime, touched.stat().st_mtime + 1))
    second = _huizong(tmp_path, "run")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "没有新的或更正的报送" in second.stdout
    assert _state(tmp_path) == started  # the same server, not a second one
    stopped = _huizong(tmp_path, "stop-server")
    assert "已停止后台 Prefect 服务" in stopped.stdout
    assert _state(tmp_path) is None and not _alive(started.pid)
    assert "没有在后台运行" in _huizong(tmp_path, "stop-server").stdout


def test_an_idle_background_server_stops_by_itself(tmp_path):
    (tmp_path / "inbox").mkdir()
    idle = {"HUIZONG_SERVER_IDLE_MINUTES": "0.1"}  # 6 s
    assert _huizong(tmp_path, "run", **idle).returncode == 0
    started = _state(tmp_path)
    assert started is not None
    deadline = time.monotonic() + 60
    while _alive(started.pid):
        assert time.monotonic() < deadline, "the idle server kept running"
        time.sleep(0.5)
    assert _state(tmp_path) is None
