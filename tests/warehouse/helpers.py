"""Dropping files into an inbox and running the ingestion, as a nightly run would."""

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

from config import PROJECT_ROOT, Settings
from pipeline.ingest import IngestReport, ingest, new_arrivals, reprocess_department
from transforms.inbox import scan_inbox
from warehouse.engine import get_engine
from warehouse.models import AcceptedValue, File, Issue, Observation, Submission
from warehouse.store import Warehouse

_clock = [time.time() - 10_000]


def drop(settings, source: Path, name: str | None = None, folder: str | None = None) -> Path:
    """Copy a file into the inbox with a strictly later modification time."""
    target_dir = settings.inbox_dir / folder if folder else settings.inbox_dir
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / (name or source.name)
    shutil.copyfile(source, target)
    _clock[0] += 60
    os.utime(target, (_clock[0], _clock[0]))
    return target


def run(warehouse, settings, *, reprocess: str | None = None) -> IngestReport:
    """A run over the inbox, or with `reprocess` a re-read of a department's archive."""
    run_id = warehouse.start_run("manual")
    if reprocess:
        report = reprocess_department(warehouse, reprocess, run_id, settings)
    else:
        arrivals, _ = new_arrivals(warehouse, scan_inbox(settings.inbox_dir), settings)
        report = ingest(warehouse, arrivals, run_id, settings)
    warehouse.finish_run(run_id, "succeeded")
    return report


def counts(warehouse) -> dict[str, int]:
    with warehouse.begin() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (File, Submission, Observation, AcceptedValue, Issue)}


def accepted(warehouse, code: str, year: int):
    with warehouse.begin() as session:
        return session.get(AcceptedValue, (code, year))


def issues(warehouse, **where):
    with warehouse.begin() as session:
        query = select(Issue)
        for name, value in where.items():
            query = query.where(getattr(Issue, name) == value)
        return list(session.scalars(query))


@contextmanager
def example_warehouse(root: Path, leave_out: tuple[str, ...] = ()) -> Iterator[tuple]:
    """A SQLite warehouse at `root` loaded from the shipped example inbox (minus
    `leave_out`), as a nightly run would load it: yields (warehouse, settings)."""
    shutil.copytree(PROJECT_ROOT / "inbox", root / "inbox")
    for name in leave_out:
        (root / "inbox" / name).unlink()
    settings = Settings(root=root)
    settings.ensure_dirs()
    warehouse = Warehouse(settings.warehouse_url)
    warehouse.init()
    arrivals, _ = new_arrivals(warehouse, scan_inbox(settings.inbox_dir), settings)
    ingest(warehouse, arrivals, None, settings)
    try:
        yield warehouse, settings
    finally:
        get_engine(settings.warehouse_url).dispose()
