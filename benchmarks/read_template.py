"""How long reading one filled template takes, against pandas.read_excel(openpyxl).

    .venv/bin/python -m benchmarks.read_template [--repeat 300]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from samples.corpus import CorpusWriter
from samples.figures import sample_figures
from schemas.catalogue import get_catalogue
from schemas.departments import get_registry
from schemas.round import get_round
from transforms import read_file


def median_ms(action: Callable[[], object], repeat: int) -> float:
    action()  # warm-up: imports, caches
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--department", default="procuratorate")
    args = parser.parse_args()
    catalogue, parameters = get_catalogue(), get_round()
    with tempfile.TemporaryDirectory() as folder:
        writer = CorpusWriter(catalogue, get_registry(), parameters,
                              sample_figures(catalogue, parameters.round.years), Path(folder))
        path = writer.filled_template(args.department).path
        ours = median_ms(lambda: read_file(path), args.repeat)
        baseline = median_ms(
            lambda: pd.read_excel(path, engine="openpyxl", sheet_name=None),
            max(args.repeat // 5, 20))
        size = path.stat().st_size
    print(f"template of {args.department}: {size:,} bytes")
    print(f"huizong read_file              median {ours:7.2f} ms")
    print(f"pandas.read_excel(openpyxl)    median {baseline:7.2f} ms")
    print(f"ratio huizong / pandas         {ours / baseline:7.2f}")


if __name__ == "__main__":
    main()
