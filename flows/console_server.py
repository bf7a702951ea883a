"""Serve the console (审核台) with uvicorn: on its own (`huizong console`) or beside the
deployments and watchers of `huizong serve`. Uploads run as the `upload` flow, one at a
time, in this process; their mail is delivered at once when a mail server is set."""

from __future__ import annotations

import contextvars
import importlib
import threading
import time
from dataclasses import dataclass

import uvicorn

from config import Settings
from console.app import create_app
from console.worker import UploadWorker
from pipeline.summary import RunSummary
from warehouse.store import Warehouse

STARTUP_SECONDS = 20


@dataclass(slots=True)
class RunningConsole:
    server: uvicorn.Server
    thread: threading.Thread
    worker: UploadWorker
    url: str

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.worker.stop()


def _run_upload(files: list[str]) -> RunSummary:
    from flows.prefect_env import without_heartbeats
    from flows.runs import on_upload

    with without_heartbeats():
        return on_upload(files)


def _warm() -> None:
    """Imports of the run (Prefect's engine, pandas, pandera) and the reader's forkserver:
    about 1.5 s the first upload would otherwise wait."""
    from multiprocessing import forkserver

    # transforms.sandbox sets the forkserver's preload, so it comes before the start.
    for module in ("flows.runs", "schemas.validate", "transforms.sandbox"):
        importlib.import_module(module)
    forkserver.ensure_running()


def _deliver(summary: RunSummary) -> None:
    from config import get_settings
    from flows.prefect_env import without_heartbeats
    from flows.runs import mail

    if get_settings().smtp_host:
        with without_heartbeats():
            mail()


def upload_worker(warehouse: Warehouse) -> UploadWorker:
    """The worker that runs uploads as the `upload` flow, without Prefect's heartbeat."""
    # The worker's thread starts with an empty context: hand it ours (the Prefect API URL).
    context = contextvars.copy_context()
    return UploadWorker(warehouse, lambda files: context.run(_run_upload, files),
                        lambda summary: context.run(_deliver, summary),
                        lambda: context.run(_warm))


def _server(settings: Settings, warehouse: Warehouse, host: str, port: int
            ) -> tuple[uvicorn.Server, UploadWorker]:
    worker = upload_worker(warehouse)
    app = create_app(settings, warehouse, worker)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                            proxy_headers=settings.console_trust_proxy,
                            forwarded_allow_ips="*" if settings.console_trust_proxy else None,
                            server_header=False, access_log=False)
    return uvicorn.Server(config), worker


def console_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}"


def serve_console(settings: Settings, warehouse: Warehouse, host: str, port: int) -> None:
    """In the foreground until Ctrl+C or SIGTERM (uvicorn's own handling)."""
    server, worker = _server(settings, warehouse, host, port)
    worker.start()
    try:
        server.run()
    finally:
        worker.stop()


def start_console(settings: Settings, warehouse: Warehouse, host: str, port: int
                  ) -> RunningConsole | None:
    """In a thread of this process (`serve` keeps the main thread for its signals); None
    when it could not listen (the port is taken): the rest of `serve` goes on."""
    server, worker = _server(settings, warehouse, host, port)
    thread = threading.Thread(target=contextvars.copy_context().run, args=(server.run,),
                              name="console", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        server.should_exit = True
        return None
    worker.start()
    return RunningConsole(server, thread, worker, console_url(host, port))
