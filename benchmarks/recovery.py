"""Unattended operation, measured: how long after a `kill -9` the next run has finished,
and what undeliverable mail costs a data run.

    .venv/bin/python -m benchmarks.recovery [--files 300] [--warehouse URL]

Whole `huizong run` commands from a cold shell, each with a Prefect server already up
(started here once, reported separately), default settings (lock stale after 60 s).

1. An uninterrupted run over the generated inbox (a fresh warehouse).
2. The same inbox, fresh warehouse: a run killed with SIGKILL half-way, then the next run
   started at once; prints kill → next run finished.
3. A data run over the example inbox with 0, then with 20 mails queued for a mail server
   that accepts connections and never answers; prints each run's own duration (from
   the run record, without the delivery that `huizong run` does after it).

Prints numbers; never fails on time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.nightly import write_inbox

HUIZONG = Path(sys.executable).with_name("huizong")


def _environment(root: Path, api: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "HUIZONG_ROOT": str(root), "PREFECT_API_URL": api, **extra}


def _run(env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run([HUIZONG, "run"], env=env, check=True, capture_output=True)
    return time.monotonic() - started


def _project(base: Path, name: str, inbox: Path) -> Path:
    root = base / name
    shutil.copytree(inbox, root / "inbox", copy_function=shutil.copy2)
    return root


def recovery(base: Path, inbox: Path, api: str, warehouse: str | None) -> None:
    extra = {"HUIZONG_WAREHOUSE_URL": warehouse} if warehouse else {}
    reference = _run(_environment(_project(base, "reference", inbox), api, **extra))
    print(f"uninterrupted run                     {reference:7.2f} s")
    if warehouse:
        _reset(warehouse)
    env = _environment(_project(base, "killed", inbox), api, **extra)
    victim = subprocess.Popen([HUIZONG, "run"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(reference / 2)
    os.killpg(victim.pid, signal.SIGKILL)
    killed = time.monotonic()
    next_run = subprocess.run([HUIZONG, "run"], env=env, capture_output=True, text=True,
                              check=True)
    print(f"kill -9 at {reference / 2:.1f} s → next run finished   "
          f"{time.monotonic() - killed:7.2f} s")
    print("  " + next_run.stdout.splitlines()[0])


def _reset(url: str) -> None:
    from sqlalchemy import MetaData, create_engine

    engine = create_engine(url)
    metadata = MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)
    engine.dispose()


def undeliverable_mail(base: Path, api: str) -> None:
    from sqlalchemy import select

    from config import PROJECT_ROOT
    from warehouse.models import Alert, Run
    from warehouse.store import Warehouse

    silent = socket.create_server(("127.0.0.1", 0))
    smtp = {"HUIZONG_SMTP_HOST": "127.0.0.1", "HUIZONG_SMTP_PORT": str(silent.getsockname()[1]),
            "HUIZONG_SMTP_SECURITY": "plain"}
    for pending in (0, 20):
        root = _project(base, f"mail{pending}", PROJECT_ROOT / "inbox")
        url = f"sqlite:///{root / 'var' / 'huizong.db'}"
        warehouse = Warehouse(url)
        warehouse.init()
        with warehouse.begin() as session:
            session.add_all(Alert(recipient="office@example.gov.cn", kind="reminder",
                                  subject="积压的邮件", status="queued", message_path="")
                            for _ in range(pending))
        whole = _run(_environment(root, api, HUIZONG_WAREHOUSE_URL=url, **smtp))
        with warehouse.begin() as session:
            record = session.scalars(select(Run).order_by(Run.id.desc())).first()
            data_run = (record.finished_at - record.started_at).total_seconds()
        print(f"{pending:2d} undeliverable mails pending: data run {data_run:6.2f} s, "
              f"whole `huizong run` incl. one delivery pass {whole:6.2f} s")
    silent.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--warehouse", help="PostgreSQL URL (tables are dropped!)")
    args = parser.parse_args()
    from flows.deployments import local_server

    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        inbox = base / "generated"
        inbox.mkdir()
        write_inbox(inbox, args.files)
        started = time.monotonic()
        with local_server() as server:
            print(f"Prefect server start-up               {time.monotonic() - started:7.2f} s")
            recovery(base, inbox, server.url, args.warehouse)
            undeliverable_mail(base, server.url)


if __name__ == "__main__":
    main()
