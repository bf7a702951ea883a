"""Read untrusted files in child processes that may die without taking the run along.

A parser is native code: a damaged file can make it panic, abort, allocate until the
machine runs out of memory, or never return, and no `except` in this process can catch
that. Each worker process therefore runs with an address-space limit and each file with
a time limit; a worker that dies or overruns costs its one file, is replaced, and the
other files go on. The workers also read files in parallel, and each is handed its next
few files before it finishes the one it reads, so that it never waits on this process
between two files; it still reads them one at a time, and when it dies the files it had
not begun go to another worker.

A Python exception inside the reader is not the file's fault but ours: it comes back as
a `ReadFailure` with its traceback, so the caller can record an internal error instead
of blaming the department.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import resource
import signal
import sys
import time
import traceback
import types
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from config import Settings
from schemas.catalogue import Catalogue
from schemas.departments import Registry
from schemas.observation import FileIssue, ReadResult
from transforms.reader import read_file, refused_result

# The forkserver imports the reader once; each worker is a cheap fork of it that never
# inherits the caller's threads (Prefect runs several).
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["transforms.reader"])
# Files handed to a worker at a time: enough that the next one is always there when it
# finishes one, few enough that the last files of a run are shared out evenly.
IN_FLIGHT = 3


@dataclass(frozen=True, slots=True)
class ReadJob:
    path: Path
    file_name: str
    folder: str | None
    sha256: str


@dataclass(frozen=True, slots=True)
class ReadFailure:
    """The reader raised: a defect of ours, not of the file. `detail` is the traceback."""

    detail: str


@dataclass(frozen=True, slots=True)
class _Context:
    catalogue: Catalogue
    registry: Registry
    settings: Settings
    years: tuple[int, ...]


def _limit_memory(megabytes: int) -> None:
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _serve(connection: Connection, context: _Context) -> None:
    """Worker loop: read one job at a time until told to stop (None) or the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    _limit_memory(context.settings.reader_memory_mb)
    while True:
        try:
            job: ReadJob | None = connection.recv()
        except EOFError:
            return
        if job is None:
            return
        try:
            outcome: ReadResult | ReadFailure | str = read_file(
                job.path, file_name=job.file_name, folder=job.folder,
                catalogue=context.catalogue, registry=context.registry,
                settings=context.settings, years=context.years)
        except MemoryError:
            outcome = "memory"
        except BaseException:  # any defect of ours becomes a record, the worker lives on
            outcome = ReadFailure(traceback.format_exc())
        connection.send(outcome)
        if outcome == "memory":
            return  # a worker that ran out of memory is not trusted with the next file


@contextlib.contextmanager
def _without_main_module() -> Iterator[None]:
    """A new worker would otherwise re-import the caller's `__main__` (a script, pytest,
    `prefect.engine`): slow, and a script without a main guard would run again. The
    worker needs nothing from it."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


@dataclass(slots=True)
class _Worker:
    process: BaseProcess
    connection: Connection
    # (position, job) handed to it and not answered yet; it reads the first.
    jobs: deque[tuple[int, ReadJob]] = field(default_factory=deque)
    deadline: float = 0.0  # for the first of `jobs`


@dataclass(slots=True)
class ReaderPool:
    """`size` worker processes reading files under the settings' limits."""

    catalogue: Catalogue
    registry: Registry
    settings: Settings
    years: tuple[int, ...]
    size: int = 0
    _workers: list[_Worker] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.size = self.size or self.settings.reader_workers

    def __enter__(self) -> ReaderPool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        for worker in self._workers:
            with contextlib.suppress(OSError, ValueError):
                worker.connection.send(None)
        for worker in self._workers:
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.connection.close()
        self._workers.clear()

    def _start_worker(self) -> _Worker:
        parent, child = _CONTEXT.Pipe()
        context = _Context(self.catalogue, self.registry, self.settings, self.years)
        process = _CONTEXT.Process(target=_serve, args=(child, context), daemon=True,
                                   name="huizong-reader")
        with _without_main_module():
            process.start()
        child.close()
        worker = _Worker(process, parent)
        self._workers.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join()
        worker.connection.close()
        self._workers.remove(worker)

    def read(self, jobs: Sequence[ReadJob]) -> Iterator[tuple[int, ReadResult | ReadFailure]]:
        """(position in `jobs`, outcome) for every job, in the order they finish."""
        pending = deque(enumerate(jobs))
        while pending or any(w.jobs for w in self._workers):
            while pending and (worker := self._least_busy()) is not None:
                if not worker.jobs:
                    worker.deadline = time.monotonic() + self.settings.reader_timeout_seconds
                worker.jobs.append(pending.popleft())
                try:
                    worker.connection.send(worker.jobs[-1][1])
                except OSError:  # it died since its last answer: the file goes to another
                    pending.appendleft(worker.jobs.pop())
                    if worker.jobs:
                        break  # what it was reading is refused below, when it is collected
                    self._retire(worker)
            busy = [w for w in self._workers if w.jobs]
            ready = wait([w.connection for w in busy] + [w.process.sentinel for w in busy],
                         timeout=max(0.0, min(w.deadline for w in busy) - time.monotonic()))
            for worker in busy:
                yield from self._collect(worker, ready, pending)

    def _least_busy(self) -> _Worker | None:
        """The worker to hand the next file to: an idle one, a new one while there are
        fewer than `size`, or the one with the fewest files in hand."""
        open_workers = [w for w in self._workers if len(w.jobs) < IN_FLIGHT]
        least = min(open_workers, key=lambda w: len(w.jobs), default=None)
        if (least is None or least.jobs) and len(self._workers) < self.size:
            least = self._start_worker()
        return least

    def _collect(self, worker: _Worker, ready: list[object],
                 pending: deque[tuple[int, ReadJob]]
                 ) -> list[tuple[int, ReadResult | ReadFailure]]:
        """The worker's answers so far; if it died or its file ran out of time, the
        refusal of that file, and the files it had not begun back to `pending`."""
        answered: list[tuple[int, ReadResult | ReadFailure]] = []
        answer: object = None
        if worker.connection in ready:
            while worker.jobs:
                answer = None
                with contextlib.suppress(EOFError, OSError):  # died while answering
                    if not worker.connection.poll():
                        return answered
                    answer = worker.connection.recv()
                if not isinstance(answer, ReadResult | ReadFailure):
                    break
                answered.append((worker.jobs.popleft()[0], answer))
                worker.deadline = time.monotonic() + self.settings.reader_timeout_seconds
            else:
                return answered
        elif worker.process.sentinel not in ready and time.monotonic() < worker.deadline:
            return answered
        # A worker that closed its end has ended, whatever `wait` said about its sentinel.
        issue = self._reason(worker, out_of_memory=answer == "memory",
                             timed_out=worker.process.sentinel not in ready
                             and worker.connection not in ready)
        position, job = worker.jobs.popleft()
        pending.extendleft(reversed(worker.jobs))
        worker.jobs.clear()
        self._retire(worker)
        answered.append((position, refused_result(job.file_name, job.sha256, job.folder,
                                                  self.registry, issue)))
        return answered

    def _reason(self, worker: _Worker, *, out_of_memory: bool, timed_out: bool) -> FileIssue:
        if not timed_out:
            worker.process.join(timeout=0.5)  # let an exiting worker report how it ended
        exitcode = worker.process.exitcode
        if out_of_memory or exitcode in (-signal.SIGKILL, -signal.SIGABRT):
            return FileIssue(
                "error", "file_unreadable",
                f"读取这个文件需要的内存超过上限（{self.settings.reader_memory_mb} MB），"
                "文件很可能已损坏或结构异常；请在 Excel/WPS 中打开后“另存为” .xlsx 再提交。")
        if timed_out:
            return FileIssue(
                "error", "file_unreadable",
                f"读取这个文件超过 {self.settings.reader_timeout_seconds:g} 秒仍未完成，已放弃；"
                "文件可能已损坏或过于庞大，请只保留填报表并“另存为” .xlsx 后提交。")
        return FileIssue(
            "error", "file_unreadable",
            "读取这个文件时读取程序异常退出，文件很可能已损坏；请在 Excel/WPS 中打开后"
            "“另存为” .xlsx 再提交。")
