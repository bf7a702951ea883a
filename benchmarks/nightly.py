"""The nightly flow on N synthetic submissions against a naive baseline.

    .venv/bin/python -m benchmarks.nightly [--files 1000]

Timed in one process with a Prefect server already running (its start-up is reported
separately): the full nightly on a fresh warehouse, the no-change nightly right after,
and the baseline — pandas.read_excel(engine="openpyxl") of every sheet of every file,
concat, DataFrame.to_sql into SQLite. Prints times, ratios and peak memory; it never
fails on time.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import tempfile
import time
from pathlib import Path


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_inbox(inbox: Path, files: int) -> None:
    """`files` submissions cycling through the departments, each with its own figures."""
    from samples.corpus import CorpusWriter
    from samples.figures import sample_figures
    from schemas.catalogue import get_catalogue
    from schemas.departments import get_registry
    from schemas.round import get_round

    catalogue, registry, parameters = get_catalogue(), get_registry(), get_round()
    base = sample_figures(catalogue, parameters.round.years)
    departments = [d.code for d in registry.submitting]
    writer = CorpusWriter(catalogue, registry, parameters, base, inbox)
    for number in range(files):
        # Each later version of a department adds one to its 2025 figures, so every file
        # is new content without tripping the year-over-year check.
        version = number // len(departments)
        writer.figures = {k: v + version if k[1] == 2025 else v for k, v in base.items()}
        department = departments[number % len(departments)]
        writer.filled_template(department, f"{number:05d}_{department}.xlsx")
        os.utime(inbox / f"{number:05d}_{department}.xlsx", (1e9 + number, 1e9 + number))


def baseline(inbox: Path, database: Path) -> float:
    import pandas as pd

    started = time.perf_counter()
    frames = []
    for path in sorted(inbox.glob("*.xlsx")):
        for name, frame in pd.read_excel(path, engine="openpyxl", sheet_name=None).items():
            frames.append(frame.astype(str).assign(file=path.name, sheet=name))
    combined = pd.concat(frames, ignore_index=True)
    with sqlite3.connect(database) as connection:
        combined.to_sql("raw", connection, if_exists="replace", index=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        os.environ["HUIZONG_ROOT"] = str(root)
        os.environ["PREFECT_HOME"] = str(root / "prefect")
        (root / "inbox").mkdir()
        started = time.perf_counter()
        write_inbox(root / "inbox", args.files)
        print(f"wrote {args.files:,} submissions in {time.perf_counter() - started:.1f} s")

        from flows.deployments import local_server
        from flows.runs import nightly

        started = time.perf_counter()
        with local_server():
            print(f"Prefect server start-up           {time.perf_counter() - started:7.2f} s")
            memory_before = peak_mb()
            started = time.perf_counter()
            full = nightly("manual")
            full_time = time.perf_counter() - started
            memory_full = peak_mb()
            started = time.perf_counter()
            quiet = nightly("manual")
            quiet_time = time.perf_counter() - started
        base_time = baseline(root / "inbox", root / "baseline.db")
        memory_baseline = peak_mb()
    print(f"full nightly ({len(full.loaded):,} versions)       {full_time:7.2f} s")
    print(f"no-change nightly ({len(quiet.loaded)} versions)     {quiet_time:7.2f} s")
    print(f"naive baseline (read_excel+to_sql) {base_time:7.2f} s")
    print(f"ratio full / baseline              {full_time / base_time:7.2f}")
    print(f"ratio no-change / full             {quiet_time / full_time:7.2f}")
    print(f"peak RSS before runs {memory_before:,.0f} MB, after nightly {memory_full:,.0f} MB, "
          f"after baseline {memory_baseline:,.0f} MB")


if __name__ == "__main__":
    main()
