"""Runs for uploaded files, one at a time, off the request threads: the page that showed
the upload asks for its verdict until the run is done."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from pipeline.summary import RunSummary
from pipeline.upload import Received, finish, waiting
from warehouse.store import Warehouse

log = logging.getLogger("huizong.console")
RunFiles = Callable[[list[str]], RunSummary]


class UploadWorker:
    """`run_files` is the upload flow (flows.runs.on_upload); `after` delivers the mail the
    run wrote, when a mail server is configured; `warm` loads, before the first upload,
    what its run needs, so that the first clerk does not wait for it."""

    def __init__(self, warehouse: Warehouse, run_files: RunFiles,
                 after: Callable[[RunSummary], None] | None = None,
                 warm: Callable[[], None] | None = None) -> None:
        self.warehouse, self.run_files, self.after, self.warm = warehouse, run_files, after, warm
        self.jobs: queue.Queue[Received | None] = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="upload-runs", daemon=True)

    def start(self) -> None:
        for left in waiting(self.warehouse):  # saved before a stop, never run
            self.jobs.put(left)
        self.thread.start()

    def submit(self, received: Received) -> None:
        self.jobs.put(received)

    def stop(self) -> None:
        self.jobs.put(None)
        self.thread.join(timeout=30)

    def _loop(self) -> None:
        if self.warm is not None:
            try:
                self.warm()
            except Exception:  # only the first upload is slower
                log.exception("审核台预加载失败")
        while (job := self.jobs.get()) is not None:
            self._run(job)
            self.jobs.task_done()

    def _run(self, job: Received) -> None:
        try:
            summary = self.run_files([job.saved_path])
        except Exception:
            log.exception("处理网页上传 #%d（%s）时程序内部出错", job.upload_id, job.saved_path)
            finish(self.warehouse, job.upload_id, None, failed=True)
            return
        finish(self.warehouse, job.upload_id, summary.run_id, failed=False)
        if self.after is not None and summary.mails:
            try:
                self.after(summary)
            except Exception:  # the scheduled delivery sends it
                log.exception("网页上传 #%d 的邮件未能立即投递", job.upload_id)
