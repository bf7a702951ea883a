"""`huizong run` with nothing new answers from the remembered file hashes, without
Prefect, and says what the flow would have said; anything more goes to the flow."""

import os
import subprocess
import sys

from sqlalchemy import select

from flows.quiet import quiet_run
from flows.runs import nightly
from warehouse.models import Run
from warehouse.store import Warehouse

from .conftest import huizong

# The quiet path in a process of its own, to see what it imported.
PROBE = """
import sys
from config import get_settings
from flows.quiet import quiet_run
from warehouse.store import Warehouse

settings = get_settings()
warehouse = Warehouse(settings.warehouse_url)
warehouse.init()
summary = quiet_run(warehouse, settings, "manual")
print("prefect imported:", "prefect" in sys.modules)
print("\\n".join(summary.lines_zh()) if summary else "no answer")
"""


def _runs(settings) -> list[Run]:
    with Warehouse(settings.warehouse_url).begin() as session:
        return list(session.scalars(select(Run).order_by(Run.id)))


def _flow_lines(settings) -> list[str]:
    return nightly("manual").lines_zh()


def test_nothing_new_is_answered_without_prefect_and_says_what_the_flow_says(example_inbox):
    nightly("schedule")
    # A touched file is read again by the flow (nothing new in it) and its hash learnt.
    touched = next(example_inbox.inbox_dir.glob("*.xlsx"))
    os.utime(touched, (touched.stat().st_atime, touched.stat().st_mtime + 1))
    said_by_flow = _flow_lines(example_inbox)
    probe = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                           env=os.environ, timeout=120)
    assert probe.returncode == 0, probe.stderr
    first, *lines = probe.stdout.splitlines()
    assert first == "prefect imported: False"
    assert lines == said_by_flow
    assert "没有新的或更正的报送，汇总表和报告保持不变。" in lines
    quiet = _runs(example_inbox)[-1]
    assert (quiet.trigger, quiet.outcome, quiet.files_seen, quiet.files_new,
            quiet.flow_run_id) == ("manual", "succeeded", 9, 0, None)
    assert quiet.message == "\n".join(said_by_flow)


def test_anything_to_do_goes_to_the_flow(example_inbox, corpus):
    nightly("schedule")
    settings, warehouse = example_inbox, Warehouse(example_inbox.warehouse_url)
    warehouse.init()
    before = len(_runs(settings))

    # A new file: not archived, not recorded, left to the flow.
    corrected = corpus.filled_template("science", "更正.xlsx",
                                       {("science.tech_envoys.dispatched", 2021): 7})
    (settings.inbox_dir / "科技局-更正.xlsx").write_bytes(corrected.path.read_bytes())
    archived = sorted(settings.archive_dir.rglob("*"))
    assert quiet_run(warehouse, settings, "manual") is None
    assert sorted(settings.archive_dir.rglob("*")) == archived
    assert len(_runs(settings)) == before
    assert nightly("manual").files_new == 1
    assert quiet_run(warehouse, settings, "manual") is not None

    # Products missing, another run holding the lock: the flow too.
    (settings.outputs_dir / "ledger.csv").unlink()
    assert quiet_run(warehouse, settings, "manual") is None
    nightly("manual")
    with warehouse.exclusive(stale_after=60):
        assert quiet_run(warehouse, settings, "manual") is None
    assert quiet_run(warehouse, settings, "manual") is not None


def test_the_command_with_nothing_new(example_inbox):
    first = huizong("run")
    assert first.returncode == 0, first.stdout + first.stderr
    second = huizong("run")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "没有新的或更正的报送，汇总表和报告保持不变。" in second.stdout
    assert [r.flow_run_id is None for r in _runs(example_inbox)] == [False, True]
