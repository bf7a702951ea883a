"""Rows per second loaded into the warehouse for a batch of submissions as a run loads
them — a department's files in one transaction — on SQLite and (if it answers)
PostgreSQL.

    .venv/bin/python -m benchmarks.load_batch [--files 1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from benchmarks.validate_batch import synthetic_batch
from schemas.validate import validate
from transforms import ReadResult
from warehouse.decisions import Decided
from warehouse.load import IncomingFile, Shared, department_key, load_submission
from warehouse.store import Warehouse

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def load_all(url: str, batch: list[ReadResult]) -> tuple[float, int]:
    warehouse = Warehouse(url)
    warehouse.init()
    by_file, issues = validate(batch).by_file()
    now = dt.datetime.now(dt.UTC)
    departments: dict[str | None, list[tuple[int, ReadResult]]] = {}
    for number, result in enumerate(batch):
        departments.setdefault(result.department, []).append((number, result))
    started = time.perf_counter()
    for group in departments.values():
        files = [(IncomingFile(result.file_sha256, result.file_name, None, 1,
                               now + dt.timedelta(seconds=number), Path("archive")), result)
                 for number, result in group]
        with warehouse.begin() as session:  # as a run loads a department's files
            decided = Decided.of(session, group[0][1].department)
            shared = Shared.of(session, department_key(group[0][1]), files, by_file, None,
                               decided)
            for incoming, result in files:
                load_submission(session, incoming, result, by_file[result.file_sha256],
                                issues.get(result.file_sha256, []), None, retire=False,
                                decided=decided, shared=shared)
            shared.finish(session)
    took = time.perf_counter() - started
    warehouse.engine.dispose()
    return took, sum(len(r.observations) for r in batch)


@contextmanager
def postgres_schema() -> Iterator[str | None]:
    """A throw-away schema on the local PostgreSQL, or None if it does not answer."""
    schema = f"hz_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError:
        yield None
        return
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    batch = synthetic_batch(args.files, ("edu", "youth_league"))
    with tempfile.TemporaryDirectory() as folder:
        took, rows = load_all(f"sqlite:///{folder}/bench.db", batch)
        print(f"SQLite      {args.files:,} submissions, {rows:,} observations: {took:6.2f} s "
              f"= {rows / took:,.0f} rows/s")
    with postgres_schema() as url:
        if url is None:
            print("PostgreSQL  not reachable at 127.0.0.1:5432, skipped")
            return
        took, rows = load_all(url, batch)
        print(f"PostgreSQL  {args.files:,} submissions, {rows:,} observations: {took:6.2f} s "
              f"= {rows / took:,.0f} rows/s")


if __name__ == "__main__":
    main()
