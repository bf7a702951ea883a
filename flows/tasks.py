"""Prefect tasks: each wraps one pipeline step, none holds business logic.

Grouping: one task per step for the whole run, not per file. Prefect pays roughly
10–30 ms of bookkeeping per task run (state changes sent to the API); per-file tasks
would cost 10–30 s for 1,000 files against about 3 ms to read a file, so the batch
is the unit and the pipeline reads files in bounded batches inside the task.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from alerts.delivery import DeliveryReport, deliver_queued
from alerts.stage import AlertReport, run_alerts
from config import Settings
from intake.fetch import IntakeReport, fetch_mail
from pipeline.ingest import Arrival, IngestReport, ingest, new_arrivals, reprocess_department
from pipeline.outputs import Products, refresh_outputs
from pipeline.summary import RunSummary, close_run, issue_tables
from report.build import ReportResult, refresh_report
from transforms.inbox import InboxFile
from warehouse.run_lock import CrashedRun
from warehouse.store import Warehouse
from warehouse.table import open_issues

TASK = {"cache_policy": NO_CACHE, "persist_result": False}
Step = TypeVar("Step", bound=Callable[..., Any])


def opaque(prefect_task: Step) -> Step:
    """Call the task with its arguments quoted. Prefect otherwise walks every object
    inside every argument looking for futures to wait on: 5 s of a 1,000-file run spent
    visiting observations. Our steps pass plain values, never futures."""
    @functools.wraps(prefect_task)
    def call(*args: Any, **kwargs: Any) -> Any:
        return prefect_task(*(quote(a) for a in args),
                            **{name: quote(value) for name, value in kwargs.items()})
    return call  # type: ignore[return-value]


@opaque
@task(name="find_new_files", **TASK)
def find_new_files(warehouse: Warehouse, files: list[InboxFile], settings: Settings,
                   run_id: int) -> tuple[list[Arrival], int]:
    return new_arrivals(warehouse, files, settings, run_id)


@opaque
@task(name="load_submissions", **TASK)
def load_submissions(warehouse: Warehouse, arrivals: list[Arrival], run_id: int,
                     settings: Settings, department: str | None = None,
                     years: tuple[int, ...] | None = None) -> IngestReport:
    return ingest(warehouse, arrivals, run_id, settings, department=department, years=years)


@opaque
@task(name="reprocess_archive", **TASK)
def reprocess_archive(warehouse: Warehouse, department: str, run_id: int,
                      settings: Settings) -> IngestReport:
    return reprocess_department(warehouse, department, run_id, settings)


@opaque
@task(name="refresh_outputs", retries=2, retry_delay_seconds=[2, 10], **TASK)
def refresh(warehouse: Warehouse, settings: Settings, report: IngestReport,
            after_crash: bool) -> Products | None:
    # A run that died may have died half-way through writing them.
    return refresh_outputs(warehouse, settings.outputs_dir, report.changed or after_crash)


@opaque
@task(name="render_report", retries=1, retry_delay_seconds=[5], **TASK)
def render_report(warehouse: Warehouse, settings: Settings,
                  products: Products | None) -> ReportResult | None:
    return refresh_report(warehouse, settings.outputs_dir, products is not None)


@opaque
@task(name="write_alerts", **TASK)
def write_alerts(warehouse: Warehouse, settings: Settings) -> AlertReport:
    return run_alerts(warehouse, settings)


@opaque
@task(name="fetch_mailbox", **TASK)
def fetch_mailbox(warehouse: Warehouse, settings: Settings) -> IntakeReport:
    return fetch_mail(warehouse, settings)


@opaque
@task(name="deliver_mail", **TASK)
def deliver_mail(warehouse: Warehouse, settings: Settings) -> DeliveryReport:
    return deliver_queued(warehouse, settings)


@opaque
@task(name="record_run", **TASK)
def record_run(warehouse: Warehouse, run_id: int, trigger: str, files_seen: int,
               report: IngestReport, products: Products | None,
               draft: ReportResult | None, alerts: AlertReport,
               crashed: list[CrashedRun]) -> RunSummary:
    return close_run(warehouse, run_id, trigger, files_seen, report, products, draft,
                     alerts, crashed)


@opaque
@task(name="publish_artifacts", **TASK)
def publish_artifacts(warehouse: Warehouse, summary: RunSummary) -> None:
    """A markdown summary and one table per department; stable keys keep the history."""
    create_markdown_artifact(summary.markdown_zh(), key="huizong-run-summary",
                             description="汇总运行情况")
    with warehouse.begin() as session:
        issues = open_issues(session)
    for key, (description, rows) in issue_tables(summary, issues, warehouse.registry).items():
        create_table_artifact(rows, key=key, description=description)
