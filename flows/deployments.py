"""The deployments: served from one machine (`huizong serve`), or deployed to a work pool
whose workers run on other machines (`huizong deploy --pool …`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prefect import serve
from prefect.deployments import run_deployment
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron
from prefect.settings import PREFECT_API_URL, temporary_settings

from config import PROJECT_ROOT, get_settings
from flows.runs import nightly, on_arrival, rerun
from pipeline.watch import InboxWatcher

NIGHTLY_CRON = Cron("0 2 * * *", timezone="Asia/Shanghai")
# One run of each at a time; the warehouse lock keeps different deployments apart too.
LIMIT = 1


def local_deployments() -> list[RunnerDeployment]:
    return [
        nightly.to_deployment(name="nightly", schedules=[NIGHTLY_CRON],
                              parameters={"trigger": "schedule"}, concurrency_limit=LIMIT,
                              description="每晚 02:00（北京时间）自动汇总"),
        on_arrival.to_deployment(name="inbox", concurrency_limit=LIMIT,
                                 description="收件箱出现新文件时由监视程序触发"),
        rerun.to_deployment(name="rerun", concurrency_limit=LIMIT,
                            description="在界面中填写单位名称，立即重跑该单位"),
    ]


def deploy_to_pool(pool: str) -> list[str]:
    """Register nightly, inbox and rerun on a work pool; workers pull the code from this
    project directory (shared or checked out at the same path on every worker)."""
    ids = []
    for entrypoint, name, extra in (
        ("flows/runs.py:nightly", "nightly", {"schedules": [NIGHTLY_CRON],
                                             "parameters": {"trigger": "schedule"}}),
        ("flows/runs.py:on_arrival", "inbox", {}),
        ("flows/runs.py:rerun", "rerun", {}),
    ):
        source = nightly.from_source(source=str(PROJECT_ROOT), entrypoint=entrypoint)
        ids.append(str(source.deploy(name=name, work_pool_name=pool, concurrency_limit=LIMIT,
                                     print_next_steps=False, **extra)))
    return ids


def watch_inbox(on_files: Callable[[list[str]], object], poll_seconds: float,
                stop: threading.Event) -> None:
    """Poll the inbox; hand files that stopped changing to `on_files`."""
    watcher = InboxWatcher(get_settings().inbox_dir)
    watcher.prime()
    while not stop.wait(poll_seconds):
        ready = watcher.poll()
        if ready:
            on_files([str(f.path.relative_to(watcher.inbox)) for f in ready])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def local_server(port: int | None = None) -> Iterator[str]:
    """A Prefect server with its UI for this machine, unless PREFECT_API_URL is set."""
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    port = port or _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + float(os.environ[
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"])
        while True:
            try:
                urllib.request.urlopen(f"{url}/health", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(
                        "Prefect 服务未能启动，请查看 var/prefect 下的日志") from None
                time.sleep(1)
        os.environ["PREFECT_API_URL"] = url  # for child processes (the served runs)
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def serve_everything(poll_seconds: float) -> None:
    """Serve the three deployments and watch the inbox until interrupted."""
    stop = threading.Event()

    def trigger(files: list[str]) -> None:
        run_deployment("inbox/inbox", parameters={"files": files}, timeout=0)

    thread = threading.Thread(target=watch_inbox, args=(trigger, poll_seconds, stop),
                              daemon=True)
    thread.start()
    try:
        serve(*local_deployments(), print_starting_message=False)
    finally:
        stop.set()
