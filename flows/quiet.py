"""A run with nothing new to read, answered without Prefect.

Importing Prefect and opening a flow run cost about two seconds, more than all such a
run does: under the run lock it finds every inbox file known by its remembered hash and
the products current, writes the mail that is due (reminders, the daily summary) and
records the run, as the flow would. Whenever more is needed — a file to read, a mailbox
to fetch, products to rebuild, another run holding the lock or one that died — it
answers None and the caller runs the flow.
"""

from __future__ import annotations

from config import Settings
from intake.fetch import intake_configured
from pipeline.ingest import IngestReport, known_inbox, record_refusals
from pipeline.outputs import stale_products
from pipeline.summary import RunSummary, close_run
from transforms.inbox import select_files
from warehouse.run_lock import WarehouseBusy
from warehouse.store import Warehouse


def _nothing_to_do(warehouse: Warehouse, settings: Settings) -> bool:
    if warehouse.locked():
        return True  # a signed round's products are kept as they are
    return not stale_products(warehouse, settings.outputs_dir) and \
        (settings.outputs_dir / "report.docx").exists()


def quiet_run(warehouse: Warehouse, settings: Settings, trigger: str) -> RunSummary | None:
    """The run's summary when it had nothing to read, or None: then run the flow."""
    if intake_configured(settings) or warehouse.lock_holder() is not None:
        return None
    if known_inbox(warehouse, select_files(settings.inbox_dir), settings) is None \
            or not _nothing_to_do(warehouse, settings):
        return None
    from alerts.stage import run_alerts

    try:
        with warehouse.exclusive(stale_after=settings.lock_stale_seconds) as lock:
            # Looked at again under the lock: a file may have arrived meanwhile.
            survey = known_inbox(warehouse, select_files(settings.inbox_dir), settings)
            if survey is None:
                return None
            if lock.crashed:  # a run died since we looked: Prefect hears of it too
                from flows.runs import crash_in_prefect

                crash_in_prefect(lock.crashed)
            with warehouse.recording(trigger, lock) as run_id:
                seen, refused = survey
                record_refusals(warehouse, refused, run_id)
                return close_run(warehouse, run_id, trigger, seen,
                                 IngestReport(files_seen=seen), None, None,
                                 run_alerts(warehouse, settings), lock.crashed)
    except WarehouseBusy:
        return None  # another run began meanwhile: the flow waits for it
