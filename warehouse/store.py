"""The warehouse as one object: schema upgrade, reference data, runs and the run lock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from schemas.catalogue import Catalogue, get_catalogue
from schemas.departments import Registry, get_registry
from schemas.round import Round, activate, configured_round, get_round
from warehouse.decisions import SYSTEM_USER, lock_state
from warehouse.engine import get_engine, transaction
from warehouse.load import prior_values
from warehouse.migrate import upgrade
from warehouse.models import Run, utcnow
from warehouse.rounds import as_round, ensure_open, open_round
from warehouse.run_lock import HolderInfo, RunLock, WarehouseBusy, holder_info, within
from warehouse.sync import sync_reference_data
from warehouse.table import LedgerRow, consolidated_table, ledger

__all__ = ["Warehouse", "WarehouseBusy"]
INTERRUPTED_WRITE_SECONDS = 3


class Warehouse:
    def __init__(self, url: str, *, catalogue: Catalogue | None = None,
                 registry: Registry | None = None) -> None:
        self.url = url
        self.engine: Engine = get_engine(url)
        self.catalogue = catalogue or get_catalogue()
        self.registry = registry or get_registry()
        self.round: Round = get_round().round
        # What init found changed in the catalogue or registry: the products are rebuilt.
        self.reference_changes: list[str] = []
        self.years = self.round.years

    def init(self) -> None:
        """Upgrade the schema to the latest migration, sync the catalogue into it (the
        catalogue then also knows former names and retired indicators) and take the
        warehouse's open round as the round in force."""
        upgrade(self.engine)
        with self.begin() as session:
            synced = sync_reference_data(session, self.catalogue, self.registry)
            self.catalogue, self.reference_changes = synced.catalogue, synced.changes
            record = ensure_open(session, configured_round().round, SYSTEM_USER)
            self.use_round(as_round(record, configured_round().round))

    def use_round(self, current: Round) -> None:
        activate(current)
        self.round, self.years = current, current.years

    def follow_round(self) -> Round:
        """The open round as the warehouse says it now: a long-running process (the
        console) follows a `round new` taken by another."""
        with self.begin() as session:
            record = open_round(session)
            if record is not None and record.name != self.round.name:
                self.use_round(as_round(record, configured_round().round))
        return self.round

    @contextmanager
    def begin(self) -> Iterator[Session]:
        with transaction(self.engine) as session:
            yield session

    def prior_values(self, departments: list[str]) -> dict[tuple[str, str, int], float | None]:
        with self.begin() as session:
            return prior_values(session, departments)

    def locked(self) -> bool:
        """The round is signed (定稿): its products stay as they were signed."""
        with self.begin() as session:
            return lock_state(session) is not None

    def current_ledger(self) -> list[LedgerRow]:
        with self.begin() as session:
            table = consolidated_table(session, self.catalogue, self.registry, self.years)
            return ledger(session, table, self.registry)

    # ── runs, each under the lock that keeps two runs from writing at once ──────
    @contextmanager
    def exclusive(self, *, wait_seconds: float = 0, stale_after: float = 60,
                  on_wait: Callable[[HolderInfo], None] | None = None) -> Iterator[RunLock]:
        """Hold the pipeline lock (heart-beating); wait up to `wait_seconds` for another
        run. A lock silent for `stale_after` seconds is taken over (see run_lock)."""
        lock = RunLock(self.engine, stale_after=stale_after)
        lock.acquire(wait_seconds, on_wait)
        try:
            yield lock
        except Exception:
            lock.release()
            raise
        except BaseException:
            # Interrupted at an arbitrary point, perhaps inside a transaction of this very
            # process: try briefly, never wait; a lock left behind is taken over.
            within(INTERRUPTED_WRITE_SECONDS, lock.release)
            raise
        lock.release()

    def start_run(self, trigger: str, flow_run_id: str | None = None) -> int:
        with self.begin() as session:
            run = Run(trigger=trigger, flow_run_id=flow_run_id)
            session.add(run)
            session.flush()
            return run.id

    @contextmanager
    def recording(self, trigger: str, lock: RunLock | None = None,
                  flow_run_id: str | None = None) -> Iterator[int]:
        """A run record that ends as failed if the pipeline breaks inside the block, or as
        stopped if it is interrupted."""
        run_id = self.start_run(trigger, flow_run_id)
        if lock is not None:
            lock.attach(run_id)
        try:
            yield run_id
        except Exception as error:
            self.finish_run(run_id, "failed", message=f"{type(error).__name__}: {error}")
            raise
        except BaseException:  # Ctrl+C, SIGTERM, a service stopping: not a fault
            within(INTERRUPTED_WRITE_SECONDS, lambda: self.finish_run(
                run_id, "stopped", message="运行被中途停止；未完成的文件由下一次运行处理。"))
            raise

    def finish_run(self, run_id: int, outcome: str, **counts: int | str) -> None:
        with self.begin() as session:
            session.execute(update(Run).where(Run.id == run_id).values(
                outcome=outcome, finished_at=utcnow(), **counts))

    def lock_holder(self) -> HolderInfo | None:
        return holder_info(self.engine)

    def last_finished_run(self) -> Run | None:
        with self.begin() as session:
            return session.scalars(select(Run).where(Run.outcome != "running")
                                   .order_by(Run.id.desc()).limit(1)).first()
