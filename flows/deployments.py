"""The deployments: served from one machine (`huizong serve`), or deployed to a work pool
whose workers run on other machines (`huizong deploy --pool …`)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from prefect.deployments.runner import RunnerDeployment
from prefect.runner import Runner
from prefect.schedules import Cron, Interval
from prefect.settings import PREFECT_API_URL, temporary_settings

from config import PROJECT_ROOT, get_settings
from flows.cli_errors import UserFixable
from flows.runs import MailboxResult, mail, mailbox, nightly, on_arrival, rerun
from intake.fetch import announcing_saved, intake_configured
from pipeline.summary import RunSummary
from pipeline.watch import InboxWatcher

SERVER_STOP_SECONDS = 3
RUNNER_STOP_SECONDS = 3
STOP_CHECK_SECONDS = 0.25
log = logging.getLogger(__name__)
# One run of each at a time; the warehouse lock keeps different deployments apart too.
LIMIT = 1


def nightly_schedule() -> Cron:
    return Cron("0 2 * * *", timezone=get_settings().timezone)


def mail_schedule() -> Interval:
    return Interval(dt.timedelta(minutes=get_settings().mail_every_minutes))


def mailbox_schedule() -> Interval:
    return Interval(dt.timedelta(seconds=get_settings().imap_poll_seconds))


def local_deployments() -> list[RunnerDeployment]:
    return [
        nightly.to_deployment(name="nightly", schedules=[nightly_schedule()],
                              parameters={"trigger": "schedule"}, concurrency_limit=LIMIT,
                              description="每晚 02:00（本地时间）自动汇总"),
        on_arrival.to_deployment(name="inbox", concurrency_limit=LIMIT,
                                 description="收件箱出现新文件时由监视程序触发"),
        rerun.to_deployment(name="rerun", concurrency_limit=LIMIT,
                            description="在界面中填写单位名称，立即重跑该单位"),
        mail.to_deployment(name="mail", schedules=[mail_schedule()], concurrency_limit=LIMIT,
                           description="定时投递待发送的邮件；汇总运行写出新邮件后也会立即触发"),
        # serve waits on the mailbox itself (IDLE) and runs this flow in its own process;
        # the deployment is for a run started from the UI.
        mailbox.to_deployment(name="mailbox", concurrency_limit=LIMIT,
                              description="收取联席办邮箱并处理收到的填报表（serve 自动进行）"),
    ]


def deploy_to_pool(pool: str) -> list[str]:
    """Register nightly, inbox, rerun, mail and mailbox (polled) on a work pool; workers pull
    the code from this project directory (shared or checked out at the same path on every
    worker)."""
    ids = []
    for entrypoint, name, extra in (
        ("flows/runs.py:nightly", "nightly", {"schedules": [nightly_schedule()],
                                             "parameters": {"trigger": "schedule"}}),
        ("flows/runs.py:on_arrival", "inbox", {}),
        ("flows/runs.py:rerun", "rerun", {}),
        ("flows/runs.py:mail", "mail", {"schedules": [mail_schedule()]}),
        ("flows/runs.py:mailbox", "mailbox", {"schedules": [mailbox_schedule()]}),
    ):
        source = nightly.from_source(source=str(PROJECT_ROOT), entrypoint=entrypoint)
        ids.append(str(source.deploy(name=name, work_pool_name=pool, concurrency_limit=LIMIT,
                                     print_next_steps=False, **extra)))
    return ids


def watch_inbox(on_files: Callable[[list[str]], object], poll_seconds: float,
                stop: threading.Event, watcher: InboxWatcher | None = None) -> None:
    """Watch the inbox until `stop`; hand files that stopped changing to `on_files`.

    File-system events wake the watcher at once; a full look every `poll_seconds` also
    catches what events miss (a network share, an event queue overflow). The first look
    hands out everything already there, so files that arrived while nobody watched are
    processed at once (what was loaded before is skipped by its hash).
    """
    settings = get_settings()
    watcher = watcher or InboxWatcher(settings.inbox_dir, settings.settle_seconds)
    changed = threading.Event()
    with inbox_events(settings.inbox_dir, changed):
        while not stop.is_set():
            changed.clear()
            ready = watcher.poll()
            if ready:
                try:
                    on_files([str(f.path.relative_to(watcher.inbox)) for f in ready])
                except Exception:  # the warehouse or the API away: keep watching, try again
                    log.exception("处理新文件的运行未能完成，%g 秒后重试", poll_seconds)
                    watcher.forget(ready)
                    stop.wait(poll_seconds)
                    continue
            settling = watcher.seconds_to_next()
            _wait_for_change(changed, stop, poll_seconds if settling is None
                             else min(poll_seconds, settling))


def watch_mailbox(on_mail: Callable[[], object], stop: threading.Event) -> None:
    """Take the office mailbox's new messages at once and whenever more arrive, until
    `stop`: the server tells us (IDLE) where it can, otherwise we look every
    `imap_poll_seconds`. A mailbox that cannot be reached is tried again after that
    long; the failure is logged, and serving goes on."""
    from intake.imap import MailboxUnavailable, open_mailbox

    settings = get_settings()
    while not stop.is_set():
        try:
            with open_mailbox(settings) as waiting:
                while not stop.is_set():
                    on_mail()
                    waiting.wait(settings.imap_poll_seconds, stop)
        except MailboxUnavailable as error:
            log.warning("邮箱问题：%s；%g 秒后重试", error, settings.imap_poll_seconds)
        except Exception:  # the warehouse or the API away: keep watching, try again
            log.exception("收取邮箱的运行未能完成，%g 秒后重试", settings.imap_poll_seconds)
        stop.wait(settings.imap_poll_seconds)


def _wait_for_change(changed: threading.Event, stop: threading.Event, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
        if changed.wait(min(left, STOP_CHECK_SECONDS)):
            return


@contextmanager
def inbox_events(inbox: Path, changed: threading.Event) -> Iterator[None]:
    """Set `changed` on any file-system event under the inbox (inotify on Linux). Where
    the system refuses a watch (too many watches, an odd file system), the periodic look
    alone finds new files, a little later."""
    from watchdog.events import (
        EVENT_TYPE_CLOSED_NO_WRITE,
        EVENT_TYPE_OPENED,
        FileSystemEvent,
        FileSystemEventHandler,
    )
    from watchdog.observers import Observer

    # Reading a file changes nothing, and every run reads the inbox it was woken for.
    read_only = {EVENT_TYPE_OPENED, EVENT_TYPE_CLOSED_NO_WRITE}

    class Wake(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type not in read_only:
                changed.set()

    observer = Observer()
    try:
        observer.schedule(Wake(), str(inbox), recursive=True)
        observer.start()
    except OSError:
        log.warning("无法监听收件箱的文件事件，改为定时检查", exc_info=True)
        yield
        return
    try:
        yield
    finally:
        observer.stop()
        observer.join(timeout=2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def stop_signals() -> Iterator[threading.Event]:
    """SIGTERM and SIGINT (Ctrl+C) set the event instead of killing the process where it
    stands, so whoever waits on it stops in order; the old handlers come back after."""
    stop = threading.Event()
    previous = {number: signal.signal(number, lambda *_: stop.set())
                for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@dataclass(frozen=True, slots=True)
class PrefectServer:
    url: str
    process: subprocess.Popen[bytes] | None = None  # None: a server someone else runs

    def alive(self) -> bool:
        return self.process is None or self.process.poll() is None


@contextmanager
def local_server(port: int | None = None) -> Iterator[PrefectServer]:
    """A Prefect server with its UI for this machine, unless PREFECT_API_URL is set.

    The server runs in its own session, so a Ctrl+C in the terminal reaches `serve`
    alone; `serve` stops it last, after its own work.
    """
    if os.environ.get("PREFECT_API_URL"):
        yield PrefectServer(os.environ["PREFECT_API_URL"])
        return
    port = port or free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + float(os.environ[
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"])
        while True:
            try:
                urllib.request.urlopen(f"{url}/health", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise ServerFailed(f"Prefect 服务未能启动（端口 {port} 可能已被占用），"
                                       "请换一个端口（--port）或查看 var/log/huizong.log"
                                       ) from None
                if time.monotonic() > deadline:
                    raise ServerFailed("Prefect 服务启动超时，请查看 var/log/huizong.log"
                                       ) from None
                time.sleep(0.5)
        os.environ["PREFECT_API_URL"] = url  # for child processes (the served runs)
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield PrefectServer(url, server)
    finally:
        server.terminate()
        try:
            server.wait(timeout=SERVER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class ServerFailed(UserFixable):
    """The local Prefect server would not start or stopped while serving."""


def serve_everything(poll_seconds: float, stop: threading.Event,
                     server: PrefectServer) -> bool:
    """Serve the deployments and watch the inbox until `stop` is set.

    Files that arrive are run in this process, in the watcher's thread: no new process,
    no imports, warm reader workers, so a corrected file is answered in seconds. The
    scheduled and manual deployments run as the runner's subprocesses.

    The runner lives in a thread and the main thread keeps the signals, so a stop request
    is honoured within RUNNER_STOP_SECONDS whatever the runner is doing: a run in
    progress is killed (the next run takes its lock over), the runner is asked to stop
    and, if it has not by then, left behind as a daemon; the server goes last. Returns
    True if a run in this process was still going: the caller ends the process.
    """
    runner = Runner(pause_on_shutdown=False)
    for item in local_deployments():
        runner.add_deployment(item)

    def deliver_here(result: RunSummary | MailboxResult) -> None:
        """A department waits for this mail: deliver it now, in a thread of this process
        (no runner subprocess to start), while the watchers go on. The mail flow's own
        lock keeps it apart from the scheduled pass."""
        if result.mails:
            threading.Thread(target=contextvars.copy_context().run, args=(mail,),
                             name="deliver-now", daemon=True).start()

    def run_here(files: list[str]) -> None:
        deliver_here(on_arrival(files))

    def take_mail_here() -> None:
        deliver_here(mailbox())

    # Threads start with an empty context: hand them ours, which holds the API URL.
    serving = threading.Thread(target=contextvars.copy_context().run,
                               args=(asyncio.run, runner.start()), name="runner", daemon=True)
    settings = get_settings()
    # The mailbox pass runs on what it saves; the inbox watcher leaves those files alone.
    inbox = InboxWatcher(settings.inbox_dir, settings.settle_seconds)
    watching = threading.Thread(target=contextvars.copy_context().run,
                                args=(watch_inbox, run_here, poll_seconds, stop, inbox),
                                name="inbox-watcher", daemon=True)
    watchers = [watching]
    if intake_configured(settings):
        watchers.append(threading.Thread(target=contextvars.copy_context().run,
                                         args=(watch_mailbox, take_mail_here, stop),
                                         name="mailbox-watcher", daemon=True))
    with announcing_saved(inbox.taken):
        serving.start()
        for watcher in watchers:
            watcher.start()
        try:
            while not stop.wait(1):
                if not serving.is_alive():
                    raise ServerFailed("部署服务意外停止，请查看 var/log/huizong.log")
                if not server.alive():
                    raise ServerFailed("Prefect 服务意外停止，请查看 var/log/huizong.log")
        finally:
            stop.set()
            # A run in progress is killed, not interrupted: an exception raised into it at
            # an arbitrary point can leave a database transaction open in a process that
            # then lingers. Killed, it releases everything, and the next run takes its lock
            # over at once (its process is gone) and marks it crashed.
            _kill_children(keep={server.process.pid} if server.process else set())
            for watcher in watchers:
                watcher.join(timeout=2 * STOP_CHECK_SECONDS)
            if not any(w.is_alive() for w in watchers) and runner.started:
                runner.execute_in_background(runner.astop)
                serving.join(timeout=RUNNER_STOP_SECONDS)
    return any(w.is_alive() for w in watchers)


def _kill_children(keep: set[int]) -> None:
    """SIGKILL this process's children (the served flow runs) and their process groups."""
    me = os.getpid()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        pid, parent, group = int(stat.parent.name), int(fields[1]), int(fields[2])
        if parent != me or pid in keep:
            continue
        with contextlib.suppress(ProcessLookupError):
            if group == pid:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
