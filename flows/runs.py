"""The Prefect flows: the nightly run, a run for files that just arrived, a manual rerun
for one department, and mail delivery. They orchestrate tasks; every decision lives in
pipeline/, alerts/ and warehouse/."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prefect import flow
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from prefect.runtime import deployment, flow_run
from prefect.states import Crashed

from alerts.delivery import DeliveryReport
from config import Settings, get_settings
from flows.logs import NOTICE
from flows.tasks import (
    deliver_mail,
    fetch_mailbox,
    find_new_files,
    load_submissions,
    publish_artifacts,
    record_run,
    refresh,
    render_report,
    reprocess_archive,
    write_alerts,
)
from intake.fetch import IntakeReport, intake_configured
from pipeline.departments import resolve_department
from pipeline.ingest import IngestReport
from pipeline.summary import RunSummary
from schemas.labels import TRIGGER_ZH
from transforms.inbox import InboxFile, select_files
from warehouse.run_lock import CrashedRun, HolderInfo
from warehouse.store import Warehouse

MAIL_DEPLOYMENT = "mail/mail"
log = logging.getLogger(__name__)


def open_warehouse(settings: Settings) -> Warehouse:
    settings.ensure_dirs()
    warehouse = Warehouse(settings.warehouse_url)
    warehouse.init()
    return warehouse


def _say_waiting(holder: HolderInfo) -> None:
    NOTICE.warning("另一个汇总任务正在运行（%s），等待其结束……", holder.describe_zh())


@contextmanager
def _exclusive_run(warehouse: Warehouse, settings: Settings, trigger: str
                   ) -> Iterator[tuple[int, list[CrashedRun]]]:
    """The run lock (heart-beating) and the run record; runs found dead are reported."""
    with (warehouse.exclusive(wait_seconds=settings.lock_wait_seconds,
                              stale_after=settings.lock_stale_seconds,
                              on_wait=_say_waiting) as lock,
          warehouse.recording(trigger, lock, flow_run.id) as run_id):
        log.info("运行 #%d（%s）开始", run_id, TRIGGER_ZH.get(trigger, trigger))
        for crashed in lock.crashed:
            log.warning("%s", crashed.describe_zh())
        crash_in_prefect(lock.crashed)
        yield run_id, lock.crashed


def crash_in_prefect(crashed: list[CrashedRun]) -> None:
    """The dead runs' Prefect flow runs still say Running; say what happened to them."""
    ids = [run.flow_run_id for run in crashed if run.flow_run_id]
    if not ids:
        return
    try:
        with get_client(sync_client=True) as client:
            for flow_run_id in ids:
                client.set_flow_run_state(flow_run_id, Crashed(
                    message="进程被终止或机器停止，已由下一次运行接管"), force=True)
    except Exception:  # Prefect's bookkeeping must not stop the data run
        log.warning("无法在 Prefect 中把中断的运行标记为 Crashed", exc_info=True)


def _finish(warehouse: Warehouse, settings: Settings, run_id: int, trigger: str,
            files_seen: int, report: IngestReport, crashed: list[CrashedRun]) -> RunSummary:
    products = refresh(warehouse, settings, report, bool(crashed))
    draft = render_report(warehouse, settings, products)
    alerts = write_alerts(warehouse, settings)
    summary = record_run(warehouse, run_id, trigger, files_seen, report, products, draft,
                         alerts, crashed)
    publish_artifacts(warehouse, summary)
    log.info("运行 #%d 完成：%s", run_id, " ".join(summary.lines_zh()))
    return summary


def _nudge_delivery(summary: RunSummary | MailboxResult) -> None:
    """A deployment's run that wrote mail starts the `mail` deployment at once instead of
    leaving it to the next scheduled pass. The CLI delivers after the run itself, and
    `serve` after the runs it makes in its own process."""
    if deployment.id is None or not summary.mails:
        return
    try:
        run_deployment(MAIL_DEPLOYMENT, timeout=0)
    except Exception:  # the scheduled pass will deliver it
        log.warning("无法立即启动邮件投递，将由定时投递发送", exc_info=True)


def _load_inbox_files(warehouse: Warehouse, settings: Settings, files: list[InboxFile],
                      trigger: str, department: str | None = None,
                      years: tuple[int, ...] | None = None) -> RunSummary:
    with _exclusive_run(warehouse, settings, trigger) as (run_id, crashed):
        arrivals, seen = find_new_files(warehouse, files, settings, run_id)
        report = load_submissions(warehouse, arrivals, run_id, settings, department, years)
        summary = _finish(warehouse, settings, run_id, trigger, seen, report, crashed)
    _nudge_delivery(summary)
    return summary


@dataclass(slots=True)
class MailboxResult:
    """A mailbox pass and the run on the files it saved, if it saved any."""

    intake: IntakeReport
    run: RunSummary | None = None

    @property
    def mails(self) -> dict[str, int]:
        replies = {"mail_reply": self.intake.replies} if self.intake.replies else {}
        return {**(self.run.mails if self.run else {}), **replies}

    @property
    def nothing_processed(self) -> bool:
        return self.run is not None and self.run.nothing_processed

    def lines_zh(self) -> list[str]:
        return self.run.lines_zh() if self.run else self.intake.lines_zh()


@flow(name="nightly",
      description="夜间汇总：收取邮箱，读取收件箱中新的或更正的文件，校验、入库并更新汇总表")
def nightly(trigger: str = "schedule") -> RunSummary:
    settings = get_settings()
    warehouse = open_warehouse(settings)
    intake = fetch_mailbox(warehouse, settings) if intake_configured(settings) else None
    summary = _load_inbox_files(warehouse, settings, select_files(settings.inbox_dir), trigger)
    if intake is not None:
        summary.intake = intake.lines_zh()
    return summary


@flow(name="mailbox", description="收取邮箱：把各单位邮件附带的填报表存入收件箱并立即处理，"
      "无法处理的邮件列入日报并回复发件单位")
def mailbox() -> MailboxResult:
    settings = get_settings()
    warehouse = open_warehouse(settings)
    result = MailboxResult(fetch_mailbox(warehouse, settings))
    if result.intake.saved:
        result.run = _load_inbox_files(warehouse, settings,
                                       select_files(settings.inbox_dir, result.intake.saved),
                                       "mail")
        result.run.intake = result.intake.lines_zh()
    elif result.intake.replies:
        _nudge_delivery(result)
    return result


@flow(name="inbox", description="收到新文件：只处理刚放入收件箱的文件")
def on_arrival(files: list[str]) -> RunSummary:
    settings = get_settings()
    return _load_inbox_files(open_warehouse(settings), settings,
                             select_files(settings.inbox_dir, files), "inbox")


@flow(name="upload", description="网页上传：处理在审核台上传的文件")
def on_upload(files: list[str]) -> RunSummary:
    settings = get_settings()
    return _load_inbox_files(open_warehouse(settings), settings,
                             select_files(settings.inbox_dir, files), "upload")


@flow(name="rerun",
      description="手动重跑：某单位改正后立即处理；--reprocess 重新读取其全部历史版本")
def rerun(department: str, years: list[int] | None = None, file: str | None = None,
          reprocess: bool = False) -> RunSummary:
    settings = get_settings()
    warehouse = open_warehouse(settings)
    code = resolve_department(department, warehouse.registry)
    if reprocess:
        with _exclusive_run(warehouse, settings, "manual") as (run_id, crashed):
            report = reprocess_archive(warehouse, code, run_id, settings)
            summary = _finish(warehouse, settings, run_id, "manual", report.files_new,
                              report, crashed)
        _nudge_delivery(summary)
        return summary
    files = select_files(settings.inbox_dir, [file] if file else None)
    return _load_inbox_files(warehouse, settings, files, "manual", code,
                             tuple(years) if years else None)


@flow(name="mail", description="投递邮件：发送发件箱中待发送的邮件，失败的按间隔自动重试")
def mail() -> DeliveryReport:
    settings = get_settings()
    return deliver_mail(open_warehouse(settings), settings)
