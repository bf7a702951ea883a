"""What a user waits for, in one run on one generated inbox, against the peers of issue 14.

    .venv/bin/python -m benchmarks.perf [--files 1000] [--repeat 3] [--skip-peers]

Every command is a whole process started from a cold shell and timed from outside
(median of `--repeat`), peak RSS from the kernel's accounting of that process:

- the pandas peers on the same files (each a whole script: imports, read every sheet of
  every file, concat, `to_sql` into SQLite) with engine="openpyxl" and engine="calamine",
  and python-calamine alone reading every sheet;
- `huizong run` on a fresh warehouse with no Prefect server running (the command starts
  the shared background server), then with that server up, then the no-change run; the
  same two on PostgreSQL (a throw-away schema, emptied before each run); every whole run
  with its ratio to both pandas peers;
- `huizong --help`, `status`, `issues`, `check <one file>` against the loaded warehouse;
- drop → mail written: `huizong serve` running on the example inbox, a corrected file
  renamed into the inbox, until its department's mail is in the outbox;
- rows per second loading 1,000 × 60 values (benchmarks.load_batch), SQLite and
  PostgreSQL: first, while the machine is quiet (measured after the whole runs, while
  PostgreSQL writes their data out and the background servers stop, it came out about
  a quarter lower than in a process of its own).

Prints numbers and ratios; never fails on time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text

from benchmarks.nightly import write_inbox

HUIZONG = Path(sys.executable).with_name("huizong")
# The peers as a competent engineer would write them; the pandas one runs with each engine.
PEERS = {
    "pandas": """
import sqlite3, sys
from pathlib import Path
import pandas as pd
frames = []
for path in sorted(Path(sys.argv[1]).glob("*.xlsx")):
    for name, frame in pd.read_excel(path, engine="{engine}", sheet_name=None).items():
        frames.append(frame.astype(str).assign(file=path.name, sheet=name))
with sqlite3.connect(sys.argv[2]) as connection:
    pd.concat(frames, ignore_index=True).to_sql("raw", connection, index=False)
""",
    "python-calamine alone": """
import sys
from pathlib import Path
from python_calamine import CalamineWorkbook
for path in sorted(Path(sys.argv[1]).glob("*.xlsx")):
    workbook = CalamineWorkbook.from_path(str(path))
    for name in workbook.sheet_names:
        workbook.get_sheet_by_name(name).to_python()
""",
}


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of one whole process."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    took = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):  # 1: `check` found errors, as it should
        raise RuntimeError(f"{command} failed: {process.stderr.read().decode()[-2000:]}")
    return took, usage.ru_maxrss / 1024


def median_of(repeat: int, measure: Callable[[], tuple[float, float]]) -> tuple[float, float]:
    results = [measure() for _ in range(repeat)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def project_env(root: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "HUIZONG_ROOT": str(root), "PREFECT_HOME": str(root / "prefect"),
           **extra}
    env.pop("PREFECT_API_URL", None)  # the commands find (or start) the shared server
    return env


def fresh_warehouse(root: Path) -> None:
    for name in ("outputs", "outbox"):
        shutil.rmtree(root / name, ignore_errors=True)
    for item in (root / "var").glob("*"):
        if item.name != "log":
            shutil.rmtree(item) if item.is_dir() else item.unlink()


def say(what: str, value: str, note: str = "") -> None:
    print(f"{what:<52} {value:>14}  {note}", flush=True)


def peers(inbox: Path, work: Path, repeat: int) -> dict[str, float]:
    times = {}
    for label, engine in (("pandas + openpyxl", "openpyxl"), ("pandas + calamine", "calamine")):
        script = PEERS["pandas"].replace("{engine}", engine)

        def run(script: str = script) -> tuple[float, float]:
            (work / "peer.db").unlink(missing_ok=True)
            return timed([sys.executable, "-c", script, str(inbox), str(work / "peer.db")],
                         dict(os.environ))

        times[label], memory = median_of(repeat, run)
        say(f"peer: {label} (read_excel+concat+to_sql)", f"{times[label]:.2f} s",
                  f"{memory:.0f} MiB")
    took, memory = median_of(repeat, lambda: timed(
        [sys.executable, "-c", PEERS["python-calamine alone"], str(inbox)], dict(os.environ)))
    times["calamine alone"] = took
    say("peer: python-calamine alone, every sheet", f"{took:.2f} s", f"{memory:.0f} MiB")
    return times


def _ratios(took: float, peer: dict[str, float]) -> str:
    return "; ".join(f"×{took / peer[name]:.2f} {name}" for name in
                     ("pandas + openpyxl", "pandas + calamine") if name in peer)


def full_runs(root: Path, repeat: int, peer: dict[str, float]) -> None:
    from benchmarks.load_batch import POSTGRES, postgres_schema

    env = project_env(root)

    def cold() -> tuple[float, float]:
        subprocess.run([HUIZONG, "stop-server"], env=env, capture_output=True, check=True)
        fresh_warehouse(root)
        return timed([HUIZONG, "run"], env)

    def warm(environment: dict[str, str] = env) -> tuple[float, float]:
        fresh_warehouse(root)
        return timed([HUIZONG, "run"], environment)

    for label, run in (("huizong run, fresh warehouse, no server (cold)", cold),
                       ("huizong run, fresh warehouse, server up", warm)):
        took, memory = median_of(repeat, run)
        say(label, f"{took:.2f} s", f"{memory:.0f} MiB; {_ratios(took, peer)}")
    took, memory = median_of(repeat, lambda: timed([HUIZONG, "run"], env))
    say("huizong run, nothing new, server up", f"{took:.2f} s", f"{memory:.0f} MiB")
    with postgres_schema() as url:
        if url is None:
            say("huizong run, PostgreSQL", "skipped", f"{POSTGRES} not reachable")
            return
        postgres = {**env, "HUIZONG_WAREHOUSE_URL": url}

        def fresh_postgres() -> tuple[float, float]:
            subprocess.run([HUIZONG, "init"], env=postgres, capture_output=True, check=True)
            with create_engine(url).begin() as connection:  # an empty warehouse each time
                for table in ("mail_attachments", "mail_messages", "alerts", "decisions",
                              "accepted_values", "issues", "observations", "submissions",
                              "files", "file_problems", "runs", "rounds"):
                    connection.execute(text(f"TRUNCATE {table} RESTART IDENTITY CASCADE"))
            return warm(postgres)

        took, memory = median_of(repeat, fresh_postgres)
        say("huizong run, PostgreSQL, server up", f"{took:.2f} s",
            f"{memory:.0f} MiB; {_ratios(took, peer)}")
        took, memory = median_of(repeat, lambda: timed([HUIZONG, "run"], postgres))
        say("huizong run, PostgreSQL, nothing new", f"{took:.2f} s", f"{memory:.0f} MiB")


def light_commands(root: Path, repeat: int) -> None:
    env = project_env(root)
    one_file = next(iter(sorted((root / "inbox").glob("*.xlsx"))))
    for args in (["--help"], ["status"], ["issues"], ["check", str(one_file)]):
        took, memory = median_of(repeat, lambda args=args: timed([HUIZONG, *args], env))
        say(f"huizong {' '.join(args[:1])}", f"{took:.2f} s", f"{memory:.0f} MiB")


def drop_to_mail(base: Path, drops: int) -> None:
    """`serve` on the example inbox; each drop is a new version of 教育局's workbook,
    alternately with an error and corrected, so each one changes what its mail says."""
    from flows.deployments import free_port
    from samples.corpus import CorpusWriter
    from samples.figures import sample_figures
    from schemas.catalogue import get_catalogue
    from schemas.departments import get_registry
    from schemas.round import get_round

    root = base / "serve"
    shutil.copytree(Path(__file__).resolve().parent.parent / "inbox", root / "inbox")
    catalogue, parameters = get_catalogue(), get_round()
    figures = sample_figures(catalogue, parameters.round.years)
    writer = CorpusWriter(catalogue, get_registry(), parameters, figures, base / "drops")
    versions = []
    for number in range(drops):
        writer.figures = {k: v + number if k[1] == 2025 else v for k, v in figures.items()}
        typed = {("edu.teachers.recruited", 2024): "约一百"} if number % 2 == 0 else None
        versions.append(writer.filled_template("edu", f"drop{number}.xlsx", typed).path)
    env = project_env(root, HUIZONG_SMTP_HOST="")
    server = subprocess.Popen([HUIZONG, "serve", "--port", str(free_port())], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        outbox = root / "outbox"
        deadline = time.monotonic() + 300
        while len(list(outbox.glob("*_edu.eml"))) == 0:  # caught up with the example inbox
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not process the example inbox")
            time.sleep(0.2)
        time.sleep(3)
        latencies = []
        for number, version in enumerate(versions):
            before = set(outbox.glob("*_edu.eml"))
            staged = root / f".drop{number}.xlsx"
            shutil.copy(version, staged)
            started = time.monotonic()
            os.replace(staged, root / "inbox" / "青源市教育局-更正.xlsx")
            while not set(outbox.glob("*_edu.eml")) - before:
                if time.monotonic() - started > 120:
                    raise RuntimeError("no mail for the dropped file")
                time.sleep(0.02)
            latencies.append(time.monotonic() - started)
            time.sleep(1)
        say("drop → mail written, serve running (median)",
                  f"{statistics.median(latencies):.2f} s",
                  "each: " + " ".join(f"{t:.2f}" for t in latencies))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def load_rates(files: int) -> None:
    from benchmarks.load_batch import POSTGRES, load_all, postgres_schema
    from benchmarks.validate_batch import synthetic_batch

    batch = synthetic_batch(files, ("edu", "youth_league"))
    with tempfile.TemporaryDirectory() as folder:
        took, rows = load_all(f"sqlite:///{folder}/bench.db", batch)
    say(f"load {files:,} × 60 values, SQLite", f"{rows / took:,.0f} rows/s", f"{took:.2f} s")
    with postgres_schema() as url:
        if url is None:
            say("load, PostgreSQL", "skipped", f"{POSTGRES} not reachable")
            return
        took, rows = load_all(url, batch)
    say(f"load {files:,} × 60 values, PostgreSQL", f"{rows / took:,.0f} rows/s",
              f"{took:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--drops", type=int, default=6)
    parser.add_argument("--skip-peers", action="store_true")
    args = parser.parse_args()
    # In a process of its own: Linux reports a child's peak RSS as at least its parent's
    # at the fork, and the batch would make this process the largest of all.
    subprocess.run([sys.executable, "-c", "from benchmarks.perf import load_rates; "
                    f"load_rates({args.files})"], check=True)
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        root = base / "project"
        (root / "inbox").mkdir(parents=True)
        started = time.monotonic()
        write_inbox(root / "inbox", args.files)
        print(f"wrote {args.files:,} submissions in {time.monotonic() - started:.0f} s; "
              f"{os.cpu_count()} cores", flush=True)
        peer = {} if args.skip_peers else peers(root / "inbox", base, args.repeat)
        try:
            full_runs(root, args.repeat, peer)
            light_commands(root, args.repeat)
        finally:
            subprocess.run([HUIZONG, "stop-server"], env=project_env(root),
                           capture_output=True)
        drop_to_mail(base, args.drops)


if __name__ == "__main__":
    main()
