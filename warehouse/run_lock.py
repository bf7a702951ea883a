"""The run lock: one run writes at a time, and a run that dies is noticed within a minute.

The holder refreshes `heartbeat_at` from a background thread. A lock whose heartbeat is
older than `stale_after` seconds belongs to a run that was killed or whose machine went
away, and a lock whose holder on this very machine no longer exists needs no waiting at
all; either is taken over, and every run still marked `running` is marked `crashed`: runs
only start under the lock, so once we hold it none of them can be alive.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from config.clock import age_text, local_text
from schemas.labels import TRIGGER_ZH
from warehouse.engine import transaction
from warehouse.models import Lock, Run, as_utc, utcnow

PIPELINE_LOCK = "pipeline"
log = logging.getLogger(__name__)


class WarehouseBusy(Exception):
    """另一个汇总任务正在运行，请稍后再试（或等待其完成）。"""


@dataclass(frozen=True, slots=True)
class HolderInfo:
    """Who holds the lock, for the waiting run and for `huizong status`."""

    holder: str
    run_id: int | None
    trigger: str | None
    acquired_at: dt.datetime
    heartbeat_at: dt.datetime

    def describe_zh(self) -> str:
        now = utcnow()
        machine, pid = _holder_parts(self.holder)
        host = machine.partition("/")[0]
        what = f"运行 #{self.run_id}" if self.run_id else "一个汇总任务"
        if self.trigger:
            what += f"（{TRIGGER_ZH.get(self.trigger, self.trigger)}）"
        return (f"{what}，{local_text(self.acquired_at, '%m-%d %H:%M:%S')} 开始，"
                f"已运行 {age_text((now - as_utc(self.acquired_at)).total_seconds())}，"
                f"最近心跳 {age_text((now - as_utc(self.heartbeat_at)).total_seconds())}前，"
                f"主机 {host} 进程 {pid}")


@dataclass(frozen=True, slots=True)
class CrashedRun:
    id: int
    trigger: str
    started_at: dt.datetime
    flow_run_id: str | None

    def describe_zh(self) -> str:
        return crash_text(self.id, self.trigger, self.started_at)


def crash_text(run_id: int, trigger: str, started_at: dt.datetime) -> str:
    return (f"运行 #{run_id}（{TRIGGER_ZH.get(trigger, trigger)}，"
            f"{local_text(started_at, '%m-%d %H:%M')} 开始）异常中断（进程被终止或机器停止），"
            "已标记为“中断”，由随后的运行接管并补做")


def _holder_parts(holder: str) -> tuple[str, str]:
    """`machine:pid:token` → (machine, pid)."""
    machine, _, rest = holder.partition(":")
    return machine, rest.partition(":")[0]


def _machine() -> str:
    """This machine and PID namespace: a process id means the same process only here."""
    try:
        namespace = os.readlink("/proc/self/ns/pid").removeprefix("pid:")
    except OSError:
        namespace = "?"
    return f"{socket.gethostname()}/{namespace}"


_HERE = _machine()


def _died_on_this_machine(holder: str) -> bool:
    """A holder on this machine whose process is gone (killed) need not be waited for.
    Only a definite "no such process" counts; anything else waits for the heartbeat."""
    machine, pid = _holder_parts(holder)
    if machine != _HERE or "?" in machine or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return _zombie(int(pid))


def _zombie(pid: int) -> bool:
    """Killed but not yet reaped by its parent: dead all the same."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def within(seconds: float, write: Callable[[], object]) -> bool:
    """Run `write` in a helper thread and wait at most `seconds` for it; True if done.
    For the last words of an interrupted run, whose own open transaction may block it."""
    done = threading.Event()

    def attempt() -> None:
        try:
            write()
        except Exception:
            log.warning("中断时未能写入运行记录", exc_info=True)
            return
        done.set()

    threading.Thread(target=attempt, name="last-words", daemon=True).start()
    return done.wait(seconds)


def holder_info(engine: Engine, name: str = PIPELINE_LOCK) -> HolderInfo | None:
    with transaction(engine) as session:
        row = session.execute(
            select(Lock, Run.trigger).outerjoin(Run, Run.id == Lock.run_id)
            .where(Lock.name == name)).first()
    if row is None:
        return None
    lock, trigger = row
    return HolderInfo(lock.holder, lock.run_id, trigger, lock.acquired_at, lock.heartbeat_at)


class RunLock:
    def __init__(self, engine: Engine, *, stale_after: float, name: str = PIPELINE_LOCK
                 ) -> None:
        self.engine = engine
        self.name = name
        self.stale_after = stale_after
        self.holder = f"{_HERE}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self.crashed: list[CrashedRun] = []
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._beating: threading.Thread | None = None

    def acquire(self, wait_seconds: float,
                on_wait: Callable[[HolderInfo], None] | None = None) -> None:
        """Take the lock, waiting up to `wait_seconds`; `on_wait` hears once whom for."""
        deadline = time.monotonic() + wait_seconds
        told = False
        while not self._try_take():
            if time.monotonic() >= deadline:
                info = holder_info(self.engine, self.name)
                detail = f"（{info.describe_zh()}）" if info else ""
                raise WarehouseBusy(f"另一个汇总任务正在运行{detail}，请稍后再试。")
            if not told and on_wait is not None:
                info = holder_info(self.engine, self.name)
                if info is not None:
                    on_wait(info)
                    told = True
            time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
        self._beating = threading.Thread(target=self._beat, name=f"heartbeat-{self.name}",
                                         daemon=True)
        self._beating.start()

    def attach(self, run_id: int) -> None:
        """Name the run that holds the lock, for whoever waits or looks."""
        with transaction(self.engine) as session:
            session.execute(update(Lock).where(Lock.name == self.name,
                                               Lock.holder == self.holder)
                            .values(run_id=run_id))

    def release(self) -> None:
        self._stop.set()
        if self._beating is not None:
            self._beating.join(timeout=30)
        with transaction(self.engine) as session:
            session.execute(delete(Lock).where(Lock.name == self.name,
                                               Lock.holder == self.holder))

    def _try_take(self) -> bool:
        try:
            with transaction(self.engine) as session:
                current = session.get(Lock, self.name)
                if current is not None:
                    silent = utcnow() - as_utc(current.heartbeat_at)
                    gone = _died_on_this_machine(current.holder)
                    if silent < dt.timedelta(seconds=self.stale_after) and not gone:
                        return False
                    log.warning("运行锁的持有者 %s 已不在（%s），判定该运行已中断，接管",
                                current.holder, "进程已不存在" if gone else
                                f"{age_text(silent.total_seconds())}没有心跳")
                    session.delete(current)
                    session.flush()
                session.add(Lock(name=self.name, holder=self.holder))
                session.flush()
                self.crashed = self._mark_crashed(session)
            return True
        except IntegrityError:
            return False  # another run inserted the lock between our read and write

    @staticmethod
    def _mark_crashed(session: Session) -> list[CrashedRun]:
        runs = session.scalars(select(Run).where(Run.outcome == "running")).all()
        for run in runs:
            run.outcome, run.finished_at = "crashed", utcnow()
            run.message = (run.message + "\n" if run.message else "") + \
                "运行异常中断（进程被终止或机器停止），由下一次运行接管。"
        return [CrashedRun(r.id, r.trigger, r.started_at, r.flow_run_id) for r in runs]

    def _beat(self) -> None:
        interval = self.stale_after / 4
        while not self._stop.wait(interval):
            try:
                with transaction(self.engine) as session:
                    refreshed = session.execute(
                        update(Lock).where(Lock.name == self.name, Lock.holder == self.holder)
                        .values(heartbeat_at=utcnow())).rowcount
            except SQLAlchemyError:
                log.warning("运行锁心跳写入失败，稍后重试", exc_info=True)
                continue
            if not refreshed:
                # We were silent for longer than stale_after (machine suspended, database
                # away) and another run took over: stop claiming the lock.
                log.error("运行锁已被其他运行接管（本运行曾长时间无响应）")
                self.lost.set()
                return
