"""A real `huizong serve` and `huizong watch`: they catch up with what arrived while they
were down, and stop within 10 s on SIGTERM or SIGINT, the Prefect server last."""

import os
import selectors
import shutil
import signal
import socket
import subprocess
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from config import PROJECT_ROOT
from tests.alerts.conftest import free_port
from tests.flows.conftest import HUIZONG
from warehouse.models import Run, Submission
from warehouse.store import Warehouse

STOP_WITHIN = 10
MANY = 400


def _start(root, *args: str, external_api: bool, inbox=PROJECT_ROOT / "inbox"
           ) -> subprocess.Popen:
    shutil.copytree(inbox, root / "inbox", dirs_exist_ok=True)
    env = {**os.environ, "HUIZONG_ROOT": str(root), "PREFECT_HOME": str(root / "prefect")}
    env.pop("PREFECT_API_URL", None)
    if external_api:
        from prefect.settings import PREFECT_API_URL

        env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    return subprocess.Popen([HUIZONG, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


_OUTPUT: dict[int, bytes] = {}  # everything each process has printed so far, by pid


def _wait_for_line(process: subprocess.Popen, needle: str, seconds: float) -> str:
    """All the process has printed, once `needle` is in it. Read straight from the pipe:
    lines left in a reader's buffer would never wake the selector."""
    deadline = time.monotonic() + seconds
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    while needle not in (seen := _OUTPUT.get(process.pid, b"").decode(errors="replace")):
        assert time.monotonic() < deadline and process.poll() is None, seen[-3000:]
        if selector.select(timeout=1):
            _OUTPUT[process.pid] = _OUTPUT.get(process.pid, b"") + os.read(
                process.stdout.fileno(), 65536)
    return seen


def _submissions(root) -> int:
    with Warehouse(f"sqlite:///{root / 'var' / 'huizong.db'}").begin() as session:
        return session.scalar(select(func.count()).select_from(Submission))


def _caught_up(root, seconds: float) -> None:
    """The example inbox was there before the process started: it is processed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _count(root) == 9:
            return
        time.sleep(1)
    pytest.fail("the files that were waiting in the inbox were not processed")


def _stops_in_time(process: subprocess.Popen, number: signal.Signals) -> float:
    process.send_signal(number)
    started = time.monotonic()
    process.wait(timeout=STOP_WITHIN + 20)
    took = time.monotonic() - started
    assert took < STOP_WITHIN, f"stopped after {took:.1f} s"
    assert process.returncode == 0, process.stdout.read()[-3000:]
    return took


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize(("number", "external_api", "console"), [
    (signal.SIGTERM, False, "free"), (signal.SIGINT, False, "taken"),
    (signal.SIGTERM, True, "off")],
    ids=["sigterm-own-server", "sigint-own-server", "sigterm-external-server"])
def test_serve_catches_up_and_stops_cleanly(tmp_path, prefect_server, number, external_api,
                                            console):
    """Also: serve says where its console listens; a console port already taken costs the
    console only, with one line saying so."""
    port, console_port = free_port(), free_port()
    blocker = socket.socket()
    if console == "taken":
        blocker.bind(("127.0.0.1", console_port))
        blocker.listen()
    process = _start(tmp_path, "serve", "--port", str(port), "--interval", "1",
                     "--console-port", "0" if console == "off" else str(console_port),
                     external_api=external_api)
    try:
        said = _wait_for_line(process, "Prefect 界面", 240)
        if console == "free":
            said = _wait_for_line(process, "还没有账号", 60)  # the line after its address
            assert f"审核台：http://127.0.0.1:{console_port}" in said
            assert "还没有账号：先运行 huizong user add" in said
            assert _listening(console_port)
        elif console == "taken":
            said = _wait_for_line(process, "审核台未能启动", 60)
            assert f"端口 {console_port} 可能已被占用" in said
        assert external_api or _listening(port)
        _caught_up(tmp_path, 180)
        took = _stops_in_time(process, number)
        print(f"serve stopped {took:.1f} s after {number.name}")
        assert not _listening(port)  # the server child went with it
        if console == "free":
            assert not _listening(console_port)
    finally:
        blocker.close()
        if process.poll() is None:
            process.kill()


def test_watch_catches_up_and_stops_cleanly(tmp_path, prefect_server):
    process = _start(tmp_path, "watch", "--interval", "1", external_api=True)
    try:
        _wait_for_line(process, "正在监视", 120)
        _caught_up(tmp_path, 180)
        _stops_in_time(process, signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()


@pytest.fixture(scope="module")
def many_files(tmp_path_factory):
    from benchmarks.nightly import write_inbox

    inbox = tmp_path_factory.mktemp("generated") / "inbox"
    inbox.mkdir()
    write_inbox(inbox, MANY)
    return inbox


@pytest.mark.parametrize(("command", "ready"), [("serve", "Prefect 界面"), ("watch", "正在监视")])
def test_stopped_in_the_middle_of_a_run_then_started_again_it_finishes_the_job(
        tmp_path, prefect_server, many_files, command, ready):
    def start() -> subprocess.Popen:
        return _start(tmp_path, command, "--interval", "1", external_api=True,
                      inbox=many_files)

    process = start()
    try:
        _wait_for_line(process, ready, 120)
        deadline = time.monotonic() + 180
        while "running" not in _outcomes(tmp_path):
            assert time.monotonic() < deadline, "the waiting files were not picked up"
            time.sleep(0.1)
        _stops_in_time(process, signal.SIGTERM)
        interrupted = _count(tmp_path)
        assert interrupted < MANY, interrupted
        process = start()
        _wait_for_line(process, ready, 120)
        deadline = time.monotonic() + 240
        while _count(tmp_path) < MANY:
            assert time.monotonic() < deadline, _count(tmp_path)
            time.sleep(1)
        _stops_in_time(process, signal.SIGTERM)
        assert _count(tmp_path) == MANY  # each file once
        assert _outcomes(tmp_path)[0] == "crashed"  # found dead and taken over
    finally:
        if process.poll() is None:
            process.kill()


def _outcomes(root) -> list[str]:
    if not (root / "var" / "huizong.db").exists():
        return []
    try:
        with Warehouse(f"sqlite:///{root / 'var' / 'huizong.db'}").begin() as session:
            return list(session.scalars(select(Run.outcome).order_by(Run.id)))
    except OperationalError as error:  # the tables are being created
        assert "no such table" in str(error), error
        return []


def _count(root) -> int:
    if not (root / "var" / "huizong.db").exists():
        return 0
    try:
        return _submissions(root)
    except OperationalError as error:  # the tables are being created
        assert "no such table" in str(error), error
        return 0
