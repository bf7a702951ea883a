"""The warehouse as one object: schema upgrade, reference data, runs and the run lock."""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from schemas.catalogue import Catalogue, get_catalogue
from schemas.departments import Registry, get_registry
from schemas.round import get_round
from warehouse.engine import get_engine, transaction
from warehouse.load import prior_values
from warehouse.migrate import upgrade
from warehouse.models import Lock, Run, as_utc, utcnow
from warehouse.sync import sync_reference_data

PIPELINE_LOCK = "pipeline"


class WarehouseBusy(Exception):
    """另一个汇总任务正在运行，请稍后再试（或等待其完成）。"""


class Warehouse:
    def __init__(self, url: str, *, catalogue: Catalogue | None = None,
                 registry: Registry | None = None) -> None:
        self.url = url
        self.engine: Engine = get_engine(url)
        self.catalogue = catalogue or get_catalogue()
        self.registry = registry or get_registry()
        self.years = get_round().round.years

    def init(self) -> None:
        """Upgrade the schema to the latest migration and sync the catalogue into it."""
        upgrade(self.engine)
        with self.begin() as session:
            sync_reference_data(session, self.catalogue, self.registry)

    @contextmanager
    def begin(self) -> Iterator[Session]:
        with transaction(self.engine) as session:
            yield session

    def prior_values(self, departments: list[str]) -> dict[tuple[str, str, int], float | None]:
        with self.begin() as session:
            return prior_values(session, departments)

    # ── runs ────────────────────────────────────────────────────────────────
    def start_run(self, trigger: str) -> int:
        with self.begin() as session:
            run = Run(trigger=trigger)
            session.add(run)
            session.flush()
            return run.id

    @contextmanager
    def recording(self, trigger: str) -> Iterator[int]:
        """A run record that ends as failed if the pipeline breaks inside the block."""
        run_id = self.start_run(trigger)
        try:
            yield run_id
        except BaseException as error:
            self.finish_run(run_id, "failed", message=f"{type(error).__name__}: {error}")
            raise

    def finish_run(self, run_id: int, outcome: str, **counts: int | str) -> None:
        with self.begin() as session:
            session.execute(update(Run).where(Run.id == run_id).values(
                outcome=outcome, finished_at=utcnow(), **counts))

    # ── the lock that keeps two runs from writing at once ─────────────────────
    @contextmanager
    def exclusive(self, *, wait_seconds: float = 0, stale_after: float = 6 * 3600
                  ) -> Iterator[None]:
        """Hold the pipeline lock; wait up to `wait_seconds` for another run to finish.

        A lock whose holder stopped heart-beating for `stale_after` seconds (a killed
        run) is taken over.
        """
        holder = f"{socket.gethostname()}:{os.getpid()}:{time.monotonic_ns()}"
        deadline = time.monotonic() + wait_seconds
        while not self._try_lock(holder, stale_after):
            if time.monotonic() >= deadline:
                raise WarehouseBusy(WarehouseBusy.__doc__)
            time.sleep(0.5)
        try:
            yield
        finally:
            with self.begin() as session:
                session.execute(delete(Lock).where(Lock.name == PIPELINE_LOCK,
                                                   Lock.holder == holder))

    def _try_lock(self, holder: str, stale_after: float) -> bool:
        try:
            with self.begin() as session:
                current = session.get(Lock, PIPELINE_LOCK)
                if current is not None:
                    age = utcnow() - as_utc(current.heartbeat_at)
                    if age < dt.timedelta(seconds=stale_after):
                        return False
                    session.delete(current)
                    session.flush()
                session.add(Lock(name=PIPELINE_LOCK, holder=holder))
            return True
        except IntegrityError:
            return False  # another run inserted the lock between our read and write

    def lock_holder(self) -> str | None:
        with self.begin() as session:
            return session.scalar(select(Lock.holder).where(Lock.name == PIPELINE_LOCK))
