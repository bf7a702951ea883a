"""Find the local Prefect server a command can use instead of starting its own.

Starting a Prefect server takes 6–9 s, longer than the work of most commands. So one
server per Prefect home is shared: `huizong serve` announces the one it runs in a small
state file; when nothing runs, the first command that needs Prefect starts a keeper
(`python -m flows.server_keeper`) that runs a server in the background, and later
commands find it. The keeper stops its server after `HUIZONG_SERVER_IDLE_MINUTES`
without a command using it, or at `huizong stop-server`.

Light on purpose: no Prefect import here, so looking costs a file read and one HTTP
request.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from config import get_settings
from flows.cli_errors import UserFixable

TOUCH_EVERY_SECONDS = 20
HEALTH_TIMEOUT_SECONDS = 2


@dataclass(frozen=True, slots=True)
class ServerState:
    url: str
    pid: int
    owner: str  # "serve" or "keeper"

    def healthy(self) -> bool:
        try:
            os.kill(self.pid, 0)
            urllib.request.urlopen(f"{self.url}/health",
                                   timeout=HEALTH_TIMEOUT_SECONDS).close()
        except OSError:
            return False
        return True


class ServerUnavailable(UserFixable):
    """The background Prefect server would not start."""


def prefect_home() -> Path:
    return Path(os.environ.get("PREFECT_HOME") or get_settings().prefect_home)


def state_file() -> Path:
    return prefect_home() / "huizong-server.json"


def read_state() -> ServerState | None:
    try:
        return ServerState(**json.loads(state_file().read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def announce(url: str, owner: str) -> None:
    """Say that this process runs the server at `url` (atomically: never half a file)."""
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(asdict(ServerState(url, os.getpid(), owner))),
                       encoding="utf-8")
    partial.replace(path)


def withdraw() -> None:
    """Remove the announcement if it is this process's."""
    state = read_state()
    if state is not None and state.pid == os.getpid():
        with contextlib.suppress(FileNotFoundError):
            state_file().unlink()


def idle_seconds() -> float:
    try:
        return time.time() - state_file().stat().st_mtime
    except FileNotFoundError:
        return 0.0


@contextmanager
def _spawn_lock() -> Iterator[None]:
    """Two commands started together start one keeper, not two."""
    path = prefect_home() / "huizong-server.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _start_keeper() -> ServerState:
    subprocess.Popen([sys.executable, "-m", "flows.server_keeper"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    deadline = time.monotonic() + float(os.environ.get(
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", 180))
    while time.monotonic() < deadline:
        state = read_state()
        if state is not None and state.healthy():
            return state
        time.sleep(0.2)
    raise ServerUnavailable("后台 Prefect 服务启动超时，请查看 var/log/huizong.log")


@contextmanager
def shared_server() -> Iterator[str]:
    """The API URL of a running local server (started if none runs), set for this
    process and its children; the server is kept from idling out while the block runs.
    A PREFECT_API_URL set by the user wins and is used as it is."""
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    with _spawn_lock():
        state = read_state()
        if state is None or not state.healthy():
            state = _start_keeper()
    os.environ["PREFECT_API_URL"] = state.url
    done = threading.Event()
    toucher = threading.Thread(target=_touch_until, args=(done,), daemon=True,
                               name="server-in-use")
    toucher.start()
    try:
        yield state.url
    finally:
        done.set()


def _touch_until(done: threading.Event) -> None:
    every = min(TOUCH_EVERY_SECONDS, get_settings().server_idle_minutes * 60 / 3)
    while True:
        with contextlib.suppress(FileNotFoundError):
            os.utime(state_file())
        if done.wait(every):
            return


def stop_keeper(wait_seconds: float = 10) -> ServerState | None:
    """Stop the background server a command started; a server `serve` runs is left alone.
    Returns the state that was found (None: no server was running)."""
    state = read_state()
    if state is None or state.owner != "keeper":
        return state
    with contextlib.suppress(ProcessLookupError):
        os.kill(state.pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            os.kill(state.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    return state
