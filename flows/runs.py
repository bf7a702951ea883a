"""The Prefect flows: the nightly run, a run for files that just arrived, and a manual
rerun for one department. They orchestrate tasks; every decision lives in pipeline/."""

from __future__ import annotations

from prefect import flow

from config import Settings, get_settings
from flows.tasks import (
    find_new_files,
    load_submissions,
    publish_artifacts,
    record_run,
    refresh,
    render_report,
    reprocess_archive,
    send_alerts,
)
from pipeline.departments import resolve_department
from pipeline.ingest import IngestReport
from pipeline.summary import RunSummary
from transforms.inbox import InboxFile, select_files
from warehouse.store import Warehouse


def open_warehouse(settings: Settings) -> Warehouse:
    settings.ensure_dirs()
    warehouse = Warehouse(settings.warehouse_url)
    warehouse.init()
    return warehouse


def _finish(warehouse: Warehouse, settings: Settings, run_id: int, trigger: str,
            files_seen: int, report: IngestReport) -> RunSummary:
    products = refresh(warehouse, settings, report)
    draft = render_report(warehouse, settings, products)
    alerts = send_alerts(warehouse, settings)
    summary = record_run(warehouse, run_id, trigger, files_seen, report, products, draft,
                         alerts)
    publish_artifacts(warehouse, summary)
    return summary


def _load_inbox_files(warehouse: Warehouse, settings: Settings, files: list[InboxFile],
                      trigger: str, department: str | None = None,
                      years: tuple[int, ...] | None = None) -> RunSummary:
    with (warehouse.exclusive(wait_seconds=settings.lock_wait_seconds),
          warehouse.recording(trigger) as run_id):
        arrivals, seen = find_new_files(warehouse, files, settings, run_id)
        report = load_submissions(warehouse, arrivals, run_id, settings, department, years)
        return _finish(warehouse, settings, run_id, trigger, seen, report)


@flow(name="nightly", description="夜间汇总：读取收件箱中新的或更正的文件，校验、入库并更新汇总表")
def nightly(trigger: str = "schedule") -> RunSummary:
    settings = get_settings()
    return _load_inbox_files(open_warehouse(settings), settings,
                             select_files(settings.inbox_dir), trigger)


@flow(name="inbox", description="收到新文件：只处理刚放入收件箱的文件")
def on_arrival(files: list[str]) -> RunSummary:
    settings = get_settings()
    return _load_inbox_files(open_warehouse(settings), settings,
                             select_files(settings.inbox_dir, files), "inbox")


@flow(name="rerun",
      description="手动重跑：某单位改正后立即处理；--reprocess 重新读取其全部历史版本")
def rerun(department: str, years: list[int] | None = None, file: str | None = None,
          reprocess: bool = False) -> RunSummary:
    settings = get_settings()
    warehouse = open_warehouse(settings)
    code = resolve_department(department, warehouse.registry)
    if reprocess:
        with (warehouse.exclusive(wait_seconds=settings.lock_wait_seconds),
              warehouse.recording("manual") as run_id):
            report = reprocess_archive(warehouse, code, run_id, settings)
            return _finish(warehouse, settings, run_id, "manual", report.files_new, report)
    files = select_files(settings.inbox_dir, [file] if file else None)
    return _load_inbox_files(warehouse, settings, files, "manual", code,
                             tuple(years) if years else None)
